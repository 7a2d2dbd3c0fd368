#include "cli/unified_diff.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include <string_view>

namespace vigil::cli {
namespace {

// One line of the edit script: ' ' kept, '-' removed, '+' added.
struct Edit {
  char op;
  std::string_view line;
};

std::vector<std::string_view> Lines(const std::string& text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  return lines;
}

// Edit script from a longest-common-subsequence table (O(n*m); objects
// render to at most a few hundred lines).
std::vector<Edit> EditScript(const std::vector<std::string_view>& a,
                             const std::vector<std::string_view>& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1
                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Edit> edits;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      edits.push_back({' ', a[i++]});
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      edits.push_back({'-', a[i++]});  // removals first, as diff prints them
    } else {
      edits.push_back({'+', b[j++]});
    }
  }
  return edits;
}

std::string Range(size_t start, size_t count) {
  // diff -u numbers an empty range by the line before it.
  if (count == 0) return absl::StrCat(start, ",0");
  if (count == 1) return absl::StrCat(start + 1);
  return absl::StrCat(start + 1, ",", count);
}

// Prints edits[begin, end) as one hunk; from_line/to_line are the 0-based
// line numbers at `begin`.
std::string Hunk(const std::vector<Edit>& edits, size_t begin, size_t end,
                 size_t from_line, size_t to_line) {
  size_t from_count = 0, to_count = 0;
  std::string body;
  for (size_t k = begin; k < end; ++k) {
    if (edits[k].op != '+') ++from_count;
    if (edits[k].op != '-') ++to_count;
    body += edits[k].op;
    body.append(edits[k].line);
    body += '\n';
  }
  return absl::StrCat("@@ -", Range(from_line, from_count), " +",
                      Range(to_line, to_count), " @@\n", body);
}

}  // namespace

std::string UnifiedDiff(const std::string& from, const std::string& to,
                        const std::string& from_name, const std::string& to_name,
                        int context) {
  const std::vector<Edit> edits = EditScript(Lines(from), Lines(to));
  const size_t ctx = static_cast<size_t>(context);
  std::string out;
  size_t k = 0, from_line = 0, to_line = 0;
  while (k < edits.size()) {
    size_t change = k;
    while (change < edits.size() && edits[change].op == ' ') ++change;
    if (change == edits.size()) break;
    // Start `ctx` lines before the change; extend while changes are close.
    size_t begin = change - std::min(ctx, change - k);
    size_t end = change;
    size_t quiet = 0;
    while (end < edits.size() && quiet <= 2 * ctx) {
      quiet = edits[end].op == ' ' ? quiet + 1 : 0;
      ++end;
    }
    if (quiet > ctx) end -= quiet - ctx;
    for (; k < begin; ++k) { ++from_line; ++to_line; }
    size_t from_at = from_line, to_at = to_line;
    for (; k < end; ++k) {
      if (edits[k].op != '+') ++from_line;
      if (edits[k].op != '-') ++to_line;
    }
    out += Hunk(edits, begin, end, from_at, to_at);
  }
  if (out.empty()) return "";
  return absl::StrCat("--- ", from_name, "\n+++ ", to_name, "\n", out);
}

}  // namespace vigil::cli
