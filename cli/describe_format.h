// Human-readable rendering of objects for `vigil describe`, in the style of
// kubectl describe: "Title Case:" keys aligned per level, nested maps
// indented, condition and assignment lists as small tables.
//
// Thread safety: pure functions.
#ifndef VIGIL_CLI_DESCRIBE_FORMAT_H_
#define VIGIL_CLI_DESCRIBE_FORMAT_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/object.h"

namespace vigil::cli {

// "redundancyModel" -> "Redundancy Model", "domainXML" -> "Domain XML".
std::string HumanizeKey(std::string_view key);

// A JSON value (normally a map) as indented "Key:  value" lines. Keys of
// user-data maps (labels, annotations, attributes, env) are shown verbatim.
// `skip` names top-level keys to leave out (shown elsewhere).
std::string DescribeValue(const api::Json& value, int indent,
                          const std::vector<std::string>& skip = {});

// Rows under a header, aligned, each line indented by `indent` spaces, with
// a dashed underline below the header as kubectl describe prints tables.
std::string DescribeTable(const std::vector<std::string>& headers,
                          const std::vector<std::vector<std::string>>& rows,
                          int indent);

// "Conditions:" followed by a table of the conditions (Type, Status, Reason,
// Age, Message); "Conditions:  <none>" when there are none.
std::string DescribeConditions(const api::Json& conditions);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_DESCRIBE_FORMAT_H_
