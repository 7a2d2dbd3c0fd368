#include "agent/recovery.h"

namespace vigil::agent {

std::string_view ToString(LocalRecovery recovery) {
  switch (recovery) {
    case LocalRecovery::kRestartComponent:
      return "component restart";
    case LocalRecovery::kRestartUnit:
      return "unit restart";
    case LocalRecovery::kFailover:
      return "failover";
  }
  return "?";
}

LocalRecovery DecideRecovery(const FailureContext& failure, const api::GroupRecovery& policy) {
  using api::RecoveryAction;
  if (failure.lifecycle_failure) return LocalRecovery::kFailover;
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
  }
  return LocalRecovery::kFailover;
}

int CountWithin(std::deque<std::chrono::steady_clock::time_point>& times,
                std::chrono::milliseconds window, std::chrono::steady_clock::time_point now) {
  while (!times.empty() && now - times.front() >= window) times.pop_front();
  return static_cast<int>(times.size());
}

}  // namespace vigil::agent
