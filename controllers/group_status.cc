#include "controllers/group_status.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::controllers {

void SetCondition(std::vector<api::Condition>& conditions, api::Condition wanted,
                  absl::Time now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const api::Condition& c) { return c.type == wanted.type; });
  if (it != conditions.end() && it->status == wanted.status &&
      !it->last_transition_time.empty()) {
    wanted.last_transition_time = it->last_transition_time;
  } else {
    wanted.last_transition_time = Rfc3339Millis(now);
  }
  if (it == conditions.end()) {
    conditions.push_back(std::move(wanted));
  } else {
    *it = std::move(wanted);
  }
}

int WantedActives(core::RedundancyModel model, const api::ServiceInstance& si) {
  if (model != core::RedundancyModel::kNWayActive) return 1;
  return static_cast<int>(std::max<int64_t>(1, si.spec.preferred_active_assignments));
}

int WantedStandbys(core::RedundancyModel model, const api::ServiceGroupSpec& group,
                   const api::ServiceInstance& si) {
  switch (model) {
    case core::RedundancyModel::kTwoN: return 1;
    case core::RedundancyModel::kNPlusM: return group.preferred_standby_units > 0 ? 1 : 0;
    case core::RedundancyModel::kNWay:
      return static_cast<int>(std::max<int64_t>(0, si.spec.preferred_standby_assignments));
    case core::RedundancyModel::kNWayActive:
    case core::RedundancyModel::kNoRedundancy: return 0;
  }
  return 0;
}

namespace {

int StateOrder(api::HaState state) {
  switch (state) {
    case api::HaState::kActive: return 0;
    case api::HaState::kQuiescing: return 1;
    case api::HaState::kQuiesced: return 2;
    case api::HaState::kStandby: return 3;
    case api::HaState::kNone: break;
  }
  return 4;
}

const api::Assignment* FindPrevious(const api::ServiceInstance& si,
                                    const std::string& unit) {
  for (const api::Assignment& a : si.status.assignments) {
    if (a.unit == unit) return &a;
  }
  return nullptr;
}

// The unit taking over from a Quiesced assignment, with where its node takes
// live-migrated VMs (empty when the core named none).
api::Successor SuccessorOf(const core::Assignment& a, const GroupView& view) {
  api::Successor out;
  if (a.successor.empty()) return out;
  out.unit = a.successor;
  auto unit = view.units.find(a.successor);
  if (unit == view.units.end()) return out;
  out.node = unit->second.spec.node;
  auto node = view.nodes.find(out.node);
  if (node != view.nodes.end()) out.live_migration = node->second.spec.live_migration;
  return out;
}

std::vector<api::Assignment> NextAssignments(const api::ServiceInstance& si,
                                             const InstanceOutcome& outcome,
                                             const GroupView& view, absl::Time now) {
  std::vector<api::Assignment> next;
  for (const core::Assignment& a : outcome.assignments) {
    api::Assignment out;
    out.unit = a.unit;
    out.ha_state = ToApi(a.ha_state);
    out.confirmed = a.confirmed;
    out.successor = SuccessorOf(a, view);
    const api::Assignment* previous = FindPrevious(si, a.unit);
    auto unit = view.units.find(a.unit);
    out.node = unit != view.units.end() ? unit->second.spec.node
               : previous != nullptr    ? previous->node
                                        : "";
    out.since = previous != nullptr && previous->ha_state == out.ha_state &&
                        !previous->since.empty()
                    ? previous->since
                    : Rfc3339Millis(now);
    next.push_back(std::move(out));
  }
  std::sort(next.begin(), next.end(), [](const api::Assignment& a, const api::Assignment& b) {
    return std::make_tuple(StateOrder(a.ha_state), a.unit) <
           std::make_tuple(StateOrder(b.ha_state), b.unit);
  });
  return next;
}

struct Counts {
  int active = 0;
  int confirmed_active = 0;
  int standby = 0;
};

Counts CountAssignments(const std::vector<api::Assignment>& assignments) {
  Counts counts;
  for (const api::Assignment& a : assignments) {
    if (a.ha_state == api::HaState::kActive) {
      ++counts.active;
      if (a.confirmed) ++counts.confirmed_active;
    }
    if (a.ha_state == api::HaState::kStandby) ++counts.standby;
  }
  return counts;
}

api::AssignmentState StateOf(const Counts& counts, size_t assignments, int actives,
                             int standbys) {
  if (assignments == 0) return api::AssignmentState::kUnassigned;
  if (counts.active >= actives && counts.standby >= standbys) {
    return api::AssignmentState::kFullyAssigned;
  }
  return api::AssignmentState::kPartiallyAssigned;
}

std::string AssignedReason(const api::ServiceInstance& si, const Counts& counts,
                           api::AssignmentState state) {
  if (si.spec.admin_state != api::AdminState::kUnlocked && counts.active == 0) {
    return "Locked";
  }
  if (counts.active > 0 && counts.confirmed_active == 0) return "AwaitingConfirmation";
  return std::string(api::ToString(state));
}

// The previous message came from a note (not from a change) when it equals
// the previous Assigned condition's message.
bool MessageWasNote(const api::ServiceInstanceStatus& previous) {
  for (const api::Condition& c : previous.conditions) {
    if (c.type == "Assigned") return !c.message.empty() && c.message == previous.message;
  }
  return false;
}

}  // namespace

api::ServiceInstanceStatus NextInstanceStatus(const api::ServiceInstance& si,
                                              const InstanceOutcome& outcome,
                                              const GroupView& view, absl::Time now) {
  api::ServiceInstanceStatus next;
  next.observed_generation = si.metadata.generation;
  // The incident recorder's summaries are kept as they are.
  next.incidents = si.status.incidents;
  next.availability = si.status.availability;
  next.assignments = NextAssignments(si, outcome, view, now);
  for (const api::Assignment& a : next.assignments) {
    if (a.ha_state == api::HaState::kActive) next.active_units.push_back(a.unit);
    if (a.ha_state == api::HaState::kStandby) next.standby_units.push_back(a.unit);
  }
  const core::RedundancyModel model = ToCore(view.group.spec.redundancy_model);
  const Counts counts = CountAssignments(next.assignments);
  next.assignment_state = StateOf(counts, next.assignments.size(), WantedActives(model, si),
                                  WantedStandbys(model, view.group.spec, si));
  next.conditions = si.status.conditions;
  api::Condition assigned;
  assigned.type = "Assigned";
  assigned.status = counts.confirmed_active > 0 ? api::ConditionStatus::kTrue
                                                : api::ConditionStatus::kFalse;
  assigned.observed_generation = si.metadata.generation;
  assigned.reason = AssignedReason(si, counts, next.assignment_state);
  assigned.message = outcome.note;
  SetCondition(next.conditions, assigned, now);
  if (!outcome.note.empty()) {
    next.message = outcome.note;
  } else if (!outcome.last_reason.empty()) {
    next.message = outcome.last_reason;
  } else if (!MessageWasNote(si.status)) {
    next.message = si.status.message;
  }
  return next;
}

api::ServiceInstanceStatus OrphanInstanceStatus(const api::ServiceInstance& si,
                                                absl::Time now) {
  api::ServiceInstanceStatus next;
  next.observed_generation = si.metadata.generation;
  next.incidents = si.status.incidents;
  next.availability = si.status.availability;
  next.assignment_state = api::AssignmentState::kUnassigned;
  next.conditions = si.status.conditions;
  next.message = absl::StrCat("ServiceGroup ", si.spec.service_group, " not found");
  api::Condition assigned;
  assigned.type = "Assigned";
  assigned.status = api::ConditionStatus::kFalse;
  assigned.observed_generation = si.metadata.generation;
  assigned.reason = "NoServiceGroup";
  assigned.message = next.message;
  SetCondition(next.conditions, assigned, now);
  return next;
}

namespace {

struct UnitCounts {
  std::set<std::string> assigned, active, standby;
};

UnitCounts CountUnits(const core::GroupSnapshot& snapshot) {
  UnitCounts counts;
  for (const core::Assignment& a : snapshot.assignments) {
    counts.assigned.insert(a.unit);
    if (a.ha_state == core::HaState::kActive) counts.active.insert(a.unit);
    if (a.ha_state == core::HaState::kStandby) counts.standby.insert(a.unit);
  }
  return counts;
}

int SpareUnits(const core::GroupSnapshot& snapshot, const UnitCounts& counts) {
  int spare = 0;
  for (const core::UnitSnapshot& u : snapshot.units) {
    if (u.readiness == core::Readiness::kInService &&
        u.admin_state == core::AdminState::kUnlocked &&
        u.node_admin_state == core::AdminState::kUnlocked &&
        !counts.assigned.count(u.name)) {
      ++spare;
    }
  }
  return spare;
}

// Names, at most five of them, then "and N more".
std::string ShortList(const std::vector<std::string>& names) {
  constexpr size_t kShown = 5;
  if (names.size() <= kShown) return absl::StrJoin(names, ", ");
  std::vector<std::string> shown(names.begin(), names.begin() + kShown);
  return absl::StrCat(absl::StrJoin(shown, ", "), " and ", names.size() - kShown,
                      " more");
}

struct InstanceHealth {
  std::vector<std::string> without_active;  // unlocked SIs, no confirmed active
  std::vector<std::string> not_full;        // unlocked SIs, not fully assigned
  std::set<std::string> confirmed_active;   // SIs with a confirmed active
  bool changing = false;                    // unconfirmed or quiescing
};

InstanceHealth AssessInstances(const GroupOutcome& outcome) {
  InstanceHealth health;
  for (const core::Assignment& a : outcome.snapshot->assignments) {
    if (a.ha_state == core::HaState::kActive && a.confirmed) {
      health.confirmed_active.insert(a.instance);
    }
    if (!a.confirmed || a.ha_state == core::HaState::kQuiescing ||
        a.ha_state == core::HaState::kQuiesced) {
      health.changing = true;
    }
  }
  for (const core::InstanceSpec& si : outcome.snapshot->instances) {
    if (si.admin_state != core::AdminState::kUnlocked) continue;
    if (!health.confirmed_active.count(si.name)) health.without_active.push_back(si.name);
    auto state = outcome.instance_states.find(si.name);
    if (state == outcome.instance_states.end() ||
        state->second != api::AssignmentState::kFullyAssigned) {
      health.not_full.push_back(si.name);
    }
  }
  return health;
}

api::Condition MakeCondition(const char* type, bool status, int64_t generation,
                             const char* true_reason, const char* false_reason,
                             std::string message) {
  api::Condition c;
  c.type = type;
  c.status = status ? api::ConditionStatus::kTrue : api::ConditionStatus::kFalse;
  c.observed_generation = generation;
  c.reason = status ? true_reason : false_reason;
  c.message = std::move(message);
  return c;
}

void SetGroupConditions(api::ServiceGroupStatus& next, const InstanceHealth& health,
                        const GroupOutcome& outcome, int64_t generation, absl::Time now) {
  const bool swapping = !outcome.snapshot->swaps.empty();
  const bool available = health.without_active.empty();
  SetCondition(next.conditions,
               MakeCondition("Available", available, generation, "AllInstancesActive",
                             "InstancesWithoutActive",
                             available ? "" : "no confirmed active: " +
                                                  ShortList(health.without_active)),
               now);
  SetCondition(next.conditions,
               MakeCondition("Progressing", health.changing || swapping, generation,
                             "AssignmentsChanging", "Settled", ""),
               now);
  const bool degraded = !health.not_full.empty();
  SetCondition(next.conditions,
               MakeCondition("Degraded", degraded, generation, "RedundancyLost",
                             "FullRedundancy",
                             degraded ? "not fully assigned: " + ShortList(health.not_full)
                                      : ""),
               now);
}

std::string GroupMessage(const api::ServiceGroupStatus& s, const core::Decision& last) {
  std::string message =
      absl::StrCat(s.assigned_instances, "/", s.total_instances, " instances active; ",
                   s.active_units, " active, ", s.standby_units, " standby, ",
                   s.spare_units, " spare units");
  if (last.group_shutdown_complete) absl::StrAppend(&message, "; shutdown complete");
  if (!last.shutdown_complete_units.empty()) {
    absl::StrAppend(&message, "; shutdown complete on ",
                    ShortList(last.shutdown_complete_units));
  }
  if (!last.units_to_start.empty()) {
    absl::StrAppend(&message, "; to instantiate: ", ShortList(last.units_to_start));
  }
  if (!last.units_to_stop.empty()) {
    absl::StrAppend(&message, "; to terminate: ", ShortList(last.units_to_stop));
  }
  return message;
}

}  // namespace

api::ServiceGroupStatus NextGroupStatus(const api::ServiceGroup& group,
                                        const GroupOutcome& outcome, absl::Time now) {
  const core::GroupSnapshot& snapshot = *outcome.snapshot;
  api::ServiceGroupStatus next;
  next.observed_generation = group.metadata.generation;
  const UnitCounts units = CountUnits(snapshot);
  next.assigned_units = static_cast<int64_t>(units.assigned.size());
  next.active_units = static_cast<int64_t>(units.active.size());
  next.standby_units = static_cast<int64_t>(units.standby.size());
  next.spare_units = SpareUnits(snapshot, units);
  const InstanceHealth health = AssessInstances(outcome);
  next.assigned_instances = static_cast<int64_t>(health.confirmed_active.size());
  next.total_instances = static_cast<int64_t>(snapshot.instances.size());
  next.conditions = group.status.conditions;
  SetGroupConditions(next, health, outcome, group.metadata.generation, now);
  if (snapshot.last_adjustment != absl::InfinitePast()) {
    next.last_adjustment = Rfc3339Millis(snapshot.last_adjustment);
  }
  next.message = GroupMessage(next, *outcome.last);
  return next;
}

bool SameStatus(const api::ServiceInstanceStatus& next,
                const api::ServiceInstanceStatus& current) {
  return next.observed_generation == current.observed_generation &&
         next.conditions == current.conditions &&
         next.assignment_state == current.assignment_state &&
         next.assignments == current.assignments &&
         next.active_units == current.active_units &&
         next.standby_units == current.standby_units && next.message == current.message;
}

bool SameStatus(const api::ServiceGroupStatus& next,
                const api::ServiceGroupStatus& current) {
  return next.observed_generation == current.observed_generation &&
         next.conditions == current.conditions &&
         next.assigned_units == current.assigned_units &&
         next.active_units == current.active_units &&
         next.standby_units == current.standby_units &&
         next.spare_units == current.spare_units &&
         next.assigned_instances == current.assigned_instances &&
         next.total_instances == current.total_instances &&
         next.last_adjustment == current.last_adjustment &&
         next.message == current.message;
}

api::OperationStatus NextSwapStatus(const api::Operation& op,
                                    const core::SwapProgress& progress,
                                    absl::Time now) {
  api::OperationStatus next = op.status;
  next.observed_generation = op.metadata.generation;
  next.message = progress.message;
  switch (progress.phase) {
    case core::SwapPhase::kWaiting: next.phase = api::OperationPhase::kPending; break;
    case core::SwapPhase::kInProgress: next.phase = api::OperationPhase::kRunning; break;
    case core::SwapPhase::kDone: next.phase = api::OperationPhase::kSucceeded; break;
    case core::SwapPhase::kRejected: next.phase = api::OperationPhase::kFailed; break;
  }
  if (progress.phase == core::SwapPhase::kInProgress) {
    if (next.start_time.empty()) next.start_time = Rfc3339Millis(now);
    next.from_unit = progress.from_unit;
  }
  const bool complete = progress.phase == core::SwapPhase::kDone ||
                        progress.phase == core::SwapPhase::kRejected;
  if (complete && next.completion_time.empty()) next.completion_time = Rfc3339Millis(now);
  if (complete && next.start_time.empty()) next.start_time = next.completion_time;
  SetCondition(next.conditions,
               MakeCondition("Complete", complete, op.metadata.generation,
                             progress.phase == core::SwapPhase::kDone ? "Succeeded"
                                                                       : "Failed",
                             next.phase == api::OperationPhase::kPending ? "Pending"
                                                                          : "Running",
                             ""),
               now);
  return next;
}

}  // namespace vigil::controllers
