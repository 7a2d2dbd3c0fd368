// Printer columns for tables (kubectl get, vigil get), per kind.
#ifndef VIGIL_API_PRINTERS_H_
#define VIGIL_API_PRINTERS_H_

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

}  // namespace vigil::api

#endif  // VIGIL_API_PRINTERS_H_
