#include "api/strings.h"
#include "server/tables.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/errors.h"
#include "api/printers.h"

namespace vigil::server {
namespace {

using api::Json;

// A "date" cell holding an RFC 3339 timestamp becomes an age, as the
// Kubernetes API server renders date columns of custom resources.
Json RenderCell(const api::PrinterColumn& column, const Json& cell) {
  if (column.type != "date" || !cell.is_string()) return cell;
  absl::Time when;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, cell.get<std::string>(), &when, &error)) {
    return cell;
  }
  return HumanAge(absl::Now() - when);
}

Json RowObject(const Json& obj, IncludeObject include) {
  switch (include) {
    case IncludeObject::kNone:
      return nullptr;
    case IncludeObject::kObject:
      return obj;
    case IncludeObject::kMetadata:
      break;
  }
  Json metadata = obj.contains("metadata") ? obj["metadata"] : Json::object();
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", std::move(metadata)}};
}

Json Row(const std::vector<api::PrinterColumn>& columns, const Json& obj,
         IncludeObject include) {
  Json cells = api::PrinterCells(obj);
  Json rendered = Json::array();
  for (size_t i = 0; i < columns.size(); ++i) {
    Json cell = cells.is_array() && i < cells.size() ? cells[i] : Json("");
    rendered.push_back(RenderCell(columns[i], cell));
  }
  Json row = {{"cells", std::move(rendered)}};
  Json object = RowObject(obj, include);
  if (!object.is_null()) row["object"] = std::move(object);
  return row;
}

}  // namespace

absl::StatusOr<IncludeObject> ParseIncludeObject(std::string_view text) {
  if (text.empty() || text == "Metadata") return IncludeObject::kMetadata;
  if (text == "None") return IncludeObject::kNone;
  if (text == "Object") return IncludeObject::kObject;
  return api::MalformedRequest(api::Cat(
      "includeObject: Unsupported value: \"", text,
      "\": supported values: \"None\", \"Metadata\", \"Object\""));
}

Json ColumnDefinitions(std::string_view kind) {
  Json out = Json::array();
  for (const api::PrinterColumn& column : api::PrinterColumns(kind)) {
    out.push_back({{"name", column.name},
                   {"type", column.type},
                   {"format", column.name == "Name" ? "name" : ""},
                   {"description", column.description},
                   {"priority", column.priority}});
  }
  return out;
}

Json BuildTable(std::string_view kind, const std::vector<Json>& items,
                const std::string& resource_version, const TableOptions& options) {
  const std::vector<api::PrinterColumn> columns = api::PrinterColumns(kind);
  Json rows = Json::array();
  for (const Json& item : items) rows.push_back(Row(columns, item, options.include));
  Json table = {{"kind", "Table"},
                {"apiVersion", options.api_version},
                {"metadata", {{"resourceVersion", resource_version}}},
                {"rows", std::move(rows)}};
  table["columnDefinitions"] =
      options.column_definitions ? ColumnDefinitions(kind) : Json::array();
  return table;
}

std::string HumanAge(absl::Duration age) {
  const int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(age));
  const int64_t minutes = seconds / 60;
  const int64_t hours = minutes / 60;
  const int64_t days = hours / 24;
  if (seconds < 120) return api::Cat(seconds, "s");
  if (minutes < 10) {
    return seconds % 60 == 0 ? api::Cat(minutes, "m")
                             : api::Cat(minutes, "m", seconds % 60, "s");
  }
  if (hours < 3) return api::Cat(minutes, "m");
  if (hours < 8) {
    return minutes % 60 == 0 ? api::Cat(hours, "h")
                             : api::Cat(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) return api::Cat(hours, "h");
  if (hours < 24 * 8) {
    return hours % 24 == 0 ? api::Cat(days, "d")
                           : api::Cat(days, "d", hours % 24, "h");
  }
  if (days < 365 * 2) return api::Cat(days, "d");
  return api::Cat(days / 365, "y", days % 365 == 0 ? "" : api::Cat(days % 365, "d"));
}

}  // namespace vigil::server
