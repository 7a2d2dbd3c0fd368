// Printer columns for tables (kubectl get, vigil get), per kind.
#ifndef VIGIL_API_PRINTERS_H_
#define VIGIL_API_PRINTERS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "api/object.h"

namespace vigil::api {

// A Kubernetes TableColumnDefinition.
struct PrinterColumn {
  std::string name;         // "Model"
  std::string type;         // "string", "integer", "date"
  std::string description;
  int priority = 0;         // 0: always shown; 1: only with -o wide
};

// The columns for `kind`, "Name" first and "Age" last. Unknown kinds get
// Name and Age only.
std::vector<PrinterColumn> PrinterColumns(std::string_view kind);

// The cells of one row for `obj`, in the order of PrinterColumns(kind of obj).
// Missing status shows as "" (or 0 for integers); never throws.
Json PrinterCells(const Json& obj);

// Same, with the Age column computed against `now` (PrinterCells uses the
// system clock).
Json PrinterCells(const Json& obj, std::chrono::system_clock::time_point now);

// The age of an object created at `rfc3339`, as kubectl prints it: "45s",
// "5m10s", "12m", "3h20m", "2d5h", "9d", "2y30d". "<unknown>" when the
// timestamp is empty or unparsable; "0s" for a timestamp slightly in the
// future (clock skew), "<invalid>" for one more than a second ahead.
std::string FormatAge(std::string_view rfc3339,
                      std::chrono::system_clock::time_point now);

}  // namespace vigil::api

#endif  // VIGIL_API_PRINTERS_H_
