#include "controllers/core_ladder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::core {

const char* ToString(RecoveryAction action) {
  switch (action) {
    case RecoveryAction::kComponentRestart: return "ComponentRestart";
    case RecoveryAction::kComponentFailover: return "ComponentFailover";
    case RecoveryAction::kUnitRestart: return "UnitRestart";
    case RecoveryAction::kUnitFailover: return "UnitFailover";
    case RecoveryAction::kNodeFailover: return "NodeFailover";
  }
  return "?";
}

namespace {

// One rung's counter and limits.
struct Rung {
  ProbationCounter& counter;
  int max;
  absl::Duration probation;
  const char* what;  // "component restart"
};

void ExpireWindow(ProbationCounter& counter, absl::Duration probation,
                  absl::Time now) {
  if (counter.count > 0 && now >= counter.window_start + probation) {
    counter = ProbationCounter{};
  }
}

// Counts one more use of the rung. Returns false (and resets the counter)
// when the rung is exhausted and the failure must escalate.
bool UseRung(Rung rung, absl::Time now, std::string& reason) {
  int max = std::max(0, rung.max);
  if (rung.counter.count >= max) {
    reason = absl::StrCat(rung.counter.count, " ", rung.what, "s (max ", max,
                          ") within ", absl::FormatDuration(rung.probation));
    rung.counter = ProbationCounter{};
    return false;
  }
  if (rung.counter.count == 0) rung.counter.window_start = now;
  ++rung.counter.count;
  reason = absl::StrCat(rung.what, " ", rung.counter.count, "/", max,
                        " within ", absl::FormatDuration(rung.probation));
  return true;
}

RecoveryAction StartingRung(const ComponentFailure& failure) {
  RecoveryAction action = failure.recommended;
  if (action == RecoveryAction::kComponentRestart && failure.disable_restart) {
    action = RecoveryAction::kComponentFailover;
  }
  if (action == RecoveryAction::kComponentFailover && failure.unit_failover) {
    action = RecoveryAction::kUnitFailover;
  }
  return action;
}

}  // namespace

RecoveryDecision EscalateRecovery(const ComponentFailure& failure,
                                  const RecoveryLimits& limits,
                                  const RecoveryCounters& counters,
                                  absl::Time now) {
  RecoveryDecision decision{StartingRung(failure), counters, ""};
  RecoveryCounters& c = decision.counters;
  ExpireWindow(c.component_restarts, limits.component_restart_probation, now);
  ExpireWindow(c.unit_restarts, limits.unit_restart_probation, now);
  ExpireWindow(c.node_unit_failovers, limits.node_unit_failover_probation,
               now);
  Rung component{c.component_restarts, limits.component_restart_max,
                 limits.component_restart_probation, "component restart"};
  Rung unit{c.unit_restarts, limits.unit_restart_max,
            limits.unit_restart_probation, "unit restart"};
  Rung node{c.node_unit_failovers, limits.node_unit_failover_max,
            limits.node_unit_failover_probation, "unit failover"};
  std::string escalated;  // why the failure climbed, if it did
  std::string& reason = decision.reason;
  RecoveryAction& action = decision.action;
  if (action == RecoveryAction::kComponentRestart &&
      !UseRung(component, now, reason)) {
    escalated = absl::StrCat(escalated, "after ", reason, "; ");
    action = RecoveryAction::kUnitRestart;
  }
  if (action == RecoveryAction::kUnitRestart && !UseRung(unit, now, reason)) {
    escalated = absl::StrCat(escalated, "after ", reason, "; ");
    action = RecoveryAction::kUnitFailover;
  }
  if (action == RecoveryAction::kUnitFailover && !UseRung(node, now, reason)) {
    escalated = absl::StrCat(escalated, "after ", reason, " on the node; ");
    action = RecoveryAction::kNodeFailover;
  }
  if (action == RecoveryAction::kComponentFailover ||
      action == RecoveryAction::kNodeFailover) {
    reason = "";
  }
  decision.reason = absl::StrCat(ToString(action), ": ", escalated, reason);
  if (decision.reason.size() >= 2 &&
      decision.reason.substr(decision.reason.size() - 2) == ": ") {
    decision.reason.resize(decision.reason.size() - 2);
  }
  return decision;
}

}  // namespace vigil::core
