// Rendering for the vigil CLI: errors as kubectl prints them, aligned tables,
// ages, and objects as YAML or JSON.
//
// Thread safety: pure functions; TableWriter is not thread-safe.
#ifndef VIGIL_CLI_OUTPUT_H_
#define VIGIL_CLI_OUTPUT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/object.h"

namespace vigil::cli {

using api::Json;

// An error returned by the server, as kubectl prints it:
//   Error from server (NotFound): servicegroups.vigil.io "x" not found
//   Error from server (Invalid): ServiceGroup.vigil.io "x" is invalid:
//   * spec.redundancyModel: Unsupported value: ...
// Connection failures print as "error: <message>". A non-empty `context`
// (e.g. "error when applying \"sg.yaml: document 1 (ServiceGroup/x)\"")
// goes between the prefix and the message. No trailing newline.
std::string FormatServerError(const absl::Status& status,
                              const std::string& context = "");

// The Kubernetes reason for a status code ("NotFound", "Conflict", ...).
std::string ReasonOf(const absl::Status& status);

// kubectl's short human duration: "45s", "5m10s", "25m", "5h10m", "3d5h".
std::string HumanDuration(std::chrono::seconds age);

// The age of an RFC 3339 timestamp as a HumanDuration; "<unknown>" if the
// timestamp does not parse.
std::string AgeOf(const std::string& rfc3339);

// One table cell as text: strings as is, numbers and booleans as JSON,
// lists joined with ",", null as "<none>". Date cells holding an RFC 3339
// timestamp are shown as ages.
std::string CellText(const Json& cell, std::string_view column_type);

// Lays out rows in columns as kubectl does (each column padded to its widest
// cell plus 3 spaces, at least 6 wide; the last column unpadded).
class TableWriter {
 public:
  explicit TableWriter(std::vector<std::string> headers);
  // Widens columns to fit `rows` (call before printing them for alignment).
  void Fit(const std::vector<std::vector<std::string>>& rows);
  // The header line (upper-cased) and one row line, each ending in '\n'.
  std::string HeaderLine() const;
  std::string RowLine(const std::vector<std::string>& cells) const;

 private:
  std::string Line(const std::vector<std::string>& cells) const;
  std::vector<std::string> headers_;
  std::vector<size_t> widths_;
};

// An object as YAML ("yaml") or JSON ("json", 4-space indent), ending in '\n'.
std::string RenderObject(const Json& obj, std::string_view format);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_OUTPUT_H_
