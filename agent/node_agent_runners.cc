// NodeAgent: component runners, the recovery ladder, repair, operations and
// adoption.
#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/exec_runner.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {
namespace {

using api::Json;
using Steady = std::chrono::steady_clock;
using SteadyTime = Steady::time_point;

Json SpecJson(const controllers::ObjectPtr& obj) {
  return obj != nullptr && obj->contains("spec") ? (*obj)["spec"] : Json();
}

// A unit failing again within this window of its repair failed "quickly".
constexpr std::chrono::seconds kQuickFailureWindow{60};

// No wait for the first repair or after a single quick failure; then
// 1s, 2s, 4s, ... up to 5 minutes.
std::chrono::milliseconds RepairBackoff(int quick_failures) {
  if (quick_failures <= 1) return std::chrono::milliseconds(0);
  const int doublings = std::min(quick_failures - 2, 9);
  return std::min<std::chrono::milliseconds>(std::chrono::seconds(1) * (1 << doublings),
                                             std::chrono::minutes(5));
}

}  // namespace

std::unique_ptr<ComponentRunner> NodeAgent::MakeRunner(const api::Component& component) {
  const std::string name = component.metadata.name;
  RunnerContext context{.loop = &loop_,
                        .monitor = &monitor_,
                        .spawner = &spawner_,
                        .log_dir = log_dir(),
                        .socket_path = socket_path(),
                        .node = options_.node,
                        .wall_now = [] { return std::chrono::system_clock::now(); }};
  RunnerCallbacks callbacks{
      .on_change = [this] { ScheduleStatus(); },
      .on_failure = [this, name](const api::Failure& failure) { OnRunnerFailure(name, failure); }};
  ComponentIdentity who{name, component.spec.service_unit, options_.node, state_path()};
  if (component.spec.exec.has_value()) {
    return std::make_unique<ExecRunner>(context, who, *component.spec.exec, callbacks);
  }
  if (component.spec.sa_aware.has_value()) {
    return MakeSaAwareRunner(context, who, *component.spec.sa_aware, callbacks);
  }
  if (component.spec.virtual_machine.has_value()) {
    return MakeVmRunner(context, who, *component.spec.virtual_machine, callbacks);
  }
  return nullptr;
}

void NodeAgent::EnsureRunners() {
  for (const auto& [name, component] : view_.components) {
    const std::string kind = ComponentKind(component.spec);
    const Json spec = SpecJson(component_informer_.Get(name));
    auto it = components_by_name_.find(name);
    if (it != components_by_name_.end()) {
      ComponentEntry& entry = *it->second;
      if (entry.kind != kind || entry.unit != component.spec.service_unit) {
        entry.removing = true;  // replaced once the old one has stopped
      } else if (entry.spec != spec) {
        entry.spec = spec;
        entry.runner->UpdateSpec(component.spec);
      }
      continue;
    }
    std::unique_ptr<ComponentRunner> runner = MakeRunner(component);
    if (runner == nullptr) continue;
    auto entry = std::make_unique<ComponentEntry>();
    entry->runner = std::move(runner);
    entry->unit = component.spec.service_unit;
    entry->kind = kind;
    entry->spec = spec;
    entry->conditions = component.status.conditions;
    ComponentRunner* created = entry->runner.get();
    created->RestoreRestartCount(component.status.restart_count);
    components_by_name_.emplace(name, std::move(entry));
    if (auto record = adoption_.find(name); record != adoption_.end()) {
      created->Adopt(record->second);
      adoption_.erase(record);
    }
  }
  for (auto& [name, entry] : components_by_name_) {
    if (!view_.components.contains(name)) entry->removing = true;
  }
}

bool NodeAgent::UnitMayRun(const std::string& unit) const {
  auto state = unit_states_.find(unit);
  auto spec = view_.units.find(unit);
  if (stop_all_ || self_fenced_ || state == unit_states_.end() || spec == view_.units.end()) {
    return false;
  }
  return !state->second->failed && InstantiationAllowed(view_, spec->second);
}

void NodeAgent::ApplyDesired() {
  std::map<std::string, std::vector<CsiAssignment>> wanted = ComponentAssignments(view_);
  for (auto& [name, entry] : components_by_name_) {
    if (entry->removing) {
      entry->csis.clear();
      entry->runner->SetEnabled(false);
      entry->runner->SetAssignments({});
      continue;
    }
    entry->csis = wanted[name];
    entry->runner->SetEnabled(UnitMayRun(entry->unit));
    entry->runner->SetAssignments(entry->csis);
  }
}

void NodeAgent::RetireRemovedRunners() {
  bool retired = false;
  for (auto it = components_by_name_.begin(); it != components_by_name_.end();) {
    if (it->second->removing && it->second->runner->Stopped()) {
      it = components_by_name_.erase(it);
      retired = true;
    } else {
      ++it;
    }
  }
  // A replaced component (new kind or unit) gets its new runner at once.
  if (retired) ScheduleReconcile();
}

void NodeAgent::OnRunnerFailure(const std::string& name, const api::Failure& failure) {
  auto entry_it = components_by_name_.find(name);
  if (entry_it == components_by_name_.end()) return;
  ComponentEntry& entry = *entry_it->second;
  auto unit_it = unit_states_.find(entry.unit);
  auto component = view_.components.find(name);
  if (unit_it == unit_states_.end() || component == view_.components.end() || entry.removing)
    return;
  UnitState& unit = *unit_it->second;
  unit.last_failure = {.reason = name + ": " + failure.reason, .time = failure.time, .source = ""};
  if (unit.failed) {
    WriteUnitStatus(entry.unit, /*urgent=*/true);
    return;  // already failed over; repair handles it
  }
  const api::ServiceUnit& su = view_.units.at(entry.unit);
  auto group = view_.groups.find(su.spec.service_group);
  const api::GroupRecovery policy =
      group != view_.groups.end() ? group->second.spec.recovery : api::GroupRecovery{};
  const Steady::time_point now = Steady::now();
  FailureContext context{.recommended = entry.runner->state().recommended_recovery.value_or(
                             component->second.spec.recovery),
                         .disable_restart = component->second.spec.disable_restart,
                         .lifecycle_failure = failure.reason.starts_with("InstantiationFailed") ||
                                              failure.reason.starts_with("TerminationFailed"),
                         .component_restarts_in_probation =
                             CountWithin(entry.restarts, policy.component_restart_probation, now),
                         .unit_restarts_in_probation =
                             CountWithin(unit.unit_restarts, policy.unit_restart_probation, now)};
  if (view_.node.has_value()) {
    context.node_unit_failovers_in_probation = CountWithin(
        node_unit_failovers_, view_.node->spec.unit_failover_probation, now);
    context.node_unit_failover_max = view_.node->spec.unit_failover_max;
  }
  const LocalRecovery recovery = DecideRecovery(context, policy);
  Log(absl::StrCat(name, " failed (", failure.reason, "): ", std::string(ToString(recovery))));
  switch (recovery) {
    case LocalRecovery::kRestartComponent:
      entry.restarts.push_back(now);
      ++unit.restart_count;
      entry.runner->Restart();
      WriteUnitStatus(entry.unit, /*urgent=*/true);
      break;
    case LocalRecovery::kRestartUnit:
      RestartUnit(entry.unit);
      break;
    case LocalRecovery::kUnitFailover:
      node_unit_failovers_.push_back(now);
      FailUnit(entry.unit, name, context.lifecycle_failure);
      break;
    case LocalRecovery::kComponentFailover:
      FailUnit(entry.unit, name, context.lifecycle_failure);
      break;
    case LocalRecovery::kNodeFailover:
      FailNode(entry.unit, name, context);
      break;
  }
  ScheduleStatus();
}

// The node rung: every unit of this node fails over, the failed one first
// (its component is being cleaned up already); the others' components are
// stopped. The node's unit-failover count starts again.
void NodeAgent::FailNode(const std::string& unit_name, const std::string& component,
                         const FailureContext& context) {
  node_unit_failovers_.clear();
  const std::string why =
      context.recommended == api::RecoveryAction::kNodeFailover
          ? absl::StrCat("node failover (recommended recovery of ", component, ")")
          : absl::StrCat("node failover: ", context.node_unit_failovers_in_probation + 1,
                         " unit failovers on node ", options_.node, " within its probation");
  Log(why);
  FailUnit(unit_name, component, context.lifecycle_failure);
  for (auto& [name, unit] : unit_states_) {
    if (name == unit_name || unit->failed || !view_.units.contains(name)) continue;
    unit->last_failure = {.reason = why, .time = Now(), .source = ""};
    FailUnit(name, "", /*lifecycle_failure=*/false);
  }
}

void NodeAgent::RestartUnit(const std::string& unit_name) {
  UnitState& unit = *unit_states_.at(unit_name);
  unit.unit_restarts.push_back(Steady::now());
  ++unit.restart_count;
  unit.restarting = true;
  for (auto& [name, entry] : components_by_name_) {
    if (entry->unit == unit_name && !entry->removing) entry->runner->Restart();
  }
  WriteUnitStatus(unit_name, /*urgent=*/true);
}

// The failover rung: the unit's report goes out before anything else; the
// components are stopped after (the failed one is being cleaned up already).
void NodeAgent::FailUnit(const std::string& unit_name, const std::string& component,
                         bool lifecycle_failure) {
  UnitState& unit = *unit_states_.at(unit_name);
  unit.failed = true;
  unit.restarting = false;
  unit.failed_at = Steady::now();
  // Repairs back off only for a unit that cannot start (or stop) again soon
  // after its repair; a killed process is the ladder's and node's business.
  const bool quick = lifecycle_failure && unit.repaired_at != SteadyTime() &&
                     unit.failed_at - unit.repaired_at < kQuickFailureWindow;
  unit.quick_failures = quick ? unit.quick_failures + 1 : 0;
  unit.fencing_component = component;
  CheckFenced(unit_name);  // reports Disabled now, or once the component is gone
  for (auto& [name, entry] : components_by_name_) {
    if (entry->unit == unit_name) entry->runner->SetEnabled(false);
  }
  MaybeRepair();
}

// True once the unit's failed component is fenced (gone, or known unable to
// serve, or impossible to clean up); its Disabled report is then written,
// ahead of all else.
bool NodeAgent::CheckFenced(const std::string& unit_name) {
  UnitState& unit = *unit_states_.at(unit_name);
  if (unit.fencing_component.empty()) return true;
  auto entry = components_by_name_.find(unit.fencing_component);
  if (entry != components_by_name_.end() && !entry->second->runner->Fenced() &&
      entry->second->runner->state().presence != api::PresenceState::kTerminationFailed) {
    return false;
  }
  unit.fencing_component.clear();
  WriteUnitStatus(unit_name, /*urgent=*/true);
  return true;
}

void NodeAgent::MaybeRepair() {
  if (repair_timer_ != 0) loop_.Cancel(repair_timer_);
  repair_timer_ = 0;
  const bool node_repairs = !view_.node.has_value() || view_.node->spec.auto_repair;
  std::optional<Steady::time_point> next_check;
  for (auto& [unit_name, unit] : unit_states_) {
    if (!unit->failed || !view_.units.contains(unit_name)) continue;
    auto group = view_.groups.find(view_.units.at(unit_name).spec.service_group);
    if (!node_repairs || group == view_.groups.end() || !group->second.spec.auto_repair) continue;
    bool stopped = true;
    for (auto& [name, entry] : components_by_name_) {
      if (entry->unit == unit_name) stopped &= entry->runner->Stopped();
    }
    const bool released = !view_.assignments.contains(unit_name);
    const Steady::time_point now = Steady::now();
    const Steady::time_point backoff_end = unit->failed_at + RepairBackoff(unit->quick_failures);
    const Steady::time_point hold_end =
        std::max(backoff_end, unit->failed_at + options_.repair_hold);
    if (stopped && now >= backoff_end && (released || now >= hold_end)) {
      RepairUnit(unit_name, released ? "auto-repair" : "auto-repair (assignments kept)");
      continue;
    }
    const Steady::time_point check = now < backoff_end ? backoff_end : hold_end;
    if (stopped && (!next_check || check < *next_check)) next_check = check;
  }
  if (next_check) {
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*next_check - Steady::now());
    repair_timer_ = loop_.PostAfter(delay, [this] {
      repair_timer_ = 0;
      Reconcile();
    });
  }
}

void NodeAgent::RepairUnit(const std::string& unit_name, const std::string& why) {
  UnitState& unit = *unit_states_.at(unit_name);
  unit.failed = false;
  unit.repaired_at = Steady::now();
  Log(absl::StrCat("unit ", unit_name, " repaired (", why, ")"));
  for (auto& [name, entry] : components_by_name_) {
    if (entry->unit != unit_name) continue;
    entry->runner->Repair();
    entry->runner->SetEnabled(UnitMayRun(unit_name));
  }
  WriteUnitStatus(unit_name, /*urgent=*/true);
}

}  // namespace vigil::agent
