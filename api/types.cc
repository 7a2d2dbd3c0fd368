// Enum spellings and status writers of api/types.h.
#include "api/types.h"

#include <array>

#include "absl/strings/ascii.h"

namespace vigil::api {
namespace {

template <size_t N>
using Names = std::array<std::string_view, N>;

template <typename E, size_t N>
std::string_view NameOf(const Names<N>& names, E value) {
  const size_t index = static_cast<size_t>(value);
  return index < N ? names[index] : std::string_view();
}

template <typename E, size_t N>
bool ParseName(const Names<N>& names, std::string_view text, E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

constexpr Names<4> kAdminStates = {"Unlocked", "Locked", "LockedInstantiation",
                                   "ShuttingDown"};
constexpr Names<5> kHaStates = {"", "Active", "Standby", "Quiescing", "Quiesced"};
constexpr Names<5> kRedundancyModels = {"2N", "N+M", "N-Way", "N-Way-Active",
                                        "No-Redundancy"};
constexpr Names<7> kPresenceStates = {
    "Uninstantiated", "Instantiating",       "Instantiated",     "Terminating",
    "Restarting",     "InstantiationFailed", "TerminationFailed"};
constexpr Names<2> kOperStates = {"Enabled", "Disabled"};
constexpr Names<3> kReadinessStates = {"InService", "OutOfService", "Stopping"};
constexpr Names<5> kRecoveryActions = {"ComponentRestart", "ComponentFailover",
                                       "UnitRestart", "UnitFailover",
                                       "NodeFailover"};
constexpr Names<3> kAssignmentStates = {"Unassigned", "PartiallyAssigned",
                                        "FullyAssigned"};
constexpr Names<3> kConditionStatuses = {"True", "False", "Unknown"};
constexpr Names<2> kInvokers = {"Component", "Framework"};
constexpr Names<4> kOperationActions = {"SwapServiceInstance", "RestartUnit",
                                        "RestartComponent", "Repaired"};
constexpr Names<4> kOperationPhases = {"Pending", "Running", "Succeeded",
                                       "Failed"};
constexpr Names<2> kFencePolicies = {"ProceedAfterTimeout", "WaitForConfirmation"};

}  // namespace

std::string_view ToString(AdminState v) { return NameOf(kAdminStates, v); }
std::string_view ToString(HaState v) { return NameOf(kHaStates, v); }
std::string_view ToString(RedundancyModel v) { return NameOf(kRedundancyModels, v); }
std::string_view ToString(PresenceState v) { return NameOf(kPresenceStates, v); }
std::string_view ToString(OperState v) { return NameOf(kOperStates, v); }
std::string_view ToString(ReadinessState v) { return NameOf(kReadinessStates, v); }
std::string_view ToString(RecoveryAction v) { return NameOf(kRecoveryActions, v); }
std::string_view ToString(AssignmentState v) { return NameOf(kAssignmentStates, v); }
std::string_view ToString(ConditionStatus v) { return NameOf(kConditionStatuses, v); }
std::string_view ToString(HealthCheckInvoker v) { return NameOf(kInvokers, v); }
std::string_view ToString(OperationAction v) { return NameOf(kOperationActions, v); }
std::string_view ToString(OperationPhase v) { return NameOf(kOperationPhases, v); }
std::string_view ToString(FencePolicy v) { return NameOf(kFencePolicies, v); }

bool Parse(std::string_view t, AdminState* out) { return ParseName(kAdminStates, t, out); }
bool Parse(std::string_view t, HaState* out) { return ParseName(kHaStates, t, out); }
bool Parse(std::string_view t, RedundancyModel* out) {
  return ParseName(kRedundancyModels, t, out);
}
bool Parse(std::string_view t, PresenceState* out) {
  return ParseName(kPresenceStates, t, out);
}
bool Parse(std::string_view t, OperState* out) { return ParseName(kOperStates, t, out); }
bool Parse(std::string_view t, ReadinessState* out) {
  return ParseName(kReadinessStates, t, out);
}
bool Parse(std::string_view t, RecoveryAction* out) {
  return ParseName(kRecoveryActions, t, out);
}
bool Parse(std::string_view t, AssignmentState* out) {
  return ParseName(kAssignmentStates, t, out);
}
bool Parse(std::string_view t, ConditionStatus* out) {
  return ParseName(kConditionStatuses, t, out);
}
bool Parse(std::string_view t, HealthCheckInvoker* out) {
  return ParseName(kInvokers, t, out);
}
bool Parse(std::string_view t, OperationAction* out) {
  return ParseName(kOperationActions, t, out);
}
bool Parse(std::string_view t, OperationPhase* out) {
  return ParseName(kOperationPhases, t, out);
}
bool Parse(std::string_view t, FencePolicy* out) { return ParseName(kFencePolicies, t, out); }

std::string DomainNameOf(const VirtualMachineSpec& spec) {
  if (!spec.domain_name.empty()) return spec.domain_name;
  const std::string& xml = spec.domain_xml;
  const size_t open = xml.find("<name>");
  if (open == std::string::npos) return "";
  const size_t begin = open + 6;
  const size_t end = xml.find("</name>", begin);
  if (end == std::string::npos) return "";
  return std::string(absl::StripAsciiWhitespace(xml.substr(begin, end - begin)));
}

namespace {

// Sets out[key] = value unless value is empty.
void PutString(Json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

void PutStrings(Json& out, const char* key, const std::vector<std::string>& values) {
  if (!values.empty()) out[key] = values;
}

void PutConditions(Json& out, const std::vector<Condition>& conditions) {
  if (conditions.empty()) return;
  Json list = Json::array();
  for (const Condition& condition : conditions) list.push_back(ToJson(condition));
  out["conditions"] = std::move(list);
}

void PutFailure(Json& out, const Failure& failure) {
  if (failure.reason.empty()) return;
  Json json = {{"reason", failure.reason}};
  PutString(json, "time", failure.time);
  PutString(json, "source", failure.source);
  out["lastFailure"] = std::move(json);
}

Json StatusBase(int64_t observed_generation, const std::vector<Condition>& conditions) {
  Json out = {{"observedGeneration", observed_generation}};
  PutConditions(out, conditions);
  return out;
}

}  // namespace

Json ToJson(const Condition& condition) {
  Json out = {{"type", condition.type},
              {"status", ToString(condition.status)},
              {"observedGeneration", condition.observed_generation}};
  PutString(out, "lastTransitionTime", condition.last_transition_time);
  PutString(out, "reason", condition.reason);
  PutString(out, "message", condition.message);
  return out;
}

Json ToJson(const NodeStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["operState"] = ToString(status.oper_state);
  PutString(out, "readiness", status.readiness);
  Json agent = Json::object();
  PutString(agent, "version", status.agent_version);
  PutString(agent, "lastHeartbeat", status.agent_last_heartbeat);
  if (!agent.empty()) out["agent"] = std::move(agent);
  const FenceStatus& f = status.fencing;
  Json fencing = Json::object();
  PutString(fencing, "phase", f.phase);
  PutString(fencing, "outage", f.outage);
  PutString(fencing, "method", f.method);
  PutString(fencing, "message", f.message);
  PutString(fencing, "time", f.time);
  if (f.attempts > 0) fencing["attempts"] = f.attempts;
  if (!fencing.empty()) out["fencing"] = std::move(fencing);
  return out;
}

Json ToJson(const ServiceGroupStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["assignedUnits"] = status.assigned_units;
  out["activeUnits"] = status.active_units;
  out["standbyUnits"] = status.standby_units;
  out["spareUnits"] = status.spare_units;
  out["assignedInstances"] = status.assigned_instances;
  out["totalInstances"] = status.total_instances;
  PutString(out, "lastAdjustment", status.last_adjustment);
  PutString(out, "message", status.message);
  return out;
}

Json ToJson(const ServiceUnitStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["presenceState"] = ToString(status.presence_state);
  out["operState"] = ToString(status.oper_state);
  out["readinessState"] = ToString(status.readiness_state);
  out["activeAssignments"] = status.active_assignments;
  out["standbyAssignments"] = status.standby_assignments;
  out["restartCount"] = status.restart_count;
  PutFailure(out, status.last_failure);
  PutString(out, "inServiceSince", status.in_service_since);
  if (status.pre_instantiable) out["preInstantiable"] = true;
  if (!status.ha_states.empty()) {
    Json reached = Json::array();
    for (const ReachedHaState& entry : status.ha_states) {
      reached.push_back({{"serviceInstance", entry.service_instance},
                         {"haState", ToString(entry.ha_state)}});
    }
    out["haStates"] = std::move(reached);
  }
  return out;
}

Json ToJson(const ComponentStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["presenceState"] = ToString(status.presence_state);
  out["operState"] = ToString(status.oper_state);
  out["haState"] = ToString(status.ha_state);
  out["pid"] = status.pid;
  PutString(out, "startTime", status.start_time);
  out["restartCount"] = status.restart_count;
  PutFailure(out, status.last_failure);
  if (!status.domain.name.empty()) {
    Json domain = {{"id", status.domain.id},
                   {"name", status.domain.name},
                   {"qemuPid", status.domain.qemu_pid}};
    PutString(domain, "state", status.domain.state);
    out["domain"] = std::move(domain);
  }
  return out;
}

Json ToJson(const Successor& successor) {
  Json out = Json::object();
  PutString(out, "unit", successor.unit);
  PutString(out, "node", successor.node);
  Json migration = Json::object();
  PutString(migration, "hypervisor", successor.live_migration.hypervisor);
  PutString(migration, "address", successor.live_migration.address);
  if (!migration.empty()) out["liveMigration"] = std::move(migration);
  return out;
}

Json ToJson(const ServiceInstanceStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["assignmentState"] = ToString(status.assignment_state);
  Json assignments = Json::array();
  for (const Assignment& assignment : status.assignments) {
    Json json = {{"unit", assignment.unit},
                 {"haState", ToString(assignment.ha_state)},
                 {"confirmed", assignment.confirmed}};
    PutString(json, "node", assignment.node);
    PutString(json, "since", assignment.since);
    if (Json successor = ToJson(assignment.successor); !successor.empty()) {
      json["successor"] = std::move(successor);
    }
    assignments.push_back(std::move(json));
  }
  if (!assignments.empty()) out["assignments"] = std::move(assignments);
  PutStrings(out, "activeUnits", status.active_units);
  PutStrings(out, "standbyUnits", status.standby_units);
  PutString(out, "message", status.message);
  if (Json incidents = ToJson(status.incidents); !incidents.empty()) {
    out["incidents"] = std::move(incidents);
  }
  if (Json availability = ToJson(status.availability); !availability.empty()) {
    out["availability"] = std::move(availability);
  }
  return out;
}

Json ToJson(const OperationStatus& status) {
  Json out = StatusBase(status.observed_generation, status.conditions);
  out["phase"] = ToString(status.phase);
  PutString(out, "message", status.message);
  PutString(out, "startTime", status.start_time);
  PutString(out, "completionTime", status.completion_time);
  PutString(out, "fromUnit", status.from_unit);
  return out;
}

Json ToJson(const IncidentSpec& spec) {
  Json out = {{"failedKind", spec.failed_kind},
              {"failedName", spec.failed_name},
              {"serviceAffecting", spec.service_affecting}};
  PutString(out, "serviceUnit", spec.service_unit);
  PutString(out, "node", spec.node);
  PutString(out, "source", spec.source);
  PutString(out, "reason", spec.reason);
  PutStrings(out, "serviceInstances", spec.service_instances);
  return out;
}

Json ToJson(const IncidentStatus& status) {
  Json out = Json::object();
  PutString(out, "phase", status.phase);
  PutString(out, "recoveryAction", status.recovery_action);
  PutString(out, "recoveredBy", status.recovered_by);
  PutString(out, "failureTime", status.failure_time);
  PutString(out, "detectionTime", status.detection_time);
  PutString(out, "reactionTime", status.reaction_time);
  PutString(out, "recoveredTime", status.recovered_time);
  PutString(out, "repairedTime", status.repaired_time);
  Json durations = Json::object();
  PutString(durations, "reaction", status.durations.reaction);
  PutString(durations, "recovery", status.durations.recovery);
  PutString(durations, "outage", status.durations.outage);
  PutString(durations, "repair", status.durations.repair);
  if (!durations.empty()) out["durations"] = std::move(durations);
  PutString(out, "message", status.message);
  return out;
}

Json ToJson(const IncidentSummary& summary) {
  if (summary == IncidentSummary()) return Json::object();
  Json out = {{"total", summary.total}, {"open", summary.open}};
  PutString(out, "last", summary.last);
  PutString(out, "lastFailureTime", summary.last_failure_time);
  PutString(out, "lastOutage", summary.last_outage);
  return out;
}

Json ToJson(const InstanceAvailability& a) {
  Json out = Json::object();
  PutString(out, "since", a.since);
  PutString(out, "observed", a.observed);
  PutString(out, "unassigned", a.unassigned);
  PutString(out, "partiallyAssigned", a.partially_assigned);
  PutString(out, "availability", a.availability);
  PutString(out, "target", a.target);
  PutString(out, "downtimeBudget", a.downtime_budget);
  PutString(out, "budgetRemaining", a.budget_remaining);
  return out;
}

}  // namespace vigil::api
