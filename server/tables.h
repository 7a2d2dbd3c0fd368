// meta.k8s.io Table responses: what `kubectl get` prints, with the printer
// columns of api/printers.h.
//
// Thread safety: pure functions.
#ifndef VIGIL_SERVER_TABLES_H_
#define VIGIL_SERVER_TABLES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"

namespace vigil::server {

// What each row carries besides its cells (the includeObject parameter).
enum class IncludeObject {
  kNone,      // no object
  kMetadata,  // a meta.k8s.io/v1 PartialObjectMetadata (the default)
  kObject,    // the full object
};

// Parses includeObject ("", "None", "Metadata", "Object").
// Errors: MalformedRequest for anything else.
absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view text);

struct TableOptions {
  IncludeObject include = IncludeObject::kMetadata;
  std::string api_version = "meta.k8s.io/v1";
  bool column_definitions = true;  // false in watch events after the first
};

// A Table of `items` (all of kind `kind`) as of `resource_version`.
api::Json BuildTable(std::string_view kind, const std::vector<api::Json>& items,
                     const std::string& resource_version,
                     const TableOptions& options);

// The column definitions of `kind` as TableColumnDefinitions.
api::Json ColumnDefinitions(std::string_view kind);

// A short human age as kubectl prints it: "45s", "5m30s", "3h", "2d4h", "400d".
std::string HumanAge(absl::Duration age);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_TABLES_H_
