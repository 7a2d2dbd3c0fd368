#include "api/duration.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

// The longest duration accepted: ten years, far beyond any timeout, and far
// from int64 overflow.
constexpr int64_t kMaxMillis = int64_t{10} * 365 * 24 * 3600 * 1000;

// Milliseconds per unit, or 0 for an unknown unit.
int64_t UnitMillis(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 3600 * 1000;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status DurationError(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      Cat("invalid duration \"", text, "\": ", why));
}

// Parses one "<number><unit>" term at text[*pos], adding its value in
// milliseconds (times 1000, to detect sub-millisecond fractions) to *micros.
absl::Status ParseTerm(std::string_view text, size_t* pos, int64_t* micros) {
  int64_t whole = 0, fraction = 0, fraction_scale = 1;
  size_t start = *pos;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    whole = whole * 10 + (text[*pos] - '0');
    if (whole > kMaxMillis) return DurationError(text, "too large");
    ++*pos;
  }
  bool has_whole = *pos > start;
  bool has_fraction = false;
  if (*pos < text.size() && text[*pos] == '.') {
    ++*pos;
    while (*pos < text.size() && IsDigit(text[*pos])) {
      if (fraction_scale < 1000000) {
        fraction = fraction * 10 + (text[*pos] - '0');
        fraction_scale *= 10;
      } else if (text[*pos] != '0') {
        return DurationError(text, "finer than a millisecond");
      }
      has_fraction = true;
      ++*pos;
    }
  }
  if (!has_whole && !has_fraction) return DurationError(text, "expected a number");
  size_t unit_start = *pos;
  while (*pos < text.size() && !IsDigit(text[*pos]) && text[*pos] != '.') ++*pos;
  std::string_view unit = text.substr(unit_start, *pos - unit_start);
  if (unit.empty()) {
    return DurationError(text, "missing unit (one of ms, s, m, h)");
  }
  int64_t unit_millis = UnitMillis(unit);
  if (unit_millis == 0) {
    return DurationError(text, Cat("unknown unit \"", unit,
                                            "\" (expected ms, s, m or h)"));
  }
  if (whole > kMaxMillis / unit_millis) return DurationError(text, "too large");
  *micros += whole * unit_millis * 1000 + fraction * unit_millis * 1000 / fraction_scale;
  if (*micros > kMaxMillis * 1000) return DurationError(text, "too large");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return DurationError(text, "empty");
  if (text == "0") return std::chrono::milliseconds(0);
  if (text[0] == '-') return DurationError(text, "must not be negative");
  int64_t micros = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    absl::Status status = ParseTerm(text, &pos, &micros);
    if (!status.ok()) return status;
  }
  if (micros % 1000 != 0) return DurationError(text, "finer than a millisecond");
  return std::chrono::milliseconds(micros / 1000);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms <= 0) return "0s";
  std::string out;
  const int64_t hours = ms / 3600000, minutes = ms / 60000 % 60,
                seconds = ms / 1000 % 60, millis = ms % 1000;
  if (hours > 0) Append(&out, hours, "h");
  if (minutes > 0) Append(&out, minutes, "m");
  if (seconds > 0) Append(&out, seconds, "s");
  if (millis > 0) Append(&out, millis, "ms");
  return out;
}

}  // namespace vigil::api
