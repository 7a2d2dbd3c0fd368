// Simulator: the fake node agents (unit presence, readiness, HA states
// reached, failures, restarts, repairs).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/types.h"
#include "api/validation.h"
#include "controllers/simulator.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {
namespace {

using api::Json;

std::string Spec(const Json& obj, const char* field) {
  const Json& spec = obj.value("spec", Json::object());
  return spec.is_object() ? spec.value(field, "") : "";
}

Json& StatusOf(Json& obj) {
  if (!obj.contains("status") || !obj["status"].is_object()) obj["status"] = Json::object();
  return obj["status"];
}

bool NodeIsReady(const Json& node) {
  const Json status = node.value("status", Json::object());
  for (const Json& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

bool LockedInstantiation(const Json& obj) {
  return Spec(obj, "adminState") == "LockedInstantiation";
}

// The unit's assignment state for `si` as its SI asks for it, or "".
std::string Wanted(const Json& si, const std::string& unit) {
  const Json status = si.value("status", Json::object());
  for (const Json& a : status.value("assignments", Json::array())) {
    if (a.value("unit", "") == unit) return a.value("haState", "");
  }
  return "";
}

void SetReached(Json& status, const std::string& si, const std::string& state) {
  Json reached = Json::array();
  for (const Json& entry : status.value("haStates", Json::array())) {
    if (entry.value("serviceInstance", "") != si) reached.push_back(entry);
  }
  if (!state.empty()) reached.push_back({{"serviceInstance", si}, {"haState", state}});
  std::sort(reached.begin(), reached.end(), [](const Json& a, const Json& b) {
    return a.value("serviceInstance", "") < b.value("serviceInstance", "");
  });
  if (reached.empty()) {
    status.erase("haStates");
  } else {
    status["haStates"] = std::move(reached);
  }
}

core::RecoveryAction ToCoreAction(const std::string& recovery) {
  api::RecoveryAction action = api::RecoveryAction::kComponentRestart;
  api::Parse(recovery, &action);
  switch (action) {
    case api::RecoveryAction::kComponentRestart: return core::RecoveryAction::kComponentRestart;
    case api::RecoveryAction::kComponentFailover: return core::RecoveryAction::kComponentFailover;
    case api::RecoveryAction::kUnitRestart: return core::RecoveryAction::kUnitRestart;
    case api::RecoveryAction::kUnitFailover: return core::RecoveryAction::kUnitFailover;
    case api::RecoveryAction::kNodeFailover: return core::RecoveryAction::kNodeFailover;
  }
  return core::RecoveryAction::kComponentRestart;
}

}  // namespace

void Simulator::BootCluster() {
  for (const auto& [name, unit] : All("ServiceUnit")) {
    const std::string node = Spec(unit, "node");
    if (Find("Node", node) != nullptr) continue;
    Json implicit = {{"apiVersion", "vigil.io/v1"}, {"kind", "Node"},
                     {"metadata", {{"name", node}, {"generation", 1}}}, {"spec", Json::object()}};
    api::ApplyDefaults(implicit);
    Obj("Node", node) = std::move(implicit);
  }
  for (auto& [name, node] : All("Node")) {
    StatusOf(node) = {{"operState", "Enabled"},
                      {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
  }
  int in_service = 0;
  for (auto& [name, unit] : All("ServiceUnit")) {
    if (LockedInstantiation(unit) || LockedInstantiation(Obj("Node", Spec(unit, "node"))) ||
        LockedInstantiation(Obj("ServiceGroup", Spec(unit, "serviceGroup")))) {
      SetUnitState(name, "Uninstantiated", "Enabled", "OutOfService");
    } else {
      SetUnitState(name, "Instantiated", "Enabled", "InService");
      ++in_service;
    }
  }
  Say(absl::StrCat("start: ", All("Node").size(), " nodes ready, ", in_service, " of ",
                   All("ServiceUnit").size(), " units in service"));
}

void Simulator::SetUnitState(const std::string& unit, const char* presence,
                             const char* oper, const char* readiness) {
  Json& status = StatusOf(Obj("ServiceUnit", unit));
  const bool was_in_service = status.value("readinessState", "") == "InService";
  status["presenceState"] = presence;
  status["operState"] = oper;
  status["readinessState"] = readiness;
  if (std::string(readiness) == "InService" && !was_in_service) {
    status["inServiceSince"] = Rfc3339Millis(Now());
  }
  if (std::string(readiness) != "InService") status.erase("haStates");  // cleaned up
}

void Simulator::ReachLater(const std::string& unit, const std::string& si,
                           const std::string& state) {
  Schedule(now_ + options_.confirm_delay, [this, unit, si, state] {
    if (Wanted(Obj("ServiceInstance", si), unit) != state) return;  // changed again
    Json& status = StatusOf(Obj("ServiceUnit", unit));
    if (status.value("presenceState", "") == "Restarting") {
      ReachLater(unit, si, state);  // once the restart is over
      return;
    }
    if (status.value("readinessState", "") != "InService") return;
    SetReached(status, si, state);
    if (options_.verbose) Say(absl::StrCat(unit, " reached ", state, " for ", si));
  });
}

void Simulator::CleanUpLater(const std::string& unit, const std::string& si) {
  Schedule(now_ + options_.confirm_delay, [this, unit, si] {
    if (!Wanted(Obj("ServiceInstance", si), unit).empty()) return;
    SetReached(StatusOf(Obj("ServiceUnit", unit)), si, "");
  });
}

bool Simulator::AutoRepair(const std::string& unit) {
  const Json& u = Obj("ServiceUnit", unit);
  const Json& group = Obj("ServiceGroup", Spec(u, "serviceGroup"));
  const Json& node = Obj("Node", Spec(u, "node"));
  return group["spec"].value("autoRepair", true) && node["spec"].value("autoRepair", true);
}

void Simulator::FailUnit(const std::string& unit, const std::string& why) {
  Json& status = StatusOf(Obj("ServiceUnit", unit));
  if (status.value("operState", "") == "Disabled") return;
  Say(absl::StrCat("unit ", unit, " failed (", why, ")"));
  SetUnitState(unit, "Uninstantiated", "Disabled", "OutOfService");
  status["lastFailure"] = {{"reason", why}, {"time", Rfc3339Millis(Now())}};
  if (!AutoRepair(unit)) return;
  Schedule(now_ + options_.repair_delay, [this, unit] {
    if (StatusOf(Obj("ServiceUnit", unit)).value("operState", "") != "Disabled") return;
    Instantiate(unit, "auto-repair");
  });
}

std::vector<std::string> Simulator::UnitsOnNode(const std::string& node) {
  std::vector<std::string> units;
  for (const auto& [name, unit] : All("ServiceUnit")) {
    if (Spec(unit, "node") == node) units.push_back(name);
  }
  return units;
}

void Simulator::FailNode(const std::string& node) {
  Say(absl::StrCat("node ", node, " failed"));
  StatusOf(Obj("Node", node))["conditions"] = {{{"type", "Ready"}, {"status", "False"}}};
  for (const std::string& unit : UnitsOnNode(node)) {
    SetUnitState(unit, "Uninstantiated", "Enabled", "OutOfService");
  }
}

void Simulator::RepairNode(const std::string& node) {
  Say(absl::StrCat("node ", node, " repaired"));
  StatusOf(Obj("Node", node))["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
  if (LockedInstantiation(Obj("Node", node))) return;
  for (const std::string& unit : UnitsOnNode(node)) {
    const Json& u = Obj("ServiceUnit", unit);
    if (LockedInstantiation(u) ||
        LockedInstantiation(Obj("ServiceGroup", Spec(u, "serviceGroup")))) {
      continue;
    }
    Instantiate(unit, "node repaired");
  }
}

void Simulator::Instantiate(const std::string& unit, const std::string& why) {
  Json& status = StatusOf(Obj("ServiceUnit", unit));
  const std::string presence = status.value("presenceState", "");
  if (presence == "Instantiating" || presence == "Instantiated" ||
      presence == "Restarting") {
    return;
  }
  const Json& node = Obj("Node", Spec(Obj("ServiceUnit", unit), "node"));
  if (!NodeIsReady(node)) return;
  Say(absl::StrCat("instantiate unit ", unit, " (", why, ")"));
  SetUnitState(unit, "Instantiating", "Enabled", "OutOfService");
  status.erase("lastFailure");
  Schedule(now_ + options_.instantiate_delay, [this, unit] {
    if (StatusOf(Obj("ServiceUnit", unit)).value("presenceState", "") != "Instantiating") {
      return;
    }
    SetUnitState(unit, "Instantiated", "Enabled", "InService");
    Say(absl::StrCat("unit ", unit, " in service"));
  });
}

void Simulator::Terminate(const std::string& unit, const std::string& why) {
  Json& status = StatusOf(Obj("ServiceUnit", unit));
  const std::string presence = status.value("presenceState", "");
  if (presence != "Instantiated" || status.contains("haStates")) return;
  Say(absl::StrCat("terminate unit ", unit, " (", why, ")"));
  SetUnitState(unit, "Terminating", "Enabled", "OutOfService");
  Schedule(now_ + options_.restart_delay, [this, unit] {
    if (StatusOf(Obj("ServiceUnit", unit)).value("presenceState", "") != "Terminating") {
      return;
    }
    SetUnitState(unit, "Uninstantiated", "Enabled", "OutOfService");
  });
}

void Simulator::RestartUnit(const std::string& unit, bool whole_unit, const std::string& why) {
  Json& status = StatusOf(Obj("ServiceUnit", unit));
  if (status.value("readinessState", "") != "InService") return;
  Say(absl::StrCat("unit ", unit, " restarting (", why, ")"));
  status["presenceState"] = "Restarting";
  Schedule(now_ + options_.restart_delay, [this, unit, whole_unit] {
    Json& s = StatusOf(Obj("ServiceUnit", unit));
    if (s.value("presenceState", "") != "Restarting") return;
    s["presenceState"] = "Instantiated";
    if (whole_unit) s["inServiceSince"] = Rfc3339Millis(Now());
    s["restartCount"] = s.value("restartCount", 0) + 1;
    Say(absl::StrCat("unit ", unit, " restarted"));
  });
}

core::RecoveryLimits Simulator::LimitsFor(const std::string& unit) {
  const Json& u = Obj("ServiceUnit", unit);
  absl::StatusOr<api::ServiceGroup> group =
      api::FromJson<api::ServiceGroup>(Obj("ServiceGroup", Spec(u, "serviceGroup")));
  absl::StatusOr<api::Node> node = api::FromJson<api::Node>(Obj("Node", Spec(u, "node")));
  core::RecoveryLimits limits;
  if (group.ok()) {
    const api::GroupRecovery& r = group->spec.recovery;
    limits.component_restart_max = static_cast<int>(r.component_restart_max);
    limits.component_restart_probation = absl::FromChrono(r.component_restart_probation);
    limits.unit_restart_max = static_cast<int>(r.unit_restart_max);
    limits.unit_restart_probation = absl::FromChrono(r.unit_restart_probation);
  }
  if (node.ok()) {
    limits.node_unit_failover_max = static_cast<int>(node->spec.unit_failover_max);
    limits.node_unit_failover_probation = absl::FromChrono(node->spec.unit_failover_probation);
  }
  return limits;
}

void Simulator::FailComponent(const std::string& component) {
  const Json& comp = Obj("Component", component);
  const std::string unit = Spec(comp, "serviceUnit");
  const std::string node = Spec(Obj("ServiceUnit", unit), "node");
  core::ComponentFailure failure;
  failure.recommended = ToCoreAction(Spec(comp, "recovery"));
  failure.disable_restart = comp["spec"].value("disableRestart", false);
  failure.unit_failover = Obj("ServiceUnit", unit)["spec"].value("failover", false);
  core::RecoveryCounters counters = counters_[unit];
  counters.node_unit_failovers = node_failovers_[node];
  const core::RecoveryDecision decision =
      core::EscalateRecovery(failure, LimitsFor(unit), counters, Now());
  counters_[unit] = decision.counters;
  node_failovers_[node] = decision.counters.node_unit_failovers;
  Say(absl::StrCat("component ", component, " failed: ", decision.reason));
  switch (decision.action) {
    case core::RecoveryAction::kComponentRestart:
      return RestartUnit(unit, false, "component restart");
    case core::RecoveryAction::kUnitRestart:
      return RestartUnit(unit, true, "unit restart");
    case core::RecoveryAction::kComponentFailover:
    case core::RecoveryAction::kUnitFailover:
      return FailUnit(unit, absl::StrCat("component ", component, " failed"));
    case core::RecoveryAction::kNodeFailover:
      for (const std::string& u : UnitsOnNode(node)) FailUnit(u, "node failover");
      return;
  }
}

}  // namespace vigil::controllers
