#include "api/types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/validation.h"
#include "tests/api/test_objects.h"

namespace vigil::api {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ParseOne;

TEST(Enums, SpellingsRoundTrip) {
  EXPECT_EQ(ToString(RedundancyModel::kNPlusM), "N+M");
  EXPECT_EQ(ToString(RedundancyModel::kNWayActive), "N-Way-Active");
  EXPECT_EQ(ToString(HaState::kNone), "");
  EXPECT_EQ(ToString(AdminState::kLockedInstantiation), "LockedInstantiation");
  RedundancyModel model = RedundancyModel::k2N;
  EXPECT_TRUE(Parse("No-Redundancy", &model));
  EXPECT_EQ(model, RedundancyModel::kNoRedundancy);
  EXPECT_FALSE(Parse("3N", &model));
  EXPECT_EQ(model, RedundancyModel::kNoRedundancy);
  PresenceState presence = PresenceState::kUninstantiated;
  EXPECT_TRUE(Parse("TerminationFailed", &presence));
  EXPECT_EQ(presence, PresenceState::kTerminationFailed);
  for (auto state : {ReadinessState::kInService, ReadinessState::kOutOfService,
                     ReadinessState::kStopping}) {
    ReadinessState parsed = ReadinessState::kInService;
    EXPECT_TRUE(Parse(ToString(state), &parsed));
    EXPECT_EQ(parsed, state);
  }
}

TEST(FromJson, ServiceGroupGetsDefaults) {
  absl::StatusOr<ServiceGroup> sg = FromJson<ServiceGroup>(ParseOne(testing::kServiceGroupYaml));
  ASSERT_TRUE(sg.ok()) << sg.status();
  EXPECT_EQ(sg->metadata.name, "vlc");
  EXPECT_EQ(sg->spec.redundancy_model, RedundancyModel::k2N);
  EXPECT_EQ(sg->spec.admin_state, AdminState::kUnlocked);
  EXPECT_EQ(sg->spec.preferred_active_units, 1);
  EXPECT_EQ(sg->spec.preferred_standby_units, 1);
  EXPECT_TRUE(sg->spec.auto_repair);
  EXPECT_FALSE(sg->spec.auto_adjust.enabled);
  EXPECT_EQ(sg->spec.auto_adjust.probation, milliseconds(10000));
  EXPECT_EQ(sg->spec.auto_adjust.min_interval, milliseconds(30000));
  EXPECT_EQ(sg->spec.recovery.component_restart_max, 3);
  EXPECT_EQ(sg->spec.recovery.component_restart_probation, milliseconds(60000));
  EXPECT_EQ(sg->spec.recovery.unit_restart_max, 2);
  EXPECT_EQ(sg->spec.recovery.unit_restart_probation, milliseconds(600000));
  EXPECT_EQ(sg->status.active_units, 0);
}

TEST(FromJson, NodeAndUnit) {
  absl::StatusOr<Node> node = FromJson<Node>(ParseOne(R"yaml(kind: Node
metadata:
  name: hv1
  uid: u-1
  resourceVersion: "42"
  generation: 3
  labels: {zone: a}
  finalizers: [vigil.io/agent]
spec: {hostedBy: vm-1, unitFailoverProbation: 90s}
status:
  operState: Disabled
  agent: {version: "0.1", lastHeartbeat: "2026-11-25T10:00:00Z"}
  conditions: [{type: Ready, status: "False", reason: LeaseExpired, observedGeneration: 3}]
)yaml"));
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->metadata.uid, "u-1");
  EXPECT_EQ(node->metadata.resource_version, "42");
  EXPECT_EQ(node->metadata.generation, 3);
  EXPECT_EQ(node->metadata.labels.at("zone"), "a");
  EXPECT_THAT(node->metadata.finalizers, ElementsAre("vigil.io/agent"));
  EXPECT_EQ(node->spec.hypervisor, "qemu:///system");
  EXPECT_EQ(node->spec.hosted_by, "vm-1");
  EXPECT_EQ(node->spec.unit_failover_max, 3);
  EXPECT_EQ(node->spec.unit_failover_probation, milliseconds(90000));
  EXPECT_EQ(node->status.oper_state, OperState::kDisabled);
  EXPECT_EQ(node->status.agent_version, "0.1");
  ASSERT_EQ(node->status.conditions.size(), 1u);
  EXPECT_EQ(node->status.conditions[0].status, ConditionStatus::kFalse);
  EXPECT_EQ(node->status.conditions[0].reason, "LeaseExpired");
  EXPECT_EQ(node->status.conditions[0].observed_generation, 3);

  absl::StatusOr<ServiceUnit> su = FromJson<ServiceUnit>(ParseOne(testing::kServiceUnitYaml));
  ASSERT_TRUE(su.ok()) << su.status();
  EXPECT_EQ(su->spec.service_group, "vlc");
  EXPECT_EQ(su->spec.node, "hv1");
  EXPECT_EQ(su->spec.rank, 1);
  EXPECT_FALSE(su->spec.failover);
  EXPECT_EQ(su->status.presence_state, PresenceState::kUninstantiated);
  EXPECT_EQ(su->status.readiness_state, ReadinessState::kOutOfService);
}

TEST(FromJson, ExecComponent) {
  absl::StatusOr<Component> comp = FromJson<Component>(ParseOne(testing::kComponentYaml));
  ASSERT_TRUE(comp.ok()) << comp.status();
  EXPECT_EQ(comp->spec.recovery, RecoveryAction::kComponentRestart);
  ASSERT_TRUE(comp->spec.exec.has_value());
  EXPECT_FALSE(comp->spec.sa_aware.has_value());
  EXPECT_FALSE(comp->spec.virtual_machine.has_value());
  const ExecSpec& exec = *comp->spec.exec;
  EXPECT_THAT(exec.instantiate, ElementsAre("/usr/bin/vlc-server", "--port", "$(PORT)"));
  EXPECT_EQ(exec.instantiate_timeout, milliseconds(10000));
  EXPECT_EQ(exec.terminate_timeout, milliseconds(5000));
  EXPECT_EQ(exec.cleanup_timeout, milliseconds(5000));
  EXPECT_EQ(exec.instantiation.attempts, 2);
  EXPECT_EQ(exec.instantiation.delay, milliseconds(1000));
  ASSERT_TRUE(exec.health_check.has_value());
  EXPECT_EQ(exec.health_check->kind, ExecHealthCheck::Kind::kTcp);
  EXPECT_EQ(exec.health_check->host, "127.0.0.1");
  EXPECT_EQ(exec.health_check->port, 8554);
  EXPECT_EQ(exec.health_check->period, milliseconds(1000));
  EXPECT_EQ(exec.health_check->timeout, milliseconds(500));
  EXPECT_EQ(exec.health_check->failure_threshold, 3);
}

TEST(FromJson, SaAwareAndVirtualMachineComponents) {
  absl::StatusOr<Component> sa = FromJson<Component>(ParseOne(R"yaml(kind: Component
metadata: {name: c}
spec: {serviceUnit: su, csTypes: [t], recovery: UnitFailover,
       saAware: {command: [/bin/app], env: {A: b}}}
status: {presenceState: Instantiated, haState: Standby, pid: 77,
         lastFailure: {reason: Crashed, time: "2026-11-25T10:00:00Z", source: pidfd}}
)yaml"));
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(sa->spec.recovery, RecoveryAction::kUnitFailover);
  ASSERT_TRUE(sa->spec.sa_aware.has_value());
  EXPECT_EQ(sa->spec.sa_aware->env.at("A"), "b");
  EXPECT_EQ(sa->spec.sa_aware->csi_set_timeout, milliseconds(2000));
  EXPECT_EQ(sa->spec.sa_aware->health_check_invoker, HealthCheckInvoker::kComponent);
  EXPECT_EQ(sa->spec.sa_aware->health_check_period, milliseconds(100));
  EXPECT_EQ(sa->spec.sa_aware->health_check_max_duration, milliseconds(50));
  EXPECT_EQ(sa->status.ha_state, HaState::kStandby);
  EXPECT_EQ(sa->status.pid, 77);
  EXPECT_EQ(sa->status.last_failure, (Failure{"Crashed", "2026-11-25T10:00:00Z", "pidfd"}));
  EXPECT_EQ(sa->status.domain.id, -1);

  absl::StatusOr<Component> vm = FromJson<Component>(ParseOne(R"yaml(kind: Component
metadata: {name: v}
spec: {serviceUnit: su, csTypes: [t], virtualMachine: {domainName: guest, guestAgentPing: 1s}}
)yaml"));
  ASSERT_TRUE(vm.ok()) << vm.status();
  ASSERT_TRUE(vm->spec.virtual_machine.has_value());
  EXPECT_EQ(vm->spec.virtual_machine->domain_name, "guest");
  EXPECT_EQ(vm->spec.virtual_machine->shutdown_timeout, milliseconds(30000));
  EXPECT_EQ(vm->spec.virtual_machine->start_timeout, milliseconds(30000));
  EXPECT_EQ(vm->spec.virtual_machine->guest_agent_ping, milliseconds(1000));
}

TEST(FromJson, ServiceInstance) {
  absl::StatusOr<ServiceInstance> si = FromJson<ServiceInstance>(ParseOne(R"yaml(kind: ServiceInstance
metadata: {name: s}
spec:
  serviceGroup: g
  csis: [{name: a, csType: t, attributes: {PORT: "1"}, dependsOn: [b]}, {name: b, csType: u}]
  dependsOn: [{serviceInstance: ip-1, toleranceTime: 2s}, {serviceInstance: ip-2}]
  rankedUnits: [{unit: u1, rank: 1}]
status:
  assignmentState: PartiallyAssigned
  assignments: [{unit: u1, node: n1, haState: Active, since: "2026-11-25T10:00:00.123Z", confirmed: true}]
  activeUnits: [u1]
)yaml"));
  ASSERT_TRUE(si.ok()) << si.status();
  EXPECT_EQ(si->spec.preferred_active_assignments, 1);
  EXPECT_EQ(si->spec.preferred_standby_assignments, 1);
  ASSERT_EQ(si->spec.csis.size(), 2u);
  EXPECT_EQ(si->spec.csis[0].attributes.at("PORT"), "1");
  EXPECT_THAT(si->spec.csis[0].depends_on, ElementsAre("b"));
  ASSERT_EQ(si->spec.depends_on.size(), 2u);
  EXPECT_EQ(si->spec.depends_on[0].tolerance_time, milliseconds(2000));
  EXPECT_EQ(si->spec.depends_on[1].tolerance_time, milliseconds(0));
  EXPECT_EQ(si->spec.ranked_units[0].rank, 1);
  EXPECT_EQ(si->status.assignment_state, AssignmentState::kPartiallyAssigned);
  EXPECT_EQ(si->status.assignments[0],
            (Assignment{"u1", "n1", HaState::kActive, "2026-11-25T10:00:00.123Z", true}));
  EXPECT_THAT(si->status.active_units, ElementsAre("u1"));
}

TEST(FromJson, ErrorsNameTheField) {
  EXPECT_THAT(std::string(FromJson<Node>(ParseOne(testing::kServiceGroupYaml)).status().message()),
              HasSubstr("expected an object of kind Node, got kind \"ServiceGroup\""));
  EXPECT_FALSE(FromJson<Node>(Json::array()).ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{redundancyModel: 3N}", "spec.redundancyModel: unknown value \"3N\""},
      {"{redundancyModel: 2N, preferredActiveUnits: x}",
       "spec.preferredActiveUnits: expected an integer"},
      {"{redundancyModel: 2N, autoAdjust: {probation: 10x}}",
       "spec.autoAdjust.probation: invalid duration \"10x\""},
      {"{redundancyModel: 2N, recovery: []}", "spec.recovery: expected an object"},
  };
  for (const auto& [spec, message] : cases) {
    absl::StatusOr<ServiceGroup> sg = FromJson<ServiceGroup>(
        ParseOne("kind: ServiceGroup\nmetadata: {name: g}\nspec: " + spec + "\n"));
    ASSERT_FALSE(sg.ok()) << spec;
    EXPECT_EQ(sg.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(sg.status().message()), HasSubstr(message)) << spec;
  }
  absl::StatusOr<ServiceInstance> si = FromJson<ServiceInstance>(ParseOne(
      "kind: ServiceInstance\nmetadata: {name: s}\nspec: {csis: [{name: a}, {name: 3}]}\n"));
  ASSERT_FALSE(si.ok());
  EXPECT_THAT(std::string(si.status().message()), HasSubstr("spec.csis[1].name: expected a string"));
}

// Status writers produce what ValidateStatus accepts, and FromJson reads back.
template <typename T>
void ExpectValidStatus(Json obj, const Json& status) {
  obj["status"] = status;
  std::vector<std::string> errors;
  for (const FieldError& error : ValidateStatus(obj)) errors.push_back(error.ToString());
  EXPECT_THAT(errors, IsEmpty()) << status.dump();
  EXPECT_TRUE(FromJson<T>(obj).ok());
}

TEST(ToJson, StatusesValidateAndRoundTrip) {
  Condition ready{"Ready", ConditionStatus::kTrue, 4, "2026-11-25T10:00:00Z", "Up", ""};
  NodeStatus node;
  node.conditions = {ready};
  node.agent_version = "0.1";
  ExpectValidStatus<Node>(ParseOne(testing::kNodeYaml), ToJson(node));
  EXPECT_EQ(ToJson(node)["agent"], Json({{"version", "0.1"}}));
  EXPECT_EQ(ToJson(ready), Json::parse(R"({"type": "Ready", "status": "True",
      "observedGeneration": 4, "lastTransitionTime": "2026-11-25T10:00:00Z", "reason": "Up"})"));

  ServiceGroupStatus group;
  group.assigned_instances = 3;
  ExpectValidStatus<ServiceGroup>(ParseOne(testing::kServiceGroupYaml), ToJson(group));
  EXPECT_FALSE(ToJson(group).contains("lastAdjustment"));
  group.last_adjustment = "2026-11-25T10:00:00.500Z";
  ExpectValidStatus<ServiceGroup>(ParseOne(testing::kServiceGroupYaml), ToJson(group));
  EXPECT_EQ(ToJson(group)["lastAdjustment"], "2026-11-25T10:00:00.500Z");

  ServiceUnitStatus unit;
  unit.readiness_state = ReadinessState::kInService;
  unit.last_failure = {"Crashed", "2026-11-25T10:00:00Z", ""};
  unit.in_service_since = "2026-11-25T10:00:01.250Z";
  unit.ha_states = {{"stream-1", HaState::kActive}, {"stream-2", HaState::kStandby}};
  ExpectValidStatus<ServiceUnit>(ParseOne(testing::kServiceUnitYaml), ToJson(unit));
  Json unit_obj = ParseOne(testing::kServiceUnitYaml);
  unit_obj["status"] = ToJson(unit);
  EXPECT_EQ(unit_obj["status"]["haStates"][1],
            Json({{"serviceInstance", "stream-2"}, {"haState", "Standby"}}));
  EXPECT_EQ(FromJson<ServiceUnit>(unit_obj)->status.ha_states, unit.ha_states);
  EXPECT_EQ(FromJson<ServiceUnit>(unit_obj)->status.in_service_since,
            unit.in_service_since);
  EXPECT_EQ(ToJson(unit)["lastFailure"],
            Json({{"reason", "Crashed"}, {"time", "2026-11-25T10:00:00Z"}}));

  ComponentStatus comp;
  comp.domain = {3, "guest", 999, "running"};
  ExpectValidStatus<Component>(ParseOne(testing::kComponentYaml), ToJson(comp));
  EXPECT_EQ(ToJson(comp)["haState"], "");
  EXPECT_FALSE(ToJson(comp).contains("startTime"));
  EXPECT_FALSE(ToJson(comp).contains("lastFailure"));

  ServiceInstanceStatus si;
  si.assignment_state = AssignmentState::kFullyAssigned;
  si.assignments = {{"u1", "n1", HaState::kActive, "2026-11-25T10:00:00.123Z", true},
                    {"u2", "n2", HaState::kStandby, "", false}};
  si.active_units = {"u1"};
  si.standby_units = {"u2"};
  Json obj = ParseOne(testing::kServiceInstanceYaml);
  ExpectValidStatus<ServiceInstance>(obj, ToJson(si));
  obj["status"] = ToJson(si);
  EXPECT_EQ(FromJson<ServiceInstance>(obj)->status.assignments, si.assignments);
}

TEST(FromJson, OperationAndItsStatus) {
  Json obj = ParseOne(testing::kOperationYaml);
  absl::StatusOr<Operation> op = FromJson<Operation>(obj);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->spec.action, OperationAction::kSwapServiceInstance);
  EXPECT_EQ(op->spec.target, "stream-1");
  EXPECT_EQ(op->status.phase, OperationPhase::kPending);

  OperationStatus status;
  status.phase = OperationPhase::kSucceeded;
  status.message = "active on vlc-b";
  status.start_time = "2026-11-25T10:00:00.000Z";
  status.completion_time = "2026-11-25T10:00:00.040Z";
  status.from_unit = "vlc-a";
  ExpectValidStatus<Operation>(obj, ToJson(status));
  obj["status"] = ToJson(status);
  op = FromJson<Operation>(obj);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->status.phase, OperationPhase::kSucceeded);
  EXPECT_EQ(op->status.from_unit, "vlc-a");
  EXPECT_EQ(op->status.completion_time, status.completion_time);
  EXPECT_FALSE(ToJson(OperationStatus{}).contains("fromUnit"));

  Json bad = ParseOne("kind: Operation\nmetadata: {name: o}\nspec: {action: Reboot, target: x}\n");
  EXPECT_THAT(std::string(FromJson<Operation>(bad).status().message()),
              HasSubstr("spec.action: unknown value \"Reboot\""));
}

}  // namespace
}  // namespace vigil::api
