// KindTable: one kind's rows for `vigil get`, built from the server's
// meta.k8s.io/v1 Table (initial listing) or from objects (watch events, using
// the same printer columns as the server), and printed aligned.
//
// Thread safety: not thread-safe; one per printing thread.
#ifndef VIGIL_CLI_TABLE_H_
#define VIGIL_CLI_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "api/object.h"
#include "cli/output.h"

namespace vigil::cli {

class KindTable {
 public:
  // `name_prefix` ("servicegroup.vigil.io/") is put before every name when
  // several kinds are printed together; wide shows priority > 0 columns.
  KindTable(const api::KindInfo& kind, bool wide, std::string name_prefix);

  // Adds the rows of a server Table (columnDefinitions + rows). Columns come
  // from the first table added.
  void AddServerTable(const api::Json& table);
  // Formats one object as a row, with the kind's local printer columns.
  std::vector<std::string> RowFor(const api::Json& obj) const;

  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }
  // Header and rows, aligned. Empty string when there are no rows.
  std::string Render();
  // One more row aligned with what Render printed (for watch), preceded by
  // the header if none was printed yet.
  std::string RenderRow(const std::vector<std::string>& row);

 private:
  struct Column {
    std::string name;
    std::string type;
    bool shown = true;
  };
  std::vector<std::string> Cells(const api::Json& cells,
                                 const std::vector<Column>& columns) const;
  void EnsureWriter();

  const api::KindInfo& kind_;
  bool wide_;
  std::string name_prefix_;
  std::vector<Column> columns_;        // from the server table
  std::vector<Column> local_columns_;  // from api::PrinterColumns
  std::vector<std::vector<std::string>> rows_;
  std::unique_ptr<TableWriter> writer_;
  bool header_printed_ = false;
};

}  // namespace vigil::cli

#endif  // VIGIL_CLI_TABLE_H_
