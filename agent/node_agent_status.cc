// NodeAgent: the statuses it reports (ServiceUnit, Component, Node).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::Json;
using api::PresenceState;

// Sets condition `type` in `conditions`; lastTransitionTime moves only when
// its status flips.
void SetCondition(std::vector<api::Condition>& conditions, const std::string& type, bool status,
                  const std::string& reason, const std::string& message, int64_t generation,
                  const std::string& now) {
  const api::ConditionStatus value =
      status ? api::ConditionStatus::kTrue : api::ConditionStatus::kFalse;
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const api::Condition& c) { return c.type == type; });
  if (it == conditions.end()) {
    api::Condition added;
    added.type = type;
    conditions.push_back(added);
    it = conditions.end() - 1;
  }
  if (it->status != value || it->last_transition_time.empty()) it->last_transition_time = now;
  it->status = value;
  it->reason = reason;
  it->message = message;
  it->observed_generation = generation;
}

}  // namespace

// Components before units: a unit's HA-state confirmation is what moves the
// controller on, so whoever sees it usually sees its components' states too.
void NodeAgent::WriteStatuses() {
  for (const auto& [name, entry] : components_by_name_) {
    if (!entry->removing && view_.components.contains(name)) WriteComponentStatus(name);
  }
  for (const auto& [name, unit] : view_.units) {
    if (CheckFenced(name)) WriteUnitStatus(name, /*urgent=*/false);
  }
  MaybeRepair();
  SaveAdoption();
}

void NodeAgent::WriteUnitStatus(const std::string& name, bool urgent) {
  auto unit = unit_states_.find(name);
  if (unit == unit_states_.end() || !view_.units.contains(name)) return;
  Json status = api::ToJson(BuildUnitStatus(name));
  Json& last = unit->second->last_status;
  if (status == last) return;
  // A newly confirmed HA state (the standby now active) is what the
  // controller's failover waits for next: as urgent as the failure.
  const bool confirms = !last.is_null() && status.value("haStates", Json()) !=
                                               last.value("haStates", Json());
  last = status;
  writer_.Put("ServiceUnit/" + name,
              UpdateStatusWrite(client_, options_.user, "ServiceUnit", name, std::move(status)),
              urgent || confirms);
}

void NodeAgent::WriteComponentStatus(const std::string& name) {
  ComponentEntry& entry = *components_by_name_.at(name);
  const api::Component& component = view_.components.at(name);
  const RunnerState& state = entry.runner->state();
  api::ComponentStatus status;
  status.observed_generation = component.metadata.generation;
  status.presence_state = state.presence;
  status.oper_state = state.failed ? api::OperState::kDisabled : api::OperState::kEnabled;
  status.ha_state = state.ha_state;
  status.pid = state.pid;
  status.start_time = state.start_time;
  status.restart_count = state.restart_count;
  status.last_failure = state.last_failure;
  status.domain = state.domain;
  SetCondition(entry.conditions, "Ready", state.ready, state.reason, state.message,
               component.metadata.generation, Now());
  status.conditions = entry.conditions;
  Json json = api::ToJson(status);
  if (json == entry.last_status) return;
  entry.last_status = json;
  writer_.Put("Component/" + name,
              UpdateStatusWrite(client_, options_.user, "Component", name, std::move(json)));
}

// Reports the node Ready (and the agent's heartbeat), except while
// self-fenced: then the node controller's verdict stands.
void NodeAgent::Heartbeat() {
  heartbeat_timer_ = loop_.PostAfter(options_.heartbeat_interval, [this] { Heartbeat(); });
  if (self_fenced_) return;
  const std::string now = Now();
  api::Condition ready;
  ready.type = "Ready";
  ready.status = api::ConditionStatus::kTrue;
  ready.last_transition_time = now;
  ready.reason = "AgentReady";
  ready.message = "node agent " + options_.version + " is running";
  if (view_.node.has_value()) {
    for (const api::Condition& c : view_.node->status.conditions) {
      // Keep the transition time of a Ready condition that was already True.
      if (c.type == "Ready" && c.status == api::ConditionStatus::kTrue) {
        ready.last_transition_time = c.last_transition_time;
      }
    }
    ready.observed_generation = view_.node->metadata.generation;
  }
  Json patch = {{"conditions", Json::array({api::ToJson(ready)})},
                {"agent", {{"version", options_.version}, {"lastHeartbeat", now}}}};
  writer_.Put("Node/" + options_.node,
              PatchStatusWrite(client_, options_.user, "Node", options_.node, std::move(patch)));
}

// In service: enabled and allowed to run, and, when it comes up (first
// start, after a repair), its preinstantiable (saAware) components are up.
// A unit already in service stays so while a component is added or
// restarted: that is not the unit instantiating.
bool NodeAgent::UnitInService(const std::string& name) const {
  const UnitState& unit = *unit_states_.at(name);
  if (unit.failed && unit.fencing_component.empty()) return false;
  if (!InstantiationAllowed(view_, view_.units.at(name))) return false;
  if (unit.in_service) return true;
  for (const auto& [component, entry] : components_by_name_) {
    if (entry->unit != name || entry->removing || entry->kind != "saAware") continue;
    PresenceState presence = entry->runner->state().presence;
    if (presence != PresenceState::kInstantiated && presence != PresenceState::kRestarting) {
      return false;
    }
  }
  return true;
}

PresenceState NodeAgent::UnitPresence(const std::string& name) const {
  const UnitState& unit = *unit_states_.at(name);
  if (unit.restarting) return PresenceState::kRestarting;
  std::set<PresenceState> seen;
  bool preinstantiating = false;
  for (const auto& [component, entry] : components_by_name_) {
    if (entry->unit != name || entry->removing) continue;
    PresenceState presence = entry->runner->state().presence;
    seen.insert(presence);
    preinstantiating |= entry->kind == "saAware" && presence == PresenceState::kInstantiating;
  }
  for (PresenceState p : {PresenceState::kRestarting, PresenceState::kInstantiationFailed,
                          PresenceState::kTerminationFailed}) {
    if (seen.contains(p)) return p;
  }
  // Only a unit coming up (its preinstantiable components starting) is
  // Instantiating; an exec component started for an assignment is not, or
  // the controller would take the assignment away again.
  if (preinstantiating && !unit.in_service) return PresenceState::kInstantiating;
  if (seen.contains(PresenceState::kInstantiated) || seen.contains(PresenceState::kInstantiating)) {
    return PresenceState::kInstantiated;
  }
  if (seen.contains(PresenceState::kTerminating)) return PresenceState::kTerminating;
  return PresenceState::kUninstantiated;
}

std::vector<api::ReachedHaState> NodeAgent::ReachedHaStates(const std::string& name) {
  std::vector<api::ReachedHaState> reached;
  std::set<std::string> assigned;
  auto assignments = view_.assignments.find(name);
  if (assignments != view_.assignments.end()) {
    for (const UnitAssignment& a : assignments->second) {
      assigned.insert(a.service_instance);
      bool all = true;
      for (const auto& [component, entry] : components_by_name_) {
        if (entry->unit != name || entry->removing || !entry->Wants(a.service_instance)) {
          continue;
        }
        all &= entry->runner->Reached(a.service_instance, a.ha_state);
      }
      if (all) reached.push_back({a.service_instance, a.ha_state});
    }
  }
  // An SI no longer assigned stays listed while a component still holds it.
  for (const api::ReachedHaState& previous : unit_states_.at(name)->reached) {
    if (assigned.contains(previous.service_instance)) continue;
    for (const auto& [component, entry] : components_by_name_) {
      if (entry->unit == name && entry->Holds(previous.service_instance)) {
        reached.push_back(previous);
        break;
      }
    }
  }
  std::sort(reached.begin(), reached.end(),
            [](const auto& a, const auto& b) { return a.service_instance < b.service_instance; });
  return reached;
}

api::ServiceUnitStatus NodeAgent::BuildUnitStatus(const std::string& name) {
  UnitState& unit = *unit_states_.at(name);
  const api::ServiceUnit& su = view_.units.at(name);
  bool restart_done = false;
  if (unit.restarting) {
    restart_done =
        std::none_of(components_by_name_.begin(), components_by_name_.end(), [&](const auto& c) {
          return c.second->unit == name &&
                 c.second->runner->state().presence == PresenceState::kRestarting;
        });
    unit.restarting = !restart_done;
  }
  const bool in_service = UnitInService(name);
  if (in_service && (!unit.in_service || restart_done || unit.in_service_since.empty())) {
    unit.in_service_since = Now();
  }
  unit.in_service = in_service;
  api::ServiceUnitStatus status;
  status.observed_generation = su.metadata.generation;
  status.conditions = su.status.conditions;
  status.presence_state = UnitPresence(name);
  const bool disabled = unit.failed && unit.fencing_component.empty();
  status.oper_state = disabled ? api::OperState::kDisabled : api::OperState::kEnabled;
  status.readiness_state = in_service ? api::ReadinessState::kInService
                           : su.spec.admin_state == api::AdminState::kShuttingDown
                               ? api::ReadinessState::kStopping
                               : api::ReadinessState::kOutOfService;
  unit.reached = ReachedHaStates(name);
  status.ha_states = unit.reached;
  for (const api::ReachedHaState& r : unit.reached) {
    status.active_assignments += r.ha_state == HaState::kActive;
    status.standby_assignments += r.ha_state == HaState::kStandby;
  }
  status.restart_count = unit.restart_count;
  status.last_failure = unit.last_failure;
  status.in_service_since = unit.in_service_since;
  status.pre_instantiable = AllComponentsSaAware(name);
  return status;
}

bool NodeAgent::AllComponentsSaAware(const std::string& unit) const {
  bool any = false;
  for (const auto& [component, entry] : components_by_name_) {
    if (entry->unit != unit || entry->removing) continue;
    if (entry->kind != "saAware") return false;
    any = true;
  }
  return any;
}

}  // namespace vigil::agent
