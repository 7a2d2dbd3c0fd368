// FromJson<T>: reading typed views from object documents.
#include "absl/status/status.h"
#include "api/duration.h"
#include "api/strings.h"
#include "api/types.h"
#include "api/validation.h"

namespace vigil::api {
namespace {

// Reads the members of one JSON object, recording the first problem (with
// its field path) in a shared status and returning zero values after it.
class Reader {
 public:
  Reader(const Json& obj, std::string path, absl::Status* status)
      : obj_(obj), path_(std::move(path)), status_(status) {
    if (!obj_.is_null() && !obj_.is_object()) Fail("", "expected an object");
  }

  bool Has(const char* key) const { return !Get(key).is_null(); }

  std::string Str(const char* key) {
    const Json& value = Get(key);
    if (value.is_string()) return value.get<std::string>();
    if (!value.is_null()) Fail(key, "expected a string");
    return "";
  }

  int64_t Int(const char* key, int64_t fallback = 0) {
    const Json& value = Get(key);
    if (value.is_number_integer()) return value.get<int64_t>();
    if (!value.is_null()) Fail(key, "expected an integer");
    return fallback;
  }

  bool Bool(const char* key, bool fallback = false) {
    const Json& value = Get(key);
    if (value.is_boolean()) return value.get<bool>();
    if (!value.is_null()) Fail(key, "expected a boolean");
    return fallback;
  }

  Millis Duration(const char* key) { return OptionalDuration(key).value_or(Millis(0)); }

  std::optional<Millis> OptionalDuration(const char* key) {
    std::string text = Str(key);
    if (text.empty()) return std::nullopt;
    absl::StatusOr<Millis> duration = ParseDuration(text);
    if (duration.ok()) return *duration;
    Fail(key, std::string(duration.status().message()));
    return std::nullopt;
  }

  template <typename E>
  E Enum(const char* key, E fallback) {
    std::string text = Str(key);
    E value = fallback;
    if (Has(key) && !Parse(text, &value)) Fail(key, Cat("unknown value \"", text, "\""));
    return value;
  }

  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const Json& value = Get(key);
    if (value.is_null()) return out;
    if (!value.is_array()) {
      Fail(key, "expected a list of strings");
      return out;
    }
    for (const Json& item : value) {
      if (!item.is_string()) {
        Fail(key, "expected a list of strings");
        break;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  StringMap Map(const char* key) {
    StringMap out;
    const Json& value = Get(key);
    if (value.is_null()) return out;
    if (!value.is_object()) {
      Fail(key, "expected a map of strings");
      return out;
    }
    for (const auto& [name, item] : value.items()) {
      if (!item.is_string()) {
        Fail(key, "expected a map of strings");
        break;
      }
      out[name] = item.get<std::string>();
    }
    return out;
  }

  Reader Child(const char* key) { return Reader(Get(key), ChildPath(key), status_); }

  std::vector<Reader> Items(const char* key) {
    std::vector<Reader> items;
    const Json& value = Get(key);
    if (value.is_null()) return items;
    if (!value.is_array()) {
      Fail(key, "expected a list");
      return items;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      items.emplace_back(value[i], Cat(ChildPath(key), "[", i, "]"), status_);
    }
    return items;
  }

 private:
  const Json& Get(const char* key) const {
    static const auto* const kNull = new Json();
    if (!obj_.is_object()) return *kNull;
    auto it = obj_.find(key);
    return it == obj_.end() ? *kNull : *it;
  }

  std::string ChildPath(std::string_view key) const {
    if (key.empty()) return path_;
    return path_.empty() ? std::string(key) : Cat(path_, ".", key);
  }

  void Fail(std::string_view key, std::string_view what) {
    if (!status_->ok()) return;
    *status_ = absl::InvalidArgumentError(Cat(ChildPath(key), ": ", what));
  }

  const Json& obj_;
  std::string path_;
  absl::Status* status_;
};

ObjectMeta ReadMeta(Reader r) {
  ObjectMeta meta;
  meta.name = r.Str("name");
  meta.uid = r.Str("uid");
  meta.labels = r.Map("labels");
  meta.annotations = r.Map("annotations");
  meta.resource_version = r.Str("resourceVersion");
  meta.generation = r.Int("generation");
  meta.creation_timestamp = r.Str("creationTimestamp");
  meta.deletion_timestamp = r.Str("deletionTimestamp");
  meta.finalizers = r.Strings("finalizers");
  return meta;
}

std::vector<Condition> ReadConditions(Reader& status) {
  std::vector<Condition> conditions;
  for (Reader& r : status.Items("conditions")) {
    Condition condition;
    condition.type = r.Str("type");
    condition.status = r.Enum("status", ConditionStatus::kUnknown);
    condition.observed_generation = r.Int("observedGeneration");
    condition.last_transition_time = r.Str("lastTransitionTime");
    condition.reason = r.Str("reason");
    condition.message = r.Str("message");
    conditions.push_back(std::move(condition));
  }
  return conditions;
}

Failure ReadFailure(Reader r) {
  return {r.Str("reason"), r.Str("time"), r.Str("source")};
}

Instantiation ReadInstantiation(Reader r) {
  return {r.Int("attempts"), r.Duration("delay")};
}

}  // namespace

namespace types_internal {

// Shared with the per-kind readers below; see FromJson.
template <typename T, typename ReadFn>
absl::StatusOr<T> ReadObject(const Json& obj, std::string_view kind, ReadFn read) {
  if (!obj.is_object() || KindOf(obj) != kind) {
    return absl::InvalidArgumentError(
        Cat("expected an object of kind ", kind, ", got kind \"", KindOf(obj), "\""));
  }
  Json defaulted = obj;
  ApplyDefaults(defaulted);
  absl::Status status;
  T result;
  Reader root(defaulted, "", &status);
  result.metadata = ReadMeta(root.Child("metadata"));
  Reader spec = root.Child("spec");
  Reader object_status = root.Child("status");
  read(spec, object_status, result);
  if (!status.ok()) return status;
  return result;
}

}  // namespace types_internal

namespace {

using types_internal::ReadObject;

LiveMigration ReadLiveMigration(Reader r) {
  return {.hypervisor = r.Str("hypervisor"), .address = r.Str("address")};
}

void ReadNode(Reader& spec, Reader& status, Node& node) {
  node.spec.admin_state = spec.Enum("adminState", AdminState::kUnlocked);
  node.spec.hypervisor = spec.Str("hypervisor");
  node.spec.live_migration = ReadLiveMigration(spec.Child("liveMigration"));
  node.spec.hosted_by = spec.Str("hostedBy");
  node.spec.unit_failover_max = spec.Int("unitFailoverMax");
  node.spec.unit_failover_probation = spec.Duration("unitFailoverProbation");
  node.spec.auto_repair = spec.Bool("autoRepair", true);
  Reader fencing = spec.Child("fencing");
  node.spec.fencing.command = fencing.Strings("command");
  node.spec.fencing.hypervisor = fencing.Str("hypervisor");
  node.spec.fencing.timeout = fencing.Duration("timeout");
  node.spec.fencing.policy = fencing.Enum("policy", FencePolicy::kProceedAfterTimeout);
  node.status.observed_generation = status.Int("observedGeneration");
  node.status.conditions = ReadConditions(status);
  node.status.oper_state = status.Enum("operState", OperState::kEnabled);
  node.status.readiness = status.Str("readiness");
  Reader agent = status.Child("agent");
  node.status.agent_version = agent.Str("version");
  node.status.agent_last_heartbeat = agent.Str("lastHeartbeat");
  Reader fence = status.Child("fencing");
  node.status.fencing = {.phase = fence.Str("phase"),
                         .outage = fence.Str("outage"),
                         .method = fence.Str("method"),
                         .message = fence.Str("message"),
                         .time = fence.Str("time"),
                         .attempts = fence.Int("attempts")};
}

void ReadServiceGroupSpec(Reader& r, ServiceGroupSpec& spec) {
  spec.redundancy_model = r.Enum("redundancyModel", RedundancyModel::k2N);
  spec.admin_state = r.Enum("adminState", AdminState::kUnlocked);
  spec.preferred_active_units = r.Int("preferredActiveUnits");
  spec.preferred_standby_units = r.Int("preferredStandbyUnits");
  spec.preferred_in_service_units = r.Int("preferredInServiceUnits");
  spec.max_active_instances_per_unit = r.Int("maxActiveInstancesPerUnit");
  spec.max_standby_instances_per_unit = r.Int("maxStandbyInstancesPerUnit");
  spec.auto_repair = r.Bool("autoRepair", true);
  Reader adjust = r.Child("autoAdjust");
  spec.auto_adjust = {adjust.Bool("enabled"), adjust.Duration("probation"),
                      adjust.Duration("minInterval")};
  Reader recovery = r.Child("recovery");
  spec.recovery = {recovery.Int("componentRestartMax"),
                   recovery.Duration("componentRestartProbation"),
                   recovery.Int("unitRestartMax"),
                   recovery.Duration("unitRestartProbation")};
}

void ReadServiceGroup(Reader& spec, Reader& status, ServiceGroup& group) {
  ReadServiceGroupSpec(spec, group.spec);
  ServiceGroupStatus& s = group.status;
  s.observed_generation = status.Int("observedGeneration");
  s.conditions = ReadConditions(status);
  s.assigned_units = status.Int("assignedUnits");
  s.active_units = status.Int("activeUnits");
  s.standby_units = status.Int("standbyUnits");
  s.spare_units = status.Int("spareUnits");
  s.assigned_instances = status.Int("assignedInstances");
  s.total_instances = status.Int("totalInstances");
  s.last_adjustment = status.Str("lastAdjustment");
  s.message = status.Str("message");
}

void ReadServiceUnit(Reader& spec, Reader& status, ServiceUnit& unit) {
  unit.spec.service_group = spec.Str("serviceGroup");
  unit.spec.node = spec.Str("node");
  unit.spec.rank = spec.Int("rank");
  unit.spec.admin_state = spec.Enum("adminState", AdminState::kUnlocked);
  unit.spec.failover = spec.Bool("failover");
  ServiceUnitStatus& s = unit.status;
  s.observed_generation = status.Int("observedGeneration");
  s.conditions = ReadConditions(status);
  s.presence_state = status.Enum("presenceState", PresenceState::kUninstantiated);
  s.oper_state = status.Enum("operState", OperState::kEnabled);
  s.readiness_state = status.Enum("readinessState", ReadinessState::kOutOfService);
  s.active_assignments = status.Int("activeAssignments");
  s.standby_assignments = status.Int("standbyAssignments");
  s.restart_count = status.Int("restartCount");
  s.last_failure = ReadFailure(status.Child("lastFailure"));
  s.in_service_since = status.Str("inServiceSince");
  s.pre_instantiable = status.Bool("preInstantiable", false);
  for (Reader& reached : status.Items("haStates")) {
    s.ha_states.push_back({reached.Str("serviceInstance"),
                           reached.Enum("haState", HaState::kNone)});
  }
}

void ReadServiceInstanceSpec(Reader& r, ServiceInstanceSpec& spec) {
  spec.service_group = r.Str("serviceGroup");
  spec.rank = r.Int("rank");
  spec.admin_state = r.Enum("adminState", AdminState::kUnlocked);
  spec.preferred_active_assignments = r.Int("preferredActiveAssignments");
  spec.preferred_standby_assignments = r.Int("preferredStandbyAssignments");
  for (Reader& csi : r.Items("csis")) {
    spec.csis.push_back({csi.Str("name"), csi.Str("csType"), csi.Map("attributes"),
                         csi.Strings("dependsOn")});
  }
  for (Reader& dependency : r.Items("dependsOn")) {
    spec.depends_on.push_back({dependency.Str("serviceInstance"),
                               dependency.Duration("toleranceTime")});
  }
  for (Reader& ranked : r.Items("rankedUnits")) {
    spec.ranked_units.push_back({ranked.Str("unit"), ranked.Int("rank")});
  }
}

void ReadIncidentSummary(Reader r, IncidentSummary& summary) {
  summary.total = r.Int("total");
  summary.open = r.Int("open");
  summary.last = r.Str("last");
  summary.last_failure_time = r.Str("lastFailureTime");
  summary.last_outage = r.Str("lastOutage");
}

void ReadAvailability(Reader r, InstanceAvailability& a) {
  a.since = r.Str("since");
  a.observed = r.Str("observed");
  a.unassigned = r.Str("unassigned");
  a.partially_assigned = r.Str("partiallyAssigned");
  a.availability = r.Str("availability");
  a.target = r.Str("target");
  a.downtime_budget = r.Str("downtimeBudget");
  a.budget_remaining = r.Str("budgetRemaining");
}

void ReadServiceInstance(Reader& spec, Reader& status, ServiceInstance& instance) {
  ReadServiceInstanceSpec(spec, instance.spec);
  ServiceInstanceStatus& s = instance.status;
  s.observed_generation = status.Int("observedGeneration");
  s.conditions = ReadConditions(status);
  s.assignment_state = status.Enum("assignmentState", AssignmentState::kUnassigned);
  for (Reader& a : status.Items("assignments")) {
    Reader successor = a.Child("successor");
    s.assignments.push_back(
        {a.Str("unit"), a.Str("node"), a.Enum("haState", HaState::kNone), a.Str("since"),
         a.Bool("confirmed"),
         {successor.Str("unit"), successor.Str("node"),
          ReadLiveMigration(successor.Child("liveMigration"))}});
  }
  s.active_units = status.Strings("activeUnits");
  s.standby_units = status.Strings("standbyUnits");
  s.message = status.Str("message");
  ReadIncidentSummary(status.Child("incidents"), s.incidents);
  ReadAvailability(status.Child("availability"), s.availability);
}

std::optional<ExecHealthCheck> ReadExecHealthCheck(Reader r) {
  ExecHealthCheck check;
  if (r.Has("tcp")) {
    Reader tcp = r.Child("tcp");
    check.kind = ExecHealthCheck::Kind::kTcp;
    check.host = tcp.Str("host");
    check.port = tcp.Int("port");
  } else if (r.Has("http")) {
    Reader http = r.Child("http");
    check.kind = ExecHealthCheck::Kind::kHttp;
    check.host = http.Str("host");
    check.port = http.Int("port");
    check.path = http.Str("path");
    check.scheme = http.Str("scheme");
  } else if (r.Has("exec")) {
    check.command = r.Child("exec").Strings("command");
  } else {
    return std::nullopt;
  }
  check.period = r.Duration("period");
  check.timeout = r.Duration("timeout");
  check.failure_threshold = r.Int("failureThreshold");
  return check;
}

ExecSpec ReadExec(Reader r) {
  ExecSpec exec;
  exec.instantiate = r.Strings("instantiate");
  exec.terminate = r.Strings("terminate");
  exec.cleanup = r.Strings("cleanup");
  exec.env = r.Map("env");
  exec.working_dir = r.Str("workingDir");
  Reader timeouts = r.Child("timeouts");
  exec.instantiate_timeout = timeouts.Duration("instantiate");
  exec.terminate_timeout = timeouts.Duration("terminate");
  exec.cleanup_timeout = timeouts.Duration("cleanup");
  exec.instantiation = ReadInstantiation(r.Child("instantiation"));
  if (r.Has("healthCheck")) exec.health_check = ReadExecHealthCheck(r.Child("healthCheck"));
  return exec;
}

SaAwareSpec ReadSaAware(Reader r) {
  SaAwareSpec sa;
  sa.command = r.Strings("command");
  sa.env = r.Map("env");
  sa.working_dir = r.Str("workingDir");
  Reader timeouts = r.Child("timeouts");
  sa.instantiate_timeout = timeouts.Duration("instantiate");
  sa.csi_set_timeout = timeouts.Duration("csiSet");
  sa.terminate_timeout = timeouts.Duration("terminate");
  sa.cleanup_timeout = timeouts.Duration("cleanup");
  sa.instantiation = ReadInstantiation(r.Child("instantiation"));
  Reader health = r.Child("healthCheck");
  sa.health_check_invoker = health.Enum("invoker", HealthCheckInvoker::kComponent);
  sa.health_check_period = health.Duration("period");
  sa.health_check_max_duration = health.Duration("maxDuration");
  return sa;
}

VirtualMachineSpec ReadVirtualMachine(Reader r) {
  VirtualMachineSpec vm;
  vm.domain_xml = r.Str("domainXML");
  vm.domain_name = r.Str("domainName");
  vm.shutdown_timeout = r.Duration("shutdownTimeout");
  vm.guest_agent_ping = r.OptionalDuration("guestAgentPing");
  vm.start_timeout = r.Duration("startTimeout");
  vm.allow_migration = r.Bool("allowMigration");
  vm.migration_timeout = r.Duration("migrationTimeout");
  return vm;
}

void ReadComponentStatus(Reader& status, ComponentStatus& s) {
  s.observed_generation = status.Int("observedGeneration");
  s.conditions = ReadConditions(status);
  s.presence_state = status.Enum("presenceState", PresenceState::kUninstantiated);
  s.oper_state = status.Enum("operState", OperState::kEnabled);
  s.ha_state = status.Enum("haState", HaState::kNone);
  s.pid = status.Int("pid");
  s.start_time = status.Str("startTime");
  s.restart_count = status.Int("restartCount");
  s.last_failure = ReadFailure(status.Child("lastFailure"));
  Reader domain = status.Child("domain");
  s.domain = {domain.Int("id", -1), domain.Str("name"), domain.Int("qemuPid"),
              domain.Str("state")};
}

void ReadComponent(Reader& spec, Reader& status, Component& component) {
  ComponentSpec& c = component.spec;
  c.service_unit = spec.Str("serviceUnit");
  c.cs_types = spec.Strings("csTypes");
  c.recovery = spec.Enum("recovery", RecoveryAction::kComponentRestart);
  c.disable_restart = spec.Bool("disableRestart");
  if (spec.Has("exec")) c.exec = ReadExec(spec.Child("exec"));
  if (spec.Has("saAware")) c.sa_aware = ReadSaAware(spec.Child("saAware"));
  if (spec.Has("virtualMachine")) {
    c.virtual_machine = ReadVirtualMachine(spec.Child("virtualMachine"));
  }
  ReadComponentStatus(status, component.status);
}

void ReadOperation(Reader& spec, Reader& status, Operation& operation) {
  operation.spec.action =
      spec.Enum("action", OperationAction::kSwapServiceInstance);
  operation.spec.target = spec.Str("target");
  OperationStatus& s = operation.status;
  s.observed_generation = status.Int("observedGeneration");
  s.conditions = ReadConditions(status);
  s.phase = status.Enum("phase", OperationPhase::kPending);
  s.message = status.Str("message");
  s.start_time = status.Str("startTime");
  s.completion_time = status.Str("completionTime");
  s.from_unit = status.Str("fromUnit");
}

void ReadLease(Reader& spec, Reader& /*status*/, Lease& lease) {
  lease.spec.holder_identity = spec.Str("holderIdentity");
  lease.spec.lease_duration = spec.Duration("leaseDuration");
  lease.spec.renew_time = spec.Str("renewTime");
  lease.spec.acquire_time = spec.Str("acquireTime");
}

void ReadIncident(Reader& spec, Reader& status, Incident& incident) {
  IncidentSpec& p = incident.spec;
  p.failed_kind = spec.Str("failedKind");
  p.failed_name = spec.Str("failedName");
  p.service_unit = spec.Str("serviceUnit");
  p.node = spec.Str("node");
  p.source = spec.Str("source");
  p.reason = spec.Str("reason");
  p.service_instances = spec.Strings("serviceInstances");
  p.service_affecting = spec.Bool("serviceAffecting");
  IncidentStatus& s = incident.status;
  s.phase = status.Str("phase");
  s.recovery_action = status.Str("recoveryAction");
  s.recovered_by = status.Str("recoveredBy");
  s.failure_time = status.Str("failureTime");
  s.detection_time = status.Str("detectionTime");
  s.reaction_time = status.Str("reactionTime");
  s.recovered_time = status.Str("recoveredTime");
  s.repaired_time = status.Str("repairedTime");
  Reader durations = status.Child("durations");
  s.durations = {durations.Str("reaction"), durations.Str("recovery"), durations.Str("outage"),
                 durations.Str("repair")};
  s.message = status.Str("message");
}

}  // namespace

template <>
absl::StatusOr<Node> FromJson<Node>(const Json& obj) {
  return ReadObject<Node>(obj, "Node", ReadNode);
}

template <>
absl::StatusOr<ServiceGroup> FromJson<ServiceGroup>(const Json& obj) {
  return ReadObject<ServiceGroup>(obj, "ServiceGroup", ReadServiceGroup);
}

template <>
absl::StatusOr<ServiceUnit> FromJson<ServiceUnit>(const Json& obj) {
  return ReadObject<ServiceUnit>(obj, "ServiceUnit", ReadServiceUnit);
}

template <>
absl::StatusOr<Component> FromJson<Component>(const Json& obj) {
  return ReadObject<Component>(obj, "Component", ReadComponent);
}

template <>
absl::StatusOr<ServiceInstance> FromJson<ServiceInstance>(const Json& obj) {
  return ReadObject<ServiceInstance>(obj, "ServiceInstance", ReadServiceInstance);
}

template <>
absl::StatusOr<Operation> FromJson<Operation>(const Json& obj) {
  return ReadObject<Operation>(obj, "Operation", ReadOperation);
}

template <>
absl::StatusOr<Lease> FromJson<Lease>(const Json& obj) {
  return ReadObject<Lease>(obj, "Lease", ReadLease);
}

}  // namespace vigil::api

namespace vigil::api {

template <>
absl::StatusOr<Incident> FromJson<Incident>(const Json& obj) {
  return ReadObject<Incident>(obj, "Incident", ReadIncident);
}

}  // namespace vigil::api
