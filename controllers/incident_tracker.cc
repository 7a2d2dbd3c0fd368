#include "controllers/incident_tracker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vigil::controllers {
namespace {

// The longest name prefix kept, so that a timestamp suffix fits in the 253
// characters of a DNS-1123 subdomain.
constexpr size_t kMaxNamePrefix = 200;

std::optional<absl::Time> ParseRfc3339(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return time;
}

std::string ComponentType(const api::Component& component) {
  if (component.spec.sa_aware.has_value()) return "saAware";
  if (component.spec.virtual_machine.has_value()) return "virtualMachine";
  return "exec";
}

// The unit holding the confirmed active assignment, or "".
std::string ConfirmedActive(const std::vector<api::Assignment>& assignments) {
  for (const api::Assignment& a : assignments) {
    if (a.ha_state == api::HaState::kActive && a.confirmed) return a.unit;
  }
  return "";
}

bool ReadyOf(const api::Node& node, std::string* reason) {
  for (const api::Condition& c : node.status.conditions) {
    if (c.type != "Ready") continue;
    *reason = c.message.empty() ? c.reason : c.reason + ": " + c.message;
    return c.status == api::ConditionStatus::kTrue;
  }
  *reason = "";
  return false;
}

}  // namespace

std::string Rfc3339Micros(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

std::string FormatMeasured(absl::Duration duration) {
  const absl::Duration rounded = absl::Trunc(duration, absl::Microseconds(1));
  // absl prints zero as "0", which ParseDuration accepts but Go would not.
  return rounded == absl::ZeroDuration() ? "0s" : absl::FormatDuration(rounded);
}

std::string SourceOfFailure(const std::string& reason) {
  const std::string code = std::string(reason.substr(0, reason.find(':')));
  if (code == "ProcessExited" || code == "QemuExited") return "pidfd";
  if (code == "Unhealthy" || code == "HeartbeatMissed" || code == "HealthCheckTimeout" ||
      code == "ErrorReported") {
    return "healthCheck";
  }
  if (code.rfind("Domain", 0) == 0) return "libvirt";
  return "agent";
}

std::string IncidentRecord::Phase() const {
  if (superseded) return "Closed";
  if (!recovered.has_value()) return "Open";
  return repaired.has_value() ? "Closed" : "Recovered";
}

std::optional<absl::Duration> IncidentRecord::OutageOf(const std::string& instance) const {
  auto it = instances.find(instance);
  if (it == instances.end() || !it->second.was_active || !it->second.recovered) {
    return std::nullopt;
  }
  return std::max(*it->second.recovered - failure, absl::ZeroDuration());
}

api::IncidentStatus IncidentRecord::Status() const {
  api::IncidentStatus status;
  status.phase = Phase();
  status.recovery_action = recovery_action;
  status.recovered_by = recovered_by;
  status.failure_time = Rfc3339Micros(failure);
  status.detection_time = Rfc3339Micros(detection);
  if (reaction) status.reaction_time = Rfc3339Micros(*reaction);
  if (recovered) status.recovered_time = Rfc3339Micros(*recovered);
  if (repaired) status.repaired_time = Rfc3339Micros(*repaired);
  if (reaction) status.durations.reaction = FormatMeasured(*reaction - failure);
  if (recovered) {
    status.durations.outage = FormatMeasured(*recovered - failure);
    if (reaction && recovery_action != "None") {
      status.durations.recovery = FormatMeasured(*recovered - *reaction);
    }
  }
  if (repaired && reaction) status.durations.repair = FormatMeasured(*repaired - *reaction);
  status.message = message;
  return status;
}

std::string IncidentTracker::UniqueName(const std::string& base) {
  std::string name = base;
  for (int n = 2; incidents_.count(name) > 0; ++n) name = absl::StrCat(base, "-", n);
  return name;
}

IncidentRecord& IncidentTracker::Open(IncidentRecord record, absl::Time at) {
  const std::string prefix = record.spec.failed_name.substr(0, kMaxNamePrefix);
  record.name = UniqueName(absl::StrCat(
      prefix, "-", absl::FormatTime("%Y%m%d-%H%M%S-%E3f", record.failure, absl::UTCTimeZone())));
  // "%E3f" prints the fraction without its dot: the name stays a subdomain.
  record.detection = at;
  AddInstances(record, at);
  const std::string name = record.name;
  order_.push_back(name);
  return incidents_[name] = std::move(record);
}

// Finds the instances assigned to a failed unit. An instance whose change
// was seen after the failure but before this report (its informer ran
// first) is judged by its assignments before that change, and that change
// counts as the reaction.
void IncidentTracker::AddInstances(IncidentRecord& record, absl::Time at) {
  for (const auto& [name, view] : instances_) {
    const bool reacted = view.changed_at >= record.failure && view.changed_at <= at;
    const std::vector<api::Assignment>& before = reacted ? view.previous : view.assignments;
    IncidentRecord::Instance instance;
    bool affected = false;
    for (const api::Assignment& a : before) {
      if (record.failed_units.count(a.unit) == 0) continue;
      affected = true;
      instance.was_active |= a.ha_state == api::HaState::kActive;
    }
    if (!affected) continue;
    instance.baseline = reacted ? view.previous : view.assignments;
    if (reacted && (!record.reaction || view.changed_at < *record.reaction)) {
      record.reaction = view.changed_at;
    }
    record.spec.service_affecting |= instance.was_active;
    record.spec.service_instances.push_back(name);
    record.instances[name] = std::move(instance);
  }
}

void IncidentTracker::SupersedeOpen(const std::string& kind, const std::string& name,
                                    absl::Time at, std::vector<std::string>& changed) {
  for (auto& [incident_name, record] : incidents_) {
    if (record.spec.failed_kind != kind || record.spec.failed_name != name ||
        record.Phase() == "Closed") {
      continue;
    }
    record.superseded = true;
    record.message = absl::StrCat(record.message, record.message.empty() ? "" : "; ",
                                  "failed again at ", Rfc3339Micros(at), " before repair");
    changed.push_back(incident_name);
  }
}

std::vector<std::string> IncidentTracker::OnComponent(const api::Component& component,
                                                      absl::Time at) {
  std::vector<std::string> changed;
  const std::string& name = component.metadata.name;
  const bool known = components_.count(name) > 0;
  const ComponentView before = known ? components_[name] : ComponentView();
  ComponentView& view = components_[name];
  view = {component.spec.service_unit, ComponentType(component), component.status.last_failure,
          component.status.presence_state, component.status.restart_count,
          component.status.start_time, before.opened};
  const api::Failure& failure = component.status.last_failure;
  if (known && !failure.reason.empty() && failure != before.last_failure) {
    OpenComponentIncident(name, failure.reason, failure.time, before.restart_count, at, changed);
  }
  return Advance(at, std::move(changed));
}

// Opens the incident of a component failure, unless the same failure (time
// and reason) opened one already: the agent reports it on the unit first
// (the assignment controller reacts to that), then on the component.
void IncidentTracker::OpenComponentIncident(const std::string& name, const std::string& reason,
                                            const std::string& time, int64_t restart_count,
                                            absl::Time at, std::vector<std::string>& changed) {
  ComponentView& view = components_[name];
  if (view.opened.reason == reason && view.opened.time == time) return;
  view.opened = {reason, time, ""};
  SupersedeOpen("Component", name, at, changed);
  IncidentRecord record;
  record.spec.failed_kind = "Component";
  record.spec.failed_name = name;
  record.spec.service_unit = view.unit;
  record.spec.node = units_.count(view.unit) > 0 ? units_[view.unit].node : "";
  record.spec.source = SourceOfFailure(reason);
  record.spec.reason = reason;
  record.kind = view.type;
  record.failure = std::min(ParseRfc3339(time).value_or(at), at);
  record.failed_units = {view.unit};
  record.restart_count = restart_count;
  IncidentRecord& opened = Open(std::move(record), at);
  changed.push_back(opened.name);
}

std::vector<std::string> IncidentTracker::OnUnit(const api::ServiceUnit& unit, absl::Time at) {
  std::vector<std::string> changed;
  const std::string& name = unit.metadata.name;
  const bool known = units_.count(name) > 0;
  const api::Failure before = known ? units_[name].last_failure : api::Failure();
  units_[name] = {unit.spec.node,
                  unit.status.readiness_state == api::ReadinessState::kInService &&
                      unit.status.oper_state == api::OperState::kEnabled,
                  unit.status.in_service_since, unit.status.last_failure};
  // The unit's lastFailure is "<component>: <the component's reason>".
  const api::Failure& failure = unit.status.last_failure;
  const size_t colon = failure.reason.find(": ");
  if (known && failure != before && colon != std::string::npos) {
    const std::string component = failure.reason.substr(0, colon);
    auto view = components_.find(component);
    if (view != components_.end() && view->second.unit == name) {
      OpenComponentIncident(component, failure.reason.substr(colon + 2), failure.time,
                            view->second.restart_count, at, changed);
    }
  }
  return Advance(at, std::move(changed));
}

std::vector<std::string> IncidentTracker::OnInstance(const api::ServiceInstance& instance,
                                                     absl::Time at) {
  InstanceView& view = instances_[instance.metadata.name];
  const std::string active_before = ConfirmedActive(view.assignments);
  if (view.assignments != instance.status.assignments) {
    view.previous = std::move(view.assignments);
    view.assignments = instance.status.assignments;
    view.changed_at = at;
  }
  // Only incidents this SI belongs to can move on an SI's change; there may
  // be thousands of SI changes per second in a large failover.
  std::vector<std::string> changed = Advance(at, {}, &instance.metadata.name);
  // The confirmed active moved without a failure recovering it: a switchover.
  const std::string active_now = ConfirmedActive(view.assignments);
  if (!active_before.empty() && !active_now.empty() && active_now != active_before) {
    bool failover = false;
    for (const auto& [name, record] : incidents_) {
      auto it = record.instances.find(instance.metadata.name);
      failover |= it != record.instances.end() && it->second.recovered == at;
    }
    if (!failover) ++counters_.switchovers;
  }
  return changed;
}

std::vector<std::string> IncidentTracker::OnNode(const api::Node& node, absl::Time at,
                                                 absl::Time failure_estimate) {
  std::vector<std::string> changed;
  const std::string& name = node.metadata.name;
  const bool known = nodes_.count(name) > 0;
  const bool was_ready = known && nodes_[name].ready;
  NodeView& view = nodes_[name];
  view.ready = ReadyOf(node, &view.reason);
  if (known && was_ready && !view.ready) {
    SupersedeOpen("Node", name, at, changed);
    IncidentRecord record;
    record.spec.failed_kind = "Node";
    record.spec.failed_name = name;
    record.spec.node = name;
    record.spec.source = view.reason.rfind("NodeLeaseExpired", 0) == 0 ? "lease" : "agent";
    record.spec.reason = view.reason;
    record.kind = "node";
    record.failure = std::min(failure_estimate, at);
    for (const auto& [unit, unit_view] : units_) {
      if (unit_view.node == name) record.failed_units.insert(unit);
    }
    IncidentRecord& opened = Open(std::move(record), at);
    changed.push_back(opened.name);
  }
  return Advance(at, std::move(changed));
}

std::vector<std::string> IncidentTracker::Resume(const api::Incident& incident, absl::Time at) {
  const std::string& name = incident.metadata.name;
  const api::IncidentStatus& status = incident.status;
  if (status.phase == "Closed" || incidents_.count(name) > 0) return {};
  IncidentRecord record;
  record.name = name;
  record.spec = incident.spec;
  record.failure = ParseRfc3339(status.failure_time).value_or(at);
  record.detection = ParseRfc3339(status.detection_time).value_or(at);
  record.reaction = ParseRfc3339(status.reaction_time);
  record.recovered = ParseRfc3339(status.recovered_time);
  record.repaired = ParseRfc3339(status.repaired_time);
  record.recovery_action = status.recovery_action;
  record.recovered_by = status.recovered_by;
  record.message = absl::StrCat(status.message, status.message.empty() ? "" : "; ",
                                "taken up again after a restart of the recorder at ",
                                Rfc3339Micros(at),
                                ": what happened while it was down is dated when it was seen");
  if (record.spec.failed_kind == "Node") {
    record.kind = "node";
    for (const auto& [unit, view] : units_) {
      if (view.node == record.spec.node) record.failed_units.insert(unit);
    }
  } else {
    record.failed_units.insert(record.spec.service_unit);
    auto component = components_.find(record.spec.failed_name);
    if (component != components_.end()) {
      record.kind = component->second.type;
      record.restart_count = component->second.restart_count;  // restarts show by start time
    }
  }
  // Which of the SIs was active on the failed unit is not stored: each
  // counts as interrupted while the incident is service-affecting.
  for (const std::string& si : record.spec.service_instances) {
    IncidentRecord::Instance& instance = record.instances[si];
    instance.was_active = record.spec.service_affecting;
    instance.baseline = instances_[si].assignments;
    instance.recovered = record.recovered;
  }
  order_.push_back(name);
  incidents_[name] = std::move(record);
  return Advance(at, {name});
}

void IncidentTracker::OnDeleted(const std::string& kind, const std::string& name) {
  if (kind == "Component") components_.erase(name);
  if (kind == "ServiceUnit") units_.erase(name);
  if (kind == "ServiceInstance") instances_.erase(name);
  if (kind == "Node") nodes_.erase(name);
}

std::vector<std::string> IncidentTracker::Advance(absl::Time at, std::vector<std::string> changed,
                                                  const std::string* only_with_instance) {
  for (const std::string& name : order_) {
    IncidentRecord& record = incidents_.at(name);
    if (only_with_instance != nullptr && !record.instances.contains(*only_with_instance)) continue;
    if (record.Phase() == "Closed") continue;
    if (AdvanceOne(record, at) &&
        std::find(changed.begin(), changed.end(), name) == changed.end()) {
      changed.push_back(name);
    }
  }
  return changed;
}

bool IncidentTracker::ComponentRestarted(const IncidentRecord& record) const {
  if (record.spec.failed_kind != "Component") return false;
  auto it = components_.find(record.spec.failed_name);
  if (it == components_.end()) return false;
  const ComponentView& c = it->second;
  if (c.presence != api::PresenceState::kInstantiated) return false;
  const std::optional<absl::Time> started = ParseRfc3339(c.start_time);
  return c.restart_count > record.restart_count || (started && *started > record.failure);
}

// The unit is back in service after the failure, and the failed component
// is not half-way through a restart (the agent counts a unit back once its
// components are past Restarting, before they are Instantiated).
bool IncidentTracker::UnitRepaired(const IncidentRecord& record) const {
  if (record.spec.failed_kind == "Node") {
    auto it = nodes_.find(record.spec.failed_name);
    return it != nodes_.end() && it->second.ready;
  }
  auto component = components_.find(record.spec.failed_name);
  if (component != components_.end() &&
      (component->second.presence == api::PresenceState::kInstantiating ||
       component->second.presence == api::PresenceState::kRestarting)) {
    return false;
  }
  auto it = units_.find(record.spec.service_unit);
  if (it == units_.end() || !it->second.in_service) return false;
  const std::optional<absl::Time> since = ParseRfc3339(it->second.in_service_since);
  return since.has_value() && *since >= record.failure;
}

bool IncidentTracker::AdvanceOne(IncidentRecord& record, absl::Time at) {
  // Only these three can change here (a copy of the record would copy its
  // instances, thousands for a node).
  const auto reaction = record.reaction, recovered = record.recovered,
             repaired = record.repaired;
  const bool unit_back = UnitRepaired(record) || ComponentRestarted(record);
  if (!record.reaction) {
    for (const auto& [name, instance] : record.instances) {
      auto view = instances_.find(name);
      if (view != instances_.end() && view->second.assignments != instance.baseline) {
        record.reaction = at;
      }
    }
    auto c = components_.find(record.spec.failed_name);
    if (record.spec.failed_kind == "Component" && c != components_.end() &&
        (c->second.restart_count > record.restart_count ||
         c->second.presence == api::PresenceState::kRestarting ||
         c->second.presence == api::PresenceState::kInstantiating || unit_back)) {
      record.reaction = at;
    }
  }
  if (!record.recovered) {
    bool all = true;
    for (auto& [name, instance] : record.instances) {
      if (!instance.was_active || instance.recovered) continue;
      const std::string active = ConfirmedActive(instances_[name].assignments);
      const bool elsewhere = !active.empty() && record.failed_units.count(active) == 0;
      // Serving again on the failed unit: its component running again (a
      // node: back Ready).
      const bool back = record.spec.failed_kind == "Node" ? unit_back : ComponentRestarted(record);
      if (elsewhere || (!active.empty() && back)) {
        instance.recovered = at;
        record.recovered_by = active;
        record.recovery_action = elsewhere ? "Failover" : "Restart";
      } else {
        all = false;
      }
    }
    if (!record.spec.service_affecting) {
      record.recovered = record.failure;
      record.recovery_action = "None";
    } else if (all) {
      record.recovered = at;
      if (!record.reaction) record.reaction = at;
      ++(record.recovery_action == "Failover" ? counters_.failovers : counters_.restarts);
    }
  }
  if (!record.repaired && unit_back) {
    if (!record.reaction) record.reaction = at;
    record.repaired = at;
  }
  return record.reaction != reaction || record.recovered != recovered ||
         record.repaired != repaired;
}

const IncidentRecord* IncidentTracker::Find(const std::string& name) const {
  auto it = incidents_.find(name);
  return it == incidents_.end() ? nullptr : &it->second;
}

std::vector<const IncidentRecord*> IncidentTracker::All() const {
  std::vector<const IncidentRecord*> out;
  for (const std::string& name : order_) out.push_back(&incidents_.at(name));
  return out;
}

std::vector<const IncidentRecord*> IncidentTracker::ForInstance(
    const std::string& instance) const {
  std::vector<const IncidentRecord*> out;
  for (const IncidentRecord* record : All()) {
    if (record->instances.count(instance) > 0) out.push_back(record);
  }
  return out;
}

std::vector<std::string> IncidentTracker::Prune(absl::Time now, absl::Duration max_age,
                                                size_t max_count) {
  std::vector<std::string> dropped;
  while (!order_.empty()) {
    const IncidentRecord& oldest = incidents_.at(order_.front());
    if (order_.size() <= max_count && oldest.detection >= now - max_age) break;
    dropped.push_back(order_.front());
    incidents_.erase(order_.front());
    order_.erase(order_.begin());
  }
  return dropped;
}

}  // namespace vigil::controllers
