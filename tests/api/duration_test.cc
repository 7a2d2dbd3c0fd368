#include "api/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigil::api {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, GoStyleDurations) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"0", 0},          {"0s", 0},           {"500ms", 500},     {"10s", 10000},
      {"2m", 120000},    {"1h", 3600000},     {"1h30m", 5400000}, {"1.5s", 1500},
      {"0.5s", 500},     {"1m30s500ms", 90500}, {"100ms", 100},   {".5s", 500},
      {"1.001s", 1001},  {"2h0m0s", 7200000}, {"1.5h", 5400000},  {"0.0001h", 360},
  };
  for (const auto& [text, millis] : cases) {
    absl::StatusOr<milliseconds> duration = ParseDuration(text);
    ASSERT_TRUE(duration.ok()) << text << ": " << duration.status();
    EXPECT_EQ(duration->count(), millis) << text;
  }
}

TEST(ParseDuration, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid duration \"\": empty"},
      {"10", "invalid duration \"10\": missing unit (one of ms, s, m, h)"},
      {"10x", "invalid duration \"10x\": unknown unit \"x\" (expected ms, s, m or h)"},
      {"10 s", "invalid duration \"10 s\": unknown unit \" s\" (expected ms, s, m or h)"},
      {"1d", "invalid duration \"1d\": unknown unit \"d\" (expected ms, s, m or h)"},
      {"10us", "invalid duration \"10us\": unknown unit \"us\" (expected ms, s, m or h)"},
      {"-1s", "invalid duration \"-1s\": must not be negative"},
      {"s", "invalid duration \"s\": expected a number"},
      {"1.s5", "invalid duration \"1.s5\": missing unit (one of ms, s, m, h)"},
      {"0.5ms", "invalid duration \"0.5ms\": finer than a millisecond"},
      {"1.0001s", "invalid duration \"1.0001s\": finer than a millisecond"},
      {"99999999999999999999h", "invalid duration \"99999999999999999999h\": too large"},
      {"999999h", "invalid duration \"999999h\": too large"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<milliseconds> duration = ParseDuration(text);
    ASSERT_FALSE(duration.ok()) << text;
    EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(duration.status().message(), message);
  }
}

TEST(FormatDuration, CompactAndRoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(10000)), "10s");
  EXPECT_EQ(FormatDuration(milliseconds(5400000)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(60500)), "1m500ms");
  EXPECT_EQ(FormatDuration(milliseconds(90061001)), "25h1m1s1ms");
  for (int64_t millis : {1LL, 999LL, 1000LL, 61001LL, 3600000LL, 86399999LL}) {
    EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(millis)))->count(), millis);
  }
}

}  // namespace
}  // namespace vigil::api
