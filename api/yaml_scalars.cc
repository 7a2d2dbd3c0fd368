#include "api/yaml_scalars.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [base](char c) {
    if (base == 16) return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (base == 8) return c >= '0' && c <= '7';
    return c >= '0' && c <= '9';
  });
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ ; nullopt-like null Json otherwise.
Json ResolveInteger(std::string_view text) {
  int base = 10;
  std::string_view digits = text;
  bool negative = false;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    digits = text.substr(2);
  } else if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    digits = text.substr(1);
  }
  if (!IsDigits(digits, base)) return nullptr;
  errno = 0;
  std::string buffer(digits);
  unsigned long long magnitude = std::strtoull(buffer.c_str(), nullptr, base);
  if (errno == ERANGE) return std::strtod(std::string(text).c_str(), nullptr);
  if (!negative) {
    if (magnitude <= static_cast<unsigned long long>(INT64_MAX)) {
      return static_cast<int64_t>(magnitude);
    }
    return static_cast<uint64_t>(magnitude);
  }
  if (magnitude <= static_cast<unsigned long long>(INT64_MAX) + 1) {
    return static_cast<int64_t>(0 - magnitude);
  }
  return -static_cast<double>(magnitude);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool IsOneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), text) != words.end();
}

bool IsNullWord(std::string_view t) { return IsOneOf(t, {"", "~", "null", "Null", "NULL"}); }
bool IsTrueWord(std::string_view t) { return IsOneOf(t, {"true", "True", "TRUE"}); }
bool IsFalseWord(std::string_view t) { return IsOneOf(t, {"false", "False", "FALSE"}); }

// YAML 1.1 booleans that some readers (Go's yaml.v2, hence kubectl) still
// honour, compared case-insensitively.
bool IsYaml11Word(std::string_view t) {
  std::string lower = absl::AsciiStrToLower(ToAbsl(t));
  return IsOneOf(lower, {"y", "n", "yes", "no", "on", "off", "true", "false",
                         "null", "~", ".inf", "-.inf", "+.inf", ".nan", "<<", "="});
}

// Anything that starts like a number: digits, signs and dots with hex, octal,
// exponent or sexagesimal (YAML 1.1 "1:20") characters.
bool LooksNumeric(std::string_view t) {
  if (t.empty()) return false;
  char first = t[0];
  if (!(std::isdigit(static_cast<unsigned char>(first)) || first == '-' ||
        first == '+' || first == '.')) {
    return false;
  }
  bool has_digit = false;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      has_digit = true;
    } else if (!std::isxdigit(static_cast<unsigned char>(c)) &&
               std::string_view("xXoO+-._:").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return has_digit;
}

bool HasUnsafeCharacter(std::string_view t) {
  for (char c : t) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;  // controls, tab, line breaks
    if (std::string_view("{}[],\"'`").find(c) != std::string_view::npos) {
      return true;
    }
  }
  return t.find(": ") != std::string_view::npos ||
         t.find(" #") != std::string_view::npos;
}

bool HasUnsafeStart(std::string_view t) {
  char first = t.front();
  if (first == ' ' || t.back() == ' ' || t.back() == ':') return true;
  if (std::string_view("?:#&*!|>%@").find(first) != std::string_view::npos) {
    return true;
  }
  // "-x" is plain, but "-", "- x" and "---" are not.
  if (first == '-') return t.size() == 1 || t[1] == ' ' || t.rfind("---", 0) == 0;
  return t.rfind("...", 0) == 0;
}

}  // namespace

Json ResolvePlainScalar(std::string_view text) {
  if (IsNullWord(text)) return nullptr;
  if (IsTrueWord(text)) return true;
  if (IsFalseWord(text)) return false;
  Json integer = ResolveInteger(text);
  if (!integer.is_null()) return integer;
  if (IsFloat(text)) return std::strtod(std::string(text).c_str(), nullptr);
  return std::string(text);
}

bool NeedsQuoting(std::string_view text) {
  if (text.empty()) return true;
  if (!ResolvePlainScalar(text).is_string()) return true;
  if (IsYaml11Word(text) || LooksNumeric(text)) return true;
  return HasUnsafeStart(text) || HasUnsafeCharacter(text);
}

}  // namespace vigil::api
