// The recovery ladder: escalation through probation counters.
#include "controllers/core_ladder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace vigil::core {
namespace {

using ::testing::HasSubstr;

absl::Time T(int seconds) { return absl::FromUnixSeconds(1'000'000 + seconds); }

RecoveryLimits Limits() {
  RecoveryLimits limits;
  limits.component_restart_max = 2;
  limits.component_restart_probation = absl::Seconds(60);
  limits.unit_restart_max = 1;
  limits.unit_restart_probation = absl::Seconds(600);
  limits.node_unit_failover_max = 1;
  limits.node_unit_failover_probation = absl::Seconds(600);
  return limits;
}

// Feeds `failures` (seconds since start) through the ladder, carrying the
// counters, and returns the actions taken.
std::vector<RecoveryAction> Climb(const ComponentFailure& failure,
                                  const RecoveryLimits& limits,
                                  const std::vector<int>& failures) {
  RecoveryCounters counters;
  std::vector<RecoveryAction> actions;
  for (int at : failures) {
    RecoveryDecision d = EscalateRecovery(failure, limits, counters, T(at));
    actions.push_back(d.action);
    counters = d.counters;
  }
  return actions;
}

using A = RecoveryAction;

struct LadderCase {
  const char* name;
  ComponentFailure failure;
  std::vector<int> failures;  // seconds
  std::vector<RecoveryAction> expected;
};

class Ladder : public ::testing::TestWithParam<LadderCase> {};

TEST_P(Ladder, Escalates) {
  const LadderCase& c = GetParam();
  EXPECT_EQ(Climb(c.failure, Limits(), c.failures), c.expected) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Ladder,
    ::testing::Values(
        LadderCase{"restarts within max",
                   {},
                   {0, 10},
                   {A::kComponentRestart, A::kComponentRestart}},
        LadderCase{
            "full climb within the windows",
            {},
            {0, 1, 2, 3, 4, 5, 6, 7},
            {A::kComponentRestart, A::kComponentRestart, A::kUnitRestart,
             A::kComponentRestart, A::kComponentRestart, A::kUnitFailover,
             A::kComponentRestart, A::kComponentRestart}},
        LadderCase{"component window expires",
                   {},
                   {0, 10, 70, 80},
                   {A::kComponentRestart, A::kComponentRestart,
                    A::kComponentRestart, A::kComponentRestart}},
        LadderCase{"disableRestart fails the component over",
                   {A::kComponentRestart, true, false},
                   {0, 1},
                   {A::kComponentFailover, A::kComponentFailover}},
        LadderCase{"unit failover flag escalates component failover",
                   {A::kComponentFailover, false, true},
                   {0, 1},
                   {A::kUnitFailover, A::kNodeFailover}},
        LadderCase{"unit restart recommended",
                   {A::kUnitRestart, false, false},
                   {0, 1, 2},
                   {A::kUnitRestart, A::kUnitFailover, A::kUnitRestart}},
        LadderCase{"node failover window expires",
                   {A::kUnitFailover, false, false},
                   {0, 700, 701},
                   {A::kUnitFailover, A::kUnitFailover, A::kNodeFailover}},
        LadderCase{"node failover recommended",
                   {A::kNodeFailover, false, false},
                   {0},
                   {A::kNodeFailover}}),
    [](const ::testing::TestParamInfo<LadderCase>& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(LadderCounters, CountWithinWindowAndResetOnEscalation) {
  RecoveryLimits limits = Limits();
  RecoveryCounters counters;
  RecoveryDecision d = EscalateRecovery({}, limits, counters, T(5));
  EXPECT_EQ(d.counters.component_restarts.count, 1);
  EXPECT_EQ(d.counters.component_restarts.window_start, T(5));
  EXPECT_EQ(d.reason, "ComponentRestart: component restart 1/2 within 1m");
  d = EscalateRecovery({}, limits, d.counters, T(6));
  d = EscalateRecovery({}, limits, d.counters, T(7));
  EXPECT_EQ(d.action, A::kUnitRestart);
  EXPECT_EQ(d.counters.component_restarts.count, 0);
  EXPECT_EQ(d.counters.unit_restarts.count, 1);
  EXPECT_EQ(d.reason,
            "UnitRestart: unit restart 1/1 within 10m (after 2 component "
            "restarts (max 2) within 1m)");
}

TEST(LadderCounters, ReasonsSayWhy) {
  RecoveryLimits limits = Limits();
  RecoveryDecision d =
      EscalateRecovery({A::kComponentRestart, true, false}, limits, {}, T(0));
  EXPECT_EQ(d.reason, "ComponentFailover: restart disabled");
  d = EscalateRecovery({A::kNodeFailover, false, false}, limits, {}, T(0));
  EXPECT_EQ(d.reason, "NodeFailover: recommended recovery");
  RecoveryCounters full;
  full.node_unit_failovers = {1, T(0)};
  d = EscalateRecovery({A::kUnitFailover, false, false}, limits, full, T(1));
  EXPECT_EQ(d.reason,
            "NodeFailover: after 1 unit failovers (max 1) within 10m on the "
            "node");
  full.unit_restarts = {1, T(0)};
  d = EscalateRecovery({A::kUnitRestart, false, false}, limits, full, T(1));
  EXPECT_EQ(d.action, A::kNodeFailover);
  EXPECT_EQ(d.reason,
            "NodeFailover: after 1 unit restarts (max 1) within 10m; after 1 "
            "unit failovers (max 1) within 10m on the node");
}

TEST(LadderCounters, ZeroMaximumEscalatesAtOnce) {
  RecoveryLimits limits = Limits();
  limits.component_restart_max = 0;
  limits.unit_restart_max = 0;
  RecoveryDecision d = EscalateRecovery({}, limits, {}, T(0));
  EXPECT_EQ(d.action, A::kUnitFailover);
  EXPECT_EQ(d.counters.node_unit_failovers.count, 1);
}

}  // namespace
}  // namespace vigil::core
