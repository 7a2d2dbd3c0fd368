// The AMF recovery ladder as the node agent applies it to a component
// failure: component restart, then unit restart, then failover, which the
// agent carries out by disabling the unit (the assignment controller moves
// its assignments), and node failover, which disables every unit of the
// node.
//
// Unit failovers (not component failovers) are counted per node: the
// (unitFailoverMax + 1)-th within the node's unitFailoverProbation becomes a
// node failover (AMF saAmfNodeSuFailoverMax), and so does a failure whose
// recommended recovery is NodeFailover.
//
// Thread safety: plain values; the functions are pure.
#ifndef VIGIL_AGENT_RECOVERY_H_
#define VIGIL_AGENT_RECOVERY_H_

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "api/types.h"

namespace vigil::agent {

enum class LocalRecovery {
  kRestartComponent,
  kRestartUnit,
  kComponentFailover,  // the unit's SIs move; not counted against the node
  kUnitFailover,       // counted against the node's unitFailoverMax
  kNodeFailover,       // every unit of the node fails over
};

std::string_view ToString(LocalRecovery recovery);

struct FailureContext {
  api::RecoveryAction recommended = api::RecoveryAction::kComponentRestart;
  bool disable_restart = false;
  // An instantiation or termination failure: the unit cannot be recovered
  // in place (AMF: the unit is disabled and failed over).
  bool lifecycle_failure = false;
  int component_restarts_in_probation = 0;
  int unit_restarts_in_probation = 0;
  // Unit failovers on the node within its unitFailoverProbation, and its
  // unitFailoverMax (nullopt: the Node is unknown, no node escalation).
  int node_unit_failovers_in_probation = 0;
  std::optional<int64_t> node_unit_failover_max{};
};

// The recovery to apply now. ComponentRestart escalates to UnitRestart once
// componentRestartMax restarts happened within componentRestartProbation,
// and UnitRestart to UnitFailover once unitRestartMax unit restarts happened
// within unitRestartProbation; UnitFailover to NodeFailover once the node
// saw unitFailoverMax unit failovers within its probation. disableRestart
// turns a component restart into a component failover. An instantiation or
// termination failure is a unit failover.
LocalRecovery DecideRecovery(const FailureContext& failure, const api::GroupRecovery& policy);

// Counts the entries of `times` within `window` before `now`, dropping
// older ones.
int CountWithin(std::deque<std::chrono::steady_clock::time_point>& times,
                std::chrono::milliseconds window, std::chrono::steady_clock::time_point now);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_RECOVERY_H_
