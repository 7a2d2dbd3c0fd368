#include "controllers/core_ladder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::core {

const char* ToString(RecoveryAction action) {
  switch (action) {
    case RecoveryAction::kComponentRestart:
      return "ComponentRestart";
    case RecoveryAction::kComponentFailover:
      return "ComponentFailover";
    case RecoveryAction::kUnitRestart:
      return "UnitRestart";
    case RecoveryAction::kUnitFailover:
      return "UnitFailover";
    case RecoveryAction::kNodeFailover:
      return "NodeFailover";
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

namespace {

// Climbs the rungs from the failure's starting one, counting each use, and
// explains the outcome.
class Climber {
 public:
  Climber(RecoveryDecision& decision, absl::Time now)
      : decision_(decision), now_(now) {}

  void Climb(RecoveryAction from, Rung rung, RecoveryAction to,
             const char* where) {
    if (decision_.action != from) return;
    std::string why;
    if (UseRung(rung, now_, why)) {
      used_ = why;
      return;
    }
    absl::StrAppend(&escalated_, escalated_.empty() ? "" : "; ", "after ", why,
                    where);
    decision_.action = to;
  }

  std::string Reason(const ComponentFailure& failure) const {
    std::string detail = used_;
    if (!escalated_.empty()) {
      detail = detail.empty() ? escalated_
                              : absl::StrCat(detail, " (", escalated_, ")");
    }
    if (detail.empty()) {
      detail = decision_.action == failure.recommended ? "recommended recovery"
               : failure.disable_restart               ? "restart disabled"
                                         : "unit fails over as a whole";
    }
    return absl::StrCat(ToString(decision_.action), ": ", detail);
  }

 private:
  RecoveryDecision& decision_;
  absl::Time now_;
  std::string used_;       // the rung's count, when one was used
  std::string escalated_;  // why the failure climbed, if it did
};

}  // namespace

RecoveryDecision EscalateRecovery(const ComponentFailure& failure,
                                  const RecoveryLimits& limits,
                                  const RecoveryCounters& counters,
                                  absl::Time now) {
  RecoveryDecision decision{StartingRung(failure), counters, ""};
  RecoveryCounters& c = decision.counters;
  ExpireWindow(c.component_restarts, limits.component_restart_probation, now);
  ExpireWindow(c.unit_restarts, limits.unit_restart_probation, now);
  ExpireWindow(c.node_unit_failovers, limits.node_unit_failover_probation, now);
  Climber climber(decision, now);
  climber.Climb(RecoveryAction::kComponentRestart,
                {c.component_restarts, limits.component_restart_max,
                 limits.component_restart_probation, "component restart"},
                RecoveryAction::kUnitRestart, "");
  climber.Climb(RecoveryAction::kUnitRestart,
                {c.unit_restarts, limits.unit_restart_max,
                 limits.unit_restart_probation, "unit restart"},
                RecoveryAction::kUnitFailover, "");
  climber.Climb(RecoveryAction::kUnitFailover,
                {c.node_unit_failovers, limits.node_unit_failover_max,
                 limits.node_unit_failover_probation, "unit failover"},
                RecoveryAction::kNodeFailover, " on the node");
  decision.reason = climber.Reason(failure);
  return decision;
}

}  // namespace vigil::core
