// Typed views of Vigil objects for controllers and agents.
//
// The JSON documents (api/object.h) stay the source of truth; these structs
// are read from them with FromJson<T> (defaults applied first, so every spec
// field has its value) and statuses are written back with ToJson. Durations
// are std::chrono::milliseconds; timestamps stay RFC 3339 strings.
//
// Thread safety: plain values; the functions are pure.
#ifndef VIGIL_API_TYPES_H_
#define VIGIL_API_TYPES_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::api {

using Millis = std::chrono::milliseconds;
using StringMap = std::map<std::string, std::string>;

// Enums, each spelled in JSON as its name without the k ("N+M" for kNPlusM).
// ToString gives that spelling; Parse reads it (false if unknown, *out kept).
enum class AdminState { kUnlocked, kLocked, kLockedInstantiation, kShuttingDown };
enum class HaState { kNone, kActive, kStandby, kQuiescing, kQuiesced };  // kNone: ""
enum class RedundancyModel { k2N, kNPlusM, kNWay, kNWayActive, kNoRedundancy };
enum class PresenceState {
  kUninstantiated, kInstantiating, kInstantiated, kTerminating, kRestarting,
  kInstantiationFailed, kTerminationFailed
};
enum class OperState { kEnabled, kDisabled };
enum class ReadinessState { kInService, kOutOfService, kStopping };
enum class RecoveryAction {
  kComponentRestart, kComponentFailover, kUnitRestart, kUnitFailover, kNodeFailover
};
enum class AssignmentState { kUnassigned, kPartiallyAssigned, kFullyAssigned };
enum class ConditionStatus { kTrue, kFalse, kUnknown };
enum class HealthCheckInvoker { kComponent, kFramework };
enum class OperationAction {
  kSwapServiceInstance, kRestartUnit, kRestartComponent, kRepaired
};
enum class OperationPhase { kPending, kRunning, kSucceeded, kFailed };
// What recovery does when a node's fencing is not confirmed.
enum class FencePolicy { kProceedAfterTimeout, kWaitForConfirmation };

std::string_view ToString(AdminState value);
std::string_view ToString(HaState value);
std::string_view ToString(RedundancyModel value);
std::string_view ToString(PresenceState value);
std::string_view ToString(OperState value);
std::string_view ToString(ReadinessState value);
std::string_view ToString(RecoveryAction value);
std::string_view ToString(AssignmentState value);
std::string_view ToString(ConditionStatus value);
std::string_view ToString(HealthCheckInvoker value);
std::string_view ToString(OperationAction value);
std::string_view ToString(OperationPhase value);
std::string_view ToString(FencePolicy value);

bool Parse(std::string_view text, AdminState* out);
bool Parse(std::string_view text, HaState* out);
bool Parse(std::string_view text, RedundancyModel* out);
bool Parse(std::string_view text, PresenceState* out);
bool Parse(std::string_view text, OperState* out);
bool Parse(std::string_view text, ReadinessState* out);
bool Parse(std::string_view text, RecoveryAction* out);
bool Parse(std::string_view text, AssignmentState* out);
bool Parse(std::string_view text, ConditionStatus* out);
bool Parse(std::string_view text, HealthCheckInvoker* out);
bool Parse(std::string_view text, OperationAction* out);
bool Parse(std::string_view text, OperationPhase* out);
bool Parse(std::string_view text, FencePolicy* out);

struct ObjectMeta {
  std::string name;
  std::string uid;
  StringMap labels;
  StringMap annotations;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  std::string deletion_timestamp;  // empty unless being deleted
  std::vector<std::string> finalizers;
};

struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  int64_t observed_generation = 0;
  std::string last_transition_time;
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct Failure {
  std::string reason;
  std::string time;
  std::string source;  // Component only
  bool operator==(const Failure&) const = default;
};

// ---- Node ----
// How a node that stopped answering is fenced before its units' service
// instances are recovered elsewhere (controllers/node_fencer.h).
struct NodeFencing {
  std::vector<std::string> command{};  // run by vigild; exit 0: the node is off
  std::string hypervisor{};            // libvirt URI: destroy the node's VM domains there
  Millis timeout{0};
  FencePolicy policy = FencePolicy::kProceedAfterTimeout;
  // Whether any fencing method is declared (else: agent self-fencing only).
  bool Configured() const { return !command.empty() || !hypervisor.empty(); }
};
// Where a node takes live-migrated virtual machines (Node.spec.liveMigration;
// also carried by an assignment's successor).
struct LiveMigration {
  std::string hypervisor{};  // libvirt URI of the node's hypervisor as other agents reach it
  std::string address{};     // migration data URI (e.g. "tcp://10.0.0.2"); empty: libvirt's choice
  bool Accepts() const { return !hypervisor.empty(); }
  bool operator==(const LiveMigration&) const = default;
};
struct NodeSpec {
  AdminState admin_state = AdminState::kUnlocked;
  std::string hypervisor;
  LiveMigration live_migration;  // hypervisor empty: takes no live migrations
  std::string hosted_by;
  int64_t unit_failover_max = 0;
  Millis unit_failover_probation{0};
  bool auto_repair = true;
  NodeFencing fencing;
};
// The fencing of the node's latest outage (status.fencing), written by the
// node fencer. `outage` is the lastTransitionTime of the Ready=False
// condition it is for, so a verdict never outlives its outage.
struct FenceStatus {
  std::string phase{};   // Fencing, Fenced, ProceededUnfenced, NotConfigured
  std::string outage{};  // RFC 3339
  std::string method{};  // command, hypervisor ("" until fenced)
  std::string message{};
  std::string time{};  // of the last change, RFC 3339
  int64_t attempts = 0;
};
struct NodeStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  OperState oper_state = OperState::kEnabled;
  std::string readiness;
  std::string agent_version;
  std::string agent_last_heartbeat;
  FenceStatus fencing;
};
struct Node {
  ObjectMeta metadata;
  NodeSpec spec;
  NodeStatus status;
};

// ---- ServiceGroup ----
struct AutoAdjust {
  bool enabled = false;
  Millis probation{0};
  Millis min_interval{0};
};
struct GroupRecovery {
  int64_t component_restart_max = 0;
  Millis component_restart_probation{0};
  int64_t unit_restart_max = 0;
  Millis unit_restart_probation{0};
};
struct ServiceGroupSpec {
  RedundancyModel redundancy_model = RedundancyModel::k2N;
  AdminState admin_state = AdminState::kUnlocked;
  int64_t preferred_active_units = 1;
  int64_t preferred_standby_units = 1;
  int64_t preferred_in_service_units = 0;
  int64_t max_active_instances_per_unit = 0;
  int64_t max_standby_instances_per_unit = 0;
  bool auto_repair = true;
  AutoAdjust auto_adjust;
  GroupRecovery recovery;
};
struct ServiceGroupStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  int64_t assigned_units = 0;
  int64_t active_units = 0;
  int64_t standby_units = 0;
  int64_t spare_units = 0;
  int64_t assigned_instances = 0;
  int64_t total_instances = 0;
  std::string last_adjustment;  // RFC 3339 (ms); empty: never
  std::string message;
};
struct ServiceGroup {
  ObjectMeta metadata;
  ServiceGroupSpec spec;
  ServiceGroupStatus status;
};

// ---- ServiceUnit ----
struct ServiceUnitSpec {
  std::string service_group;
  std::string node;
  int64_t rank = 0;
  AdminState admin_state = AdminState::kUnlocked;
  bool failover = false;
};
// The HA state a unit's components reached for one SI (agent-reported).
struct ReachedHaState {
  std::string service_instance;
  HaState ha_state = HaState::kNone;
  bool operator==(const ReachedHaState&) const = default;
};
struct ServiceUnitStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  PresenceState presence_state = PresenceState::kUninstantiated;
  OperState oper_state = OperState::kEnabled;
  ReadinessState readiness_state = ReadinessState::kOutOfService;
  int64_t active_assignments = 0;
  int64_t standby_assignments = 0;
  int64_t restart_count = 0;
  Failure last_failure;  // empty reason: none
  std::string in_service_since;  // RFC 3339 (ms); empty: never reported
  std::vector<ReachedHaState> ha_states;
  // All its components are SA-aware (pre-instantiable): its standbys run
  // already and only need promotion, so its node's fencing does not hold
  // its service instances back.
  bool pre_instantiable = false;
};
struct ServiceUnit {
  ObjectMeta metadata;
  ServiceUnitSpec spec;
  ServiceUnitStatus status;
};

// ---- Component ----
struct Instantiation {
  int64_t attempts = 0;
  Millis delay{0};
};
struct ExecHealthCheck {
  enum class Kind { kExec, kTcp, kHttp };
  Kind kind = Kind::kExec;
  std::vector<std::string> command;  // kExec
  std::string host;                  // kTcp, kHttp
  int64_t port = 0;                  // kTcp, kHttp
  std::string path;                  // kHttp
  std::string scheme;                // kHttp: "http" or "https"
  Millis period{0};
  Millis timeout{0};
  int64_t failure_threshold = 0;
};
struct ExecSpec {
  std::vector<std::string> instantiate;
  std::vector<std::string> terminate;
  std::vector<std::string> cleanup;
  StringMap env;
  std::string working_dir;
  Millis instantiate_timeout{0};
  Millis terminate_timeout{0};
  Millis cleanup_timeout{0};
  Instantiation instantiation;
  std::optional<ExecHealthCheck> health_check;
};
struct SaAwareSpec {
  std::vector<std::string> command;
  StringMap env;
  std::string working_dir;
  Millis instantiate_timeout{0};
  Millis csi_set_timeout{0};
  Millis terminate_timeout{0};
  Millis cleanup_timeout{0};
  Instantiation instantiation;
  HealthCheckInvoker health_check_invoker = HealthCheckInvoker::kComponent;
  Millis health_check_period{0};
  Millis health_check_max_duration{0};
};
struct VirtualMachineSpec {
  std::string domain_xml;   // exactly one of domain_xml, domain_name
  std::string domain_name;
  Millis shutdown_timeout{0};
  std::optional<Millis> guest_agent_ping;
  Millis start_timeout{0};
  // Live-migrate the running domain to the unit taking over in a graceful
  // switchover (lock, drain, swap, switchback) when that unit's node takes
  // live migrations; aborted (and stopped/started instead) after
  // migration_timeout.
  bool allow_migration = false;
  Millis migration_timeout{0};
};
// The domain's name: spec.domain_name, or the <name> of spec.domain_xml
// ("" if it has none).
std::string DomainNameOf(const VirtualMachineSpec& spec);

struct ComponentSpec {
  std::string service_unit;
  std::vector<std::string> cs_types;
  RecoveryAction recovery = RecoveryAction::kComponentRestart;
  bool disable_restart = false;
  // Exactly one is set.
  std::optional<ExecSpec> exec;
  std::optional<SaAwareSpec> sa_aware;
  std::optional<VirtualMachineSpec> virtual_machine;
};
struct DomainStatus {
  int64_t id = -1;
  std::string name;
  int64_t qemu_pid = 0;
  std::string state;
  bool operator==(const DomainStatus&) const = default;
};
struct ComponentStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  PresenceState presence_state = PresenceState::kUninstantiated;
  OperState oper_state = OperState::kEnabled;
  HaState ha_state = HaState::kNone;
  int64_t pid = 0;
  std::string start_time;
  int64_t restart_count = 0;
  Failure last_failure;  // empty reason: none
  DomainStatus domain;   // empty name: none
};
struct Component {
  ObjectMeta metadata;
  ComponentSpec spec;
  ComponentStatus status;
};

// ---- ServiceInstance ----
struct Csi {
  std::string name;
  std::string cs_type;
  StringMap attributes;
  std::vector<std::string> depends_on;
};
struct InstanceDependency {
  std::string service_instance;
  Millis tolerance_time{0};
};
struct RankedUnit {
  std::string unit;
  int64_t rank = 0;
};
struct ServiceInstanceSpec {
  std::string service_group;
  int64_t rank = 0;
  AdminState admin_state = AdminState::kUnlocked;
  int64_t preferred_active_assignments = 1;
  int64_t preferred_standby_assignments = 1;
  std::vector<Csi> csis;
  std::vector<InstanceDependency> depends_on;
  std::vector<RankedUnit> ranked_units;
};
// The unit that takes an SI over from a Quiesced assignment (graceful
// switchover), and where its node takes live-migrated VMs.
struct Successor {
  std::string unit;  // empty: none known
  std::string node;
  LiveMigration live_migration;
  bool operator==(const Successor&) const = default;
};
struct Assignment {
  std::string unit;
  std::string node;
  HaState ha_state = HaState::kNone;
  std::string since;
  bool confirmed = false;
  Successor successor{};  // Quiesced assignments only
  bool operator==(const Assignment&) const = default;
};
// The incidents that touched an SI (written by the incident recorder).
struct IncidentSummary {
  int64_t total = 0;             // incidents recorded since the recorder began
  int64_t open = 0;              // not yet recovered
  std::string last;              // name of the latest Incident; empty: none
  std::string last_failure_time;  // RFC 3339 (us)
  std::string last_outage;       // e.g. "6.412ms"; empty: not service-affecting
  bool operator==(const IncidentSummary&) const = default;
};
// Time without service, accumulated since `since` (incident recorder).
struct InstanceAvailability {
  std::string since;              // RFC 3339; empty: no accounting yet
  std::string observed;           // time watched since then, e.g. "26h3m0s"
  std::string unassigned;         // without a confirmed active assignment
  std::string partially_assigned;  // active, but missing standbys
  std::string availability;       // e.g. "99.99950%"
  std::string target;             // e.g. "99.999%"
  std::string downtime_budget;    // per year at the target, e.g. "5m15.576s"
  std::string budget_remaining;   // downtime_budget - unassigned (may be negative)
  bool operator==(const InstanceAvailability&) const = default;
};
struct ServiceInstanceStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  AssignmentState assignment_state = AssignmentState::kUnassigned;
  std::vector<Assignment> assignments;
  std::vector<std::string> active_units;
  std::vector<std::string> standby_units;
  std::string message;
  IncidentSummary incidents;          // empty last and total 0: none
  InstanceAvailability availability;  // empty since: none
};
struct ServiceInstance {
  ObjectMeta metadata;
  ServiceInstanceSpec spec;
  ServiceInstanceStatus status;
};

// ---- Operation ----
struct OperationSpec {
  OperationAction action = OperationAction::kSwapServiceInstance;
  std::string target;
};
struct OperationStatus {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  OperationPhase phase = OperationPhase::kPending;
  std::string message;
  std::string start_time;       // RFC 3339 (ms); empty: not started
  std::string completion_time;  // RFC 3339 (ms); empty: not finished
  std::string from_unit;        // SwapServiceInstance, once started
};
struct Operation {
  ObjectMeta metadata;
  OperationSpec spec;
  OperationStatus status;
};

// ---- Lease ----
struct LeaseSpec {
  std::string holder_identity;
  Millis lease_duration{600};
  std::string renew_time;    // RFC 3339 (ms)
  std::string acquire_time;  // RFC 3339 (ms)
};
struct Lease {
  ObjectMeta metadata;
  LeaseSpec spec;
};

// ---- Incident ----
// One failure and its handling (written by the incident recorder). Times are
// RFC 3339 with microseconds; durations are Go-style ("6.412ms").
struct IncidentSpec {
  std::string failed_kind;  // Component or Node
  std::string failed_name;
  std::string service_unit;  // the failed component's unit; empty for a node
  std::string node;
  std::string source;  // pidfd, healthCheck, libvirt, lease, agent
  std::string reason;
  std::vector<std::string> service_instances;  // assigned to the failed unit(s)
  bool service_affecting = false;  // one of them was active there
};
struct IncidentDurations {
  std::string reaction;  // failure -> first reaction
  std::string recovery;  // first reaction -> service recovered
  std::string outage;    // failure -> service recovered
  std::string repair;    // first reaction -> failed unit repaired
  bool operator==(const IncidentDurations&) const = default;
};
struct IncidentStatus {
  std::string phase;            // Open, Recovered or Closed
  std::string recovery_action;  // Failover, Restart or None (not yet known: "")
  std::string recovered_by;     // the unit active after the recovery
  std::string failure_time;
  std::string detection_time;
  std::string reaction_time;
  std::string recovered_time;
  std::string repaired_time;
  IncidentDurations durations;
  std::string message;
  bool operator==(const IncidentStatus&) const = default;
};
struct Incident {
  ObjectMeta metadata;
  IncidentSpec spec;
  IncidentStatus status;
};

// Reads a whole object of kind T (Node, ServiceGroup, ServiceUnit, Component,
// ServiceInstance, Operation, Lease or Incident). Defaults are applied to a copy first, so unset spec
// fields read as their schema defaults. An absent status reads as the
// zero-valued status.
// Errors: InvalidArgument if obj is not an object of T's kind, or a field has
// the wrong type or an unknown enum value or bad duration (naming the field).
template <typename T>
absl::StatusOr<T> FromJson(const Json& obj);

template <> absl::StatusOr<Node> FromJson<Node>(const Json& obj);
template <> absl::StatusOr<ServiceGroup> FromJson<ServiceGroup>(const Json& obj);
template <> absl::StatusOr<ServiceUnit> FromJson<ServiceUnit>(const Json& obj);
template <> absl::StatusOr<Component> FromJson<Component>(const Json& obj);
template <> absl::StatusOr<ServiceInstance> FromJson<ServiceInstance>(const Json& obj);
template <> absl::StatusOr<Operation> FromJson<Operation>(const Json& obj);
template <> absl::StatusOr<Lease> FromJson<Lease>(const Json& obj);
template <> absl::StatusOr<Incident> FromJson<Incident>(const Json& obj);

// The JSON of a status, as it goes under the object's "status" key. Empty
// strings, empty lists and empty failures are omitted (so ValidateStatus
// accepts the result).
Json ToJson(const Condition& condition);
Json ToJson(const NodeStatus& status);
Json ToJson(const ServiceGroupStatus& status);
Json ToJson(const ServiceUnitStatus& status);
Json ToJson(const ComponentStatus& status);
Json ToJson(const ServiceInstanceStatus& status);
Json ToJson(const OperationStatus& status);
Json ToJson(const IncidentSpec& spec);
Json ToJson(const IncidentStatus& status);
Json ToJson(const IncidentSummary& summary);        // {} when empty
Json ToJson(const Successor& successor);              // {} when none
Json ToJson(const InstanceAvailability& availability);  // {} when empty

}  // namespace vigil::api

#endif  // VIGIL_API_TYPES_H_
