// The local rungs of the AMF recovery ladder, as the node agent applies
// them to a component failure: component restart, then unit restart, then
// (beyond the agent's reach) failover, which the agent reports by disabling
// the unit so the assignment controller moves its assignments.
//
// Thread safety: plain values; the functions are pure.
#ifndef VIGIL_AGENT_RECOVERY_H_
#define VIGIL_AGENT_RECOVERY_H_

#include <chrono>
#include <deque>
#include <string>

#include "api/types.h"

namespace vigil::agent {

enum class LocalRecovery { kRestartComponent, kRestartUnit, kFailover };

std::string_view ToString(LocalRecovery recovery);

struct FailureContext {
  api::RecoveryAction recommended = api::RecoveryAction::kComponentRestart;
  bool disable_restart = false;
  // An instantiation or termination failure: the unit cannot be recovered
  // in place (AMF: the unit is disabled and failed over).
  bool lifecycle_failure = false;
  int component_restarts_in_probation = 0;
  int unit_restarts_in_probation = 0;
};

// The recovery to apply now. ComponentRestart escalates to UnitRestart once
// componentRestartMax restarts happened within componentRestartProbation,
// and UnitRestart to failover once unitRestartMax unit restarts happened
// within unitRestartProbation. disableRestart turns a component restart into
// a failover. ComponentFailover, UnitFailover and NodeFailover are failovers
// (the agent has no finer unit than the unit; a node failover is the node
// controller's, which sees the disabled unit too).
LocalRecovery DecideRecovery(const FailureContext& failure, const api::GroupRecovery& policy);

// Counts the entries of `times` within `window` before `now`, dropping
// older ones.
int CountWithin(std::deque<std::chrono::steady_clock::time_point>& times,
                std::chrono::milliseconds window, std::chrono::steady_clock::time_point now);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_RECOVERY_H_
