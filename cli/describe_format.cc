#include "cli/describe_format.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

using api::Json;

bool IsUserMap(std::string_view key) {
  return key == "labels" || key == "annotations" || key == "attributes" ||
         key == "env";
}

bool IsScalar(const Json& value) {
  return !value.is_object() && !value.is_array();
}

std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "<none>";
  return value.dump();
}

bool IsScalarList(const Json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return IsScalar(v); });
}

std::string Pad(int indent) { return std::string(static_cast<size_t>(indent), ' '); }

void AppendEntries(const Json& map, int indent, bool verbatim_keys,
                   const std::vector<std::string>& skip, std::string* out);

void AppendEntry(const std::string& label, size_t width, const std::string& key,
                 const Json& value, int indent, std::string* out) {
  std::string head = Pad(indent) + label + ":";
  if (IsScalar(value) || IsScalarList(value) || value.empty()) {
    std::string text = value.is_array()
                           ? absl::StrJoin(value, ", ", [](std::string* s, const Json& v) {
                               s->append(ScalarText(v));
                             })
                           : (value.is_object() ? "<none>" : ScalarText(value));
    if (value.is_array() && value.empty()) text = "<none>";
    absl::StrAppend(out, head, std::string(width - label.size() + 2, ' '), text, "\n");
    return;
  }
  absl::StrAppend(out, head, "\n");
  if (value.is_object()) {
    AppendEntries(value, indent + 2, IsUserMap(key), {}, out);
    return;
  }
  for (const Json& item : value) {  // a list of maps: one block per item
    std::string block;
    AppendEntries(item, indent + 4, false, {}, &block);
    if (block.size() > static_cast<size_t>(indent + 4)) {
      block.replace(static_cast<size_t>(indent + 2), 2, "- ");
    }
    out->append(block);
  }
}

void AppendEntries(const Json& map, int indent, bool verbatim_keys,
                   const std::vector<std::string>& skip, std::string* out) {
  if (!map.is_object()) {
    absl::StrAppend(out, Pad(indent), ScalarText(map), "\n");
    return;
  }
  std::vector<std::pair<std::string, std::string>> labels;  // label, key
  size_t width = 0;
  for (const auto& [key, value] : map.items()) {
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    labels.emplace_back(verbatim_keys ? key : HumanizeKey(key), key);
    width = std::max(width, labels.back().first.size());
  }
  for (const auto& [label, key] : labels) {
    AppendEntry(label, width, key, map[key], indent, out);
  }
}

}  // namespace

std::string HumanizeKey(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    const bool upper = std::isupper(static_cast<unsigned char>(key[i]));
    const bool prev_lower = i > 0 && std::islower(static_cast<unsigned char>(key[i - 1]));
    const bool next_lower = i + 1 < key.size() &&
                            std::islower(static_cast<unsigned char>(key[i + 1]));
    const bool prev_upper = i > 0 && std::isupper(static_cast<unsigned char>(key[i - 1]));
    if (upper && i > 0 && (prev_lower || (prev_upper && next_lower))) out += ' ';
    out += i == 0 ? static_cast<char>(std::toupper(static_cast<unsigned char>(key[i])))
                  : key[i];
  }
  return out;
}

std::string DescribeValue(const Json& value, int indent,
                          const std::vector<std::string>& skip) {
  std::string out;
  AppendEntries(value, indent, false, skip, &out);
  return out;
}

std::string DescribeTable(const std::vector<std::string>& headers,
                          const std::vector<std::vector<std::string>>& rows,
                          int indent) {
  std::vector<size_t> widths(headers.size(), 0);
  auto fit = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  fit(headers);
  for (const auto& row : rows) fit(row);
  std::vector<std::string> dashes;
  for (const std::string& h : headers) dashes.push_back(std::string(h.size(), '-'));
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string text = Pad(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);
    return text + "\n";
  };
  out += line(headers) + line(dashes);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string DescribeConditions(const Json& conditions) {
  if (!conditions.is_array() || conditions.empty()) return "Conditions:  <none>\n";
  std::vector<std::vector<std::string>> rows;
  for (const Json& c : conditions) {
    if (!c.is_object()) continue;
    std::string since = c.value("lastTransitionTime", "");
    rows.push_back({c.value("type", ""), c.value("status", ""),
                    c.value("reason", ""), since.empty() ? "" : AgeOf(since),
                    c.value("message", "")});
  }
  return "Conditions:\n" +
         DescribeTable({"Type", "Status", "Reason", "Age", "Message"}, rows, 2);
}

}  // namespace vigil::cli
