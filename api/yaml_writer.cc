// ToYaml: block-style YAML in the shape kubectl prints.
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/yaml_scalars.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

void Indent(int width, std::string& out) { out.append(width, ' '); }

// A YAML double-quoted scalar. Escapes what YAML does not allow raw there,
// and the Unicode line breaks (NEL, LS, PS) that would otherwise be folded
// (as \u escapes: yaml-cpp decodes \N, \L and \P wrongly).
std::string DoubleQuoted(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::string_view rest = text.substr(i);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02X", c);
    } else if (rest.rfind("\xC2\x85", 0) == 0) {
      out += "\\u0085";
      i += 1;
    } else if (rest.rfind("\xE2\x80\xA8", 0) == 0 || rest.rfind("\xE2\x80\xA9", 0) == 0) {
      out += rest[2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else if (rest.rfind("\xEF\xBB\xBF", 0) == 0) {
      out += "\\uFEFF";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

bool HasUnicodeBreak(std::string_view text) {
  return text.find("\xC2\x85") != std::string_view::npos ||
         text.find("\xE2\x80\xA8") != std::string_view::npos ||
         text.find("\xE2\x80\xA9") != std::string_view::npos ||
         text.find("\xEF\xBB\xBF") != std::string_view::npos;
}

// Multi-line text reads best as a literal block; it can be one when it
// starts with a visible character and holds no control characters besides
// line feeds and tabs.
bool FitsLiteralBlock(std::string_view text) {
  if (text.find('\n') == std::string_view::npos) return false;
  if (text[0] == ' ' || text[0] == '\t' || text[0] == '\n') return false;
  if (HasUnicodeBreak(text)) return false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string StringScalar(std::string_view text) {
  if (NeedsQuoting(text) || HasUnicodeBreak(text)) return DoubleQuoted(text);
  return std::string(text);
}

// Writes `|`, `|-` or `|+` and the lines of `text` at `indent`.
void LiteralBlock(std::string_view text, int indent, std::string& out) {
  size_t content_end = text.find_last_not_of('\n') + 1;
  size_t trailing_breaks = text.size() - content_end;
  out += trailing_breaks == 0 ? "|-\n" : trailing_breaks == 1 ? "|\n" : "|+\n";
  for (absl::string_view line : absl::StrSplit(ToAbsl(text.substr(0, content_end)), '\n')) {
    if (!line.empty()) {
      Indent(indent, out);
      out.append(line.data(), line.size());
    }
    out += '\n';
  }
  for (size_t i = 1; i < trailing_breaks; ++i) out += '\n';
}

std::string Scalar(const Json& value) {
  if (value.is_string()) return StringScalar(value.get_ref<const std::string&>());
  if (value.is_object()) return "{}";
  if (value.is_array()) return "[]";
  return value.dump();
}

bool IsNonEmptyContainer(const Json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

void EmitNode(const Json& value, int indent, bool first_line_indented,
              std::string& out);

// Writes what follows "key:" or "-": a nested block, or " scalar".
void EmitAfterIndicator(const Json& value, int child_indent, bool is_map_entry,
                        std::string& out) {
  if (value.is_object() && !value.empty()) {
    if (is_map_entry) {
      out += '\n';
      EmitNode(value, child_indent, false, out);
    } else {
      out += ' ';
      EmitNode(value, child_indent, true, out);
    }
  } else if (value.is_array() && !value.empty()) {
    if (is_map_entry) {
      out += '\n';
      EmitNode(value, child_indent - 2, false, out);  // kubectl style
    } else {
      out += ' ';
      EmitNode(value, child_indent, true, out);
    }
  } else if (value.is_string() && FitsLiteralBlock(value.get_ref<const std::string&>())) {
    out += ' ';
    LiteralBlock(value.get_ref<const std::string&>(), child_indent, out);
  } else {
    out += ' ';
    out += Scalar(value);
    out += '\n';
  }
}

// Writes a non-empty object or array whose entries start at column `indent`;
// the first entry's indentation is already written if first_line_indented.
void EmitNode(const Json& value, int indent, bool first_line_indented,
              std::string& out) {
  bool first = true;
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (!(first && first_line_indented)) Indent(indent, out);
      first = false;
      out += StringScalar(key);
      out += ':';
      EmitAfterIndicator(child, indent + 2, true, out);
    }
    return;
  }
  for (const Json& child : value) {
    if (!(first && first_line_indented)) Indent(indent, out);
    first = false;
    out += '-';
    EmitAfterIndicator(child, indent + 2, false, out);
  }
}

}  // namespace

std::string ToYaml(const Json& value) {
  std::string out;
  if (IsNonEmptyContainer(value)) {
    EmitNode(value, 0, false, out);
  } else if (value.is_string() && FitsLiteralBlock(value.get_ref<const std::string&>())) {
    LiteralBlock(value.get_ref<const std::string&>(), 2, out);
  } else {
    out = Scalar(value) + "\n";
  }
  return out;
}

}  // namespace vigil::api
