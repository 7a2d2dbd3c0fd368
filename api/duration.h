// Durations as Vigil manifests write them: Go-style strings such as "500ms",
// "10s", "2m", "1h30m", "1.5s".
//
// Thread safety: pure functions.
#ifndef VIGIL_API_DURATION_H_
#define VIGIL_API_DURATION_H_

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vigil::api {

// Parses a sequence of decimal numbers, each with a unit (ms, s, m, h), e.g.
// "1h30m", "500ms", "0.5s". "0" alone is zero. Durations are non-negative and
// counted in whole milliseconds.
// Errors: InvalidArgument naming the problem (empty, missing or unknown unit,
// negative, finer than a millisecond, too large).
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Formats a duration so that ParseDuration reads it back, omitting zero
// units: "0s", "500ms", "10s", "1h30m", "1m500ms".
// REQUIRES: duration >= 0.
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace vigil::api

#endif  // VIGIL_API_DURATION_H_
