// The recovery ladder: which recovery a component failure gets, escalating
// with the AMF's probation counters.
//
// A failure starts at the component's recommended recovery (ComponentRestart
// becomes ComponentFailover when disableRestart is set; ComponentFailover
// becomes UnitFailover when the unit's `failover` flag is set) and climbs:
//
//   ComponentRestart → UnitRestart → UnitFailover → NodeFailover
//
// Each rung allows `max` uses within its probation window: the
// (component_restart_max + 1)-th component restart in a window becomes a
// unit restart, the (unit_restart_max + 1)-th unit restart a unit failover,
// and the (node_unit_failover_max + 1)-th unit failover on one node a node
// failover. A window opens at the first event counted in it; when it has
// run its probation the counter starts again from zero. Escalating resets
// the counter of the rung left behind. Component restarts and unit restarts
// are counted per unit (the SG's recovery limits), unit failovers per node
// (the node's limits). ComponentFailover moves the SIs the component serves
// (in Vigil, its unit's SIs) without counting as a unit failover.
//
// Thread safety: pure function.
#ifndef VIGIL_CONTROLLERS_CORE_LADDER_H_
#define VIGIL_CONTROLLERS_CORE_LADDER_H_

#include <string>

#include "absl/time/time.h"

namespace vigil::core {

enum class RecoveryAction {
  kComponentRestart,
  kComponentFailover,
  kUnitRestart,
  kUnitFailover,
  kNodeFailover,
};

const char* ToString(RecoveryAction action);

struct RecoveryLimits {
  int component_restart_max = 3;  // ServiceGroup spec.recovery
  absl::Duration component_restart_probation = absl::Seconds(60);
  int unit_restart_max = 2;
  absl::Duration unit_restart_probation = absl::Minutes(10);
  int node_unit_failover_max = 3;  // Node spec.unitFailoverMax
  absl::Duration node_unit_failover_probation = absl::Minutes(10);
};

// Events counted within one probation window.
struct ProbationCounter {
  int count = 0;
  absl::Time window_start = absl::InfinitePast();
};

struct RecoveryCounters {
  ProbationCounter component_restarts;   // of the failed component's unit
  ProbationCounter unit_restarts;        // of the failed component's unit
  ProbationCounter node_unit_failovers;  // of the unit's node
};

struct ComponentFailure {
  RecoveryAction recommended = RecoveryAction::kComponentRestart;
  bool disable_restart = false;  // Component spec.disableRestart
  bool unit_failover = false;    // ServiceUnit spec.failover
};

struct RecoveryDecision {
  RecoveryAction action = RecoveryAction::kComponentRestart;
  RecoveryCounters counters;  // to store for the next failure
  std::string reason;         // "unit restart: 4th component restart in 60s"
};

// The recovery for `failure` at `now`, given the current counters. Negative
// maxima count as zero (escalate at once).
RecoveryDecision EscalateRecovery(const ComponentFailure& failure,
                                  const RecoveryLimits& limits,
                                  const RecoveryCounters& counters,
                                  absl::Time now);

}  // namespace vigil::core

#endif  // VIGIL_CONTROLLERS_CORE_LADDER_H_
