// The recovery ladder as the agent decides it (agent/recovery.h).
#include "agent/recovery.h"

#include <gtest/gtest.h>

namespace vigil::agent {
namespace {

using api::RecoveryAction;

api::GroupRecovery Policy() {
  api::GroupRecovery policy;
  policy.component_restart_max = 2;
  policy.unit_restart_max = 1;
  return policy;
}

FailureContext Failure(RecoveryAction recommended) {
  FailureContext failure;
  failure.recommended = recommended;
  failure.node_unit_failover_max = 2;
  return failure;
}

TEST(DecideRecoveryTest, ClimbsFromComponentRestartToUnitFailover) {
  FailureContext failure = Failure(RecoveryAction::kComponentRestart);
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kRestartComponent);
  failure.component_restarts_in_probation = 2;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kRestartUnit);
  failure.unit_restarts_in_probation = 1;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kUnitFailover);
}

TEST(DecideRecoveryTest, UnitFailoversBeyondTheNodesMaxBecomeANodeFailover) {
  FailureContext failure = Failure(RecoveryAction::kUnitFailover);
  failure.node_unit_failovers_in_probation = 1;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kUnitFailover);
  failure.node_unit_failovers_in_probation = 2;  // the third within the probation
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kNodeFailover);
  failure.node_unit_failover_max.reset();  // node unknown: no node escalation
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kUnitFailover);
}

TEST(DecideRecoveryTest, ComponentFailoverIsNotCountedAndNodeFailoverIsTaken) {
  FailureContext failure = Failure(RecoveryAction::kComponentFailover);
  failure.node_unit_failovers_in_probation = 5;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kComponentFailover);
  failure = Failure(RecoveryAction::kComponentRestart);
  failure.disable_restart = true;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kComponentFailover);
  EXPECT_EQ(DecideRecovery(Failure(RecoveryAction::kNodeFailover), Policy()),
            LocalRecovery::kNodeFailover);
}

TEST(DecideRecoveryTest, InstantiationFailureIsAUnitFailover) {
  FailureContext failure = Failure(RecoveryAction::kComponentRestart);
  failure.lifecycle_failure = true;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kUnitFailover);
  failure.node_unit_failovers_in_probation = 2;
  EXPECT_EQ(DecideRecovery(failure, Policy()), LocalRecovery::kNodeFailover);
}

}  // namespace
}  // namespace vigil::agent
