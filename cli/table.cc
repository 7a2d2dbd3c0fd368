#include "cli/table.h"

#include <memory>
#include <utility>

#include "api/printers.h"

namespace vigil::cli {

using api::Json;

KindTable::KindTable(const api::KindInfo& kind, bool wide,
                     std::string name_prefix)
    : kind_(kind), wide_(wide), name_prefix_(std::move(name_prefix)) {
  for (const api::PrinterColumn& column : api::PrinterColumns(kind.kind)) {
    local_columns_.push_back(
        {column.name, column.type, column.priority == 0 || wide_});
  }
}

void KindTable::AddServerTable(const Json& table) {
  if (columns_.empty()) {
    for (const Json& def : table.value("columnDefinitions", Json::array())) {
      columns_.push_back({def.value("name", ""), def.value("type", "string"),
                          def.value("priority", 0) == 0 || wide_});
    }
  }
  for (const Json& row : table.value("rows", Json::array())) {
    rows_.push_back(Cells(row.value("cells", Json::array()), columns_));
  }
}

std::vector<std::string> KindTable::RowFor(const Json& obj) const {
  return Cells(api::PrinterCells(obj), local_columns_);
}

std::vector<std::string> KindTable::Cells(
    const Json& cells, const std::vector<Column>& columns) const {
  std::vector<std::string> row;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!columns[i].shown) continue;
    Json cell = i < cells.size() ? cells[i] : Json();
    std::string text = CellText(cell, columns[i].type);
    if (i == 0) text = name_prefix_ + text;
    row.push_back(std::move(text));
  }
  return row;
}

void KindTable::EnsureWriter() {
  if (writer_ != nullptr) return;
  const std::vector<Column>& columns =
      columns_.empty() ? local_columns_ : columns_;
  std::vector<std::string> headers;
  for (const Column& column : columns) {
    if (column.shown) headers.push_back(column.name);
  }
  writer_ = std::make_unique<TableWriter>(std::move(headers));
}

std::string KindTable::Render() {
  EnsureWriter();
  if (rows_.empty()) return "";
  writer_->Fit(rows_);
  std::string text = writer_->HeaderLine();
  for (const auto& row : rows_) text += writer_->RowLine(row);
  header_printed_ = true;
  return text;
}

std::string KindTable::RenderRow(const std::vector<std::string>& row) {
  EnsureWriter();
  std::string text;
  if (!header_printed_) {
    writer_->Fit({row});
    text = writer_->HeaderLine();
    header_printed_ = true;
  }
  return text + writer_->RowLine(row);
}

}  // namespace vigil::cli
