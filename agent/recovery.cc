#include "agent/recovery.h"

namespace vigil::agent {

std::string_view ToString(LocalRecovery recovery) {
  switch (recovery) {
    case LocalRecovery::kRestartComponent:
      return "component restart";
    case LocalRecovery::kRestartUnit:
      return "unit restart";
    case LocalRecovery::kComponentFailover:
      return "component failover";
    case LocalRecovery::kUnitFailover:
      return "unit failover";
    case LocalRecovery::kNodeFailover:
      return "node failover";
  }
  return "?";
}

namespace {

// A unit failover, or the node failover it escalates to.
LocalRecovery UnitFailoverOrNode(const FailureContext& failure) {
  const bool node_limit_reached =
      failure.node_unit_failover_max.has_value() &&
      failure.node_unit_failovers_in_probation >= *failure.node_unit_failover_max;
  return node_limit_reached ? LocalRecovery::kNodeFailover : LocalRecovery::kUnitFailover;
}

}  // namespace

LocalRecovery DecideRecovery(const FailureContext& failure, const api::GroupRecovery& policy) {
  using api::RecoveryAction;
  if (failure.lifecycle_failure) return UnitFailoverOrNode(failure);
  RecoveryAction action = failure.recommended;
  if (action == RecoveryAction::kComponentRestart && failure.disable_restart) {
    action = RecoveryAction::kComponentFailover;
  }
  if (action == RecoveryAction::kComponentRestart) {
    if (failure.component_restarts_in_probation < policy.component_restart_max) {
      return LocalRecovery::kRestartComponent;
    }
    action = RecoveryAction::kUnitRestart;  // escalation
  }
  if (action == RecoveryAction::kUnitRestart) {
    if (failure.unit_restarts_in_probation < policy.unit_restart_max) {
      return LocalRecovery::kRestartUnit;
    }
    action = RecoveryAction::kUnitFailover;  // escalation
  }
  switch (action) {
    case RecoveryAction::kComponentFailover:
      return LocalRecovery::kComponentFailover;
    case RecoveryAction::kNodeFailover:
      return LocalRecovery::kNodeFailover;
    default:
      return UnitFailoverOrNode(failure);
  }
}

int CountWithin(std::deque<std::chrono::steady_clock::time_point>& times,
                std::chrono::milliseconds window, std::chrono::steady_clock::time_point now) {
  while (!times.empty() && now - times.front() >= window) times.pop_front();
  return static_cast<int>(times.size());
}

}  // namespace vigil::agent
