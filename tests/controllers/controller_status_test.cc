// Status writing and the pure ReconcileGroup loop.
#include "controllers/group_status.h"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controllers/group_reconciler.h"
#include "tests/controllers/controller_objects.h"

namespace vigil::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using api::Json;
using testing::Group;
using testing::InServiceStatus;
using testing::Instance;
using testing::MiniWorld;
using testing::ReadyNode;
using testing::T0;
using testing::Unit;

api::Condition Cond(const std::string& type, api::ConditionStatus status,
                    const std::string& reason) {
  api::Condition c;
  c.type = type;
  c.status = status;
  c.reason = reason;
  return c;
}

TEST(SetCondition, TransitionTimeMovesOnlyWhenTheStatusFlips) {
  std::vector<api::Condition> conditions;
  SetCondition(conditions, Cond("Ready", api::ConditionStatus::kFalse, "A"), T0());
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:00:00.000Z");
  SetCondition(conditions, Cond("Ready", api::ConditionStatus::kFalse, "B"),
               T0() + absl::Seconds(1));
  EXPECT_EQ(conditions[0].reason, "B");
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:00:00.000Z");
  SetCondition(conditions, Cond("Ready", api::ConditionStatus::kTrue, "C"),
               T0() + absl::Seconds(2));
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:00:02.000Z");
  SetCondition(conditions, Cond("Other", api::ConditionStatus::kTrue, "D"),
               T0() + absl::Seconds(3));
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0].last_transition_time, "2026-01-01T00:00:02.000Z");
}

struct StateCase {
  std::string model;
  Json si_spec;
  std::vector<std::string> states;  // HA states of the SI's assignments
  api::AssignmentState want;
};

TEST(NextInstanceStatus, AssignmentStatePerModel) {
  const std::vector<StateCase> cases = {
      {"2N", {}, {}, api::AssignmentState::kUnassigned},
      {"2N", {}, {"Active"}, api::AssignmentState::kPartiallyAssigned},
      {"2N", {}, {"Active", "Standby"}, api::AssignmentState::kFullyAssigned},
      {"2N", {}, {"Standby"}, api::AssignmentState::kPartiallyAssigned},
      {"N+M", {}, {"Active", "Standby"}, api::AssignmentState::kFullyAssigned},
      {"N-Way", {{"preferredStandbyAssignments", 2}}, {"Active", "Standby"},
       api::AssignmentState::kPartiallyAssigned},
      {"N-Way", {{"preferredStandbyAssignments", 2}}, {"Active", "Standby", "Standby"},
       api::AssignmentState::kFullyAssigned},
      {"N-Way-Active", {{"preferredActiveAssignments", 2}}, {"Active"},
       api::AssignmentState::kPartiallyAssigned},
      {"N-Way-Active", {{"preferredActiveAssignments", 2}}, {"Active", "Active"},
       api::AssignmentState::kFullyAssigned},
      {"No-Redundancy", {}, {"Active"}, api::AssignmentState::kFullyAssigned},
      {"No-Redundancy", {}, {"Quiesced"}, api::AssignmentState::kPartiallyAssigned},
  };
  for (const StateCase& c : cases) {
    MiniWorld world;
    world.Put(Group("g", c.model));
    GroupObjects objects = world.ObjectsOf("g");
    GroupView view = *ReadGroup(objects);
    api::ServiceInstance si = *api::FromJson<api::ServiceInstance>(Instance("s", "g", c.si_spec));
    InstanceOutcome outcome;
    for (size_t i = 0; i < c.states.size(); ++i) {
      api::HaState state;
      ASSERT_TRUE(api::Parse(c.states[i], &state));
      outcome.assignments.push_back({"s", "u" + std::to_string(i), ToCore(state), true});
    }
    api::ServiceInstanceStatus status = NextInstanceStatus(si, outcome, view, T0());
    EXPECT_EQ(status.assignment_state, c.want)
        << c.model << " " << ::testing::PrintToString(c.states);
  }
}

TEST(NextInstanceStatus, SinceOrderUnitsConditionAndMessage) {
  MiniWorld world;
  world.Put(Group("g", "2N"));
  world.Put(Unit("a", "g", "n1", 1));
  world.Put(Unit("b", "g", "n2", 2));
  GroupView view = *ReadGroup(world.ObjectsOf("g"));
  Json si_json = Instance("s", "g");
  si_json["metadata"]["generation"] = 4;
  si_json["status"] = {{"assignments", {{{"unit", "a"}, {"haState", "Active"},
                                         {"since", "2025-12-31T23:00:00.000Z"}},
                                        {{"unit", "b"}, {"haState", "Active"},
                                         {"since", "2025-12-31T23:00:00.000Z"}}}}};
  api::ServiceInstance si = *api::FromJson<api::ServiceInstance>(si_json);
  InstanceOutcome outcome;
  outcome.assignments = {{"s", "b", core::HaState::kStandby, false},
                         {"s", "a", core::HaState::kActive, true}};
  outcome.last_reason = "failover: unit x failed";
  api::ServiceInstanceStatus next = NextInstanceStatus(si, outcome, view, T0());
  ASSERT_EQ(next.assignments.size(), 2u);
  EXPECT_EQ(next.assignments[0], (api::Assignment{"a", "n1", api::HaState::kActive,
                                                  "2025-12-31T23:00:00.000Z", true}));
  EXPECT_EQ(next.assignments[1], (api::Assignment{"b", "n2", api::HaState::kStandby,
                                                  "2026-01-01T00:00:00.000Z", false}));
  EXPECT_THAT(next.active_units, ElementsAre("a"));
  EXPECT_THAT(next.standby_units, ElementsAre("b"));
  EXPECT_EQ(next.observed_generation, 4);
  EXPECT_EQ(next.message, "failover: unit x failed");
  ASSERT_EQ(next.conditions.size(), 1u);
  EXPECT_EQ(next.conditions[0].status, api::ConditionStatus::kTrue);
  EXPECT_EQ(next.conditions[0].reason, "FullyAssigned");
  EXPECT_EQ(next.conditions[0].observed_generation, 4);

  // Idempotent: fed its own result, at a later time, with nothing new.
  si.status = next;
  api::ServiceInstanceStatus again =
      NextInstanceStatus(si, {outcome.assignments, "", ""}, view, T0() + absl::Hours(1));
  EXPECT_EQ(api::ToJson(again), api::ToJson(next));

  // A note replaces the message; once it goes away the message clears.
  api::ServiceInstanceStatus noted = NextInstanceStatus(
      si, {outcome.assignments, "sponsor db not active", ""}, view, T0());
  EXPECT_EQ(noted.message, "sponsor db not active");
  EXPECT_EQ(noted.conditions[0].message, "sponsor db not active");
  si.status = noted;
  EXPECT_EQ(NextInstanceStatus(si, {outcome.assignments, "", ""}, view, T0()).message, "");
}

TEST(NextInstanceStatus, AssignedReasons) {
  MiniWorld world;
  world.Put(Group("g", "2N"));
  GroupView view = *ReadGroup(world.ObjectsOf("g"));
  api::ServiceInstance si = *api::FromJson<api::ServiceInstance>(Instance("s", "g"));
  auto reason = [&](std::vector<core::Assignment> assignments) {
    return NextInstanceStatus(si, {assignments, "", ""}, view, T0()).conditions[0].reason;
  };
  EXPECT_EQ(reason({}), "Unassigned");
  EXPECT_EQ(reason({{"s", "a", core::HaState::kActive, false}}), "AwaitingConfirmation");
  EXPECT_EQ(reason({{"s", "a", core::HaState::kActive, true}}), "PartiallyAssigned");
  si.spec.admin_state = api::AdminState::kLocked;
  EXPECT_EQ(reason({}), "Locked");
}

// A 2N group of two units on two ready nodes with one SI.
MiniWorld TwoN(const std::string& model = "2N") {
  MiniWorld world;
  world.Put(Group("g", model));
  world.Put(ReadyNode("n1"));
  world.Put(ReadyNode("n2"));
  world.Put(Unit("a", "g", "n1", 1, InServiceStatus(T0() - absl::Hours(1))));
  world.Put(Unit("b", "g", "n2", 2, InServiceStatus(T0() - absl::Hours(1))));
  world.Put(Instance("s", "g"));
  return world;
}

TEST(ReconcileGroup, InitialAssignmentWaitsForConfirmationThenSettles) {
  MiniWorld world = TwoN();
  GroupReconcile first = world.Reconcile("g", T0());
  ASSERT_EQ(first.changes.size(), 2u);
  EXPECT_EQ(DescribeChange(first.changes[0]),
            "assign s -> a Active (" + first.changes[0].change.reason + ")");
  EXPECT_THAT(DescribeChange(first.changes[1]), ::testing::StartsWith("assign s -> b Standby"));
  EXPECT_EQ(first.instance_writes.size(), 1u);
  EXPECT_TRUE(first.group_write.has_value());
  EXPECT_EQ(world.Status("ServiceInstance", "s")["assignments"][0]["confirmed"], false);
  // Unconfirmed: nothing more to do, nothing to write.
  GroupReconcile waiting = world.Reconcile("g", T0() + absl::Milliseconds(5));
  EXPECT_THAT(waiting.changes, IsEmpty());
  EXPECT_THAT(waiting.instance_writes, IsEmpty());
  EXPECT_FALSE(waiting.group_write.has_value());

  world.ConfirmAll();
  EXPECT_THAT(world.Settle("g", T0() + absl::Milliseconds(10)), IsEmpty());
  const Json& status = world.Status("ServiceInstance", "s");
  EXPECT_EQ(status["assignmentState"], "FullyAssigned");
  EXPECT_EQ(status["activeUnits"], Json({"a"}));
  EXPECT_EQ(status["standbyUnits"], Json({"b"}));
  EXPECT_EQ(status["assignments"][0]["since"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(status["assignments"][0]["node"], "n1");
  EXPECT_EQ(status["assignments"][1]["confirmed"], true);
  const Json& group = world.Status("ServiceGroup", "g");
  EXPECT_EQ(group["assignedInstances"], 1);
  EXPECT_EQ(group["activeUnits"], 1);
  EXPECT_EQ(group["standbyUnits"], 1);
  EXPECT_EQ(group["conditions"][0]["type"], "Available");
  EXPECT_EQ(group["conditions"][0]["status"], "True");
  EXPECT_EQ(group["conditions"][1]["status"], "False");  // Progressing
  EXPECT_EQ(group["conditions"][2]["status"], "False");  // Degraded
}

TEST(ReconcileGroup, ReconcilingASettledGroupTwiceWritesNothing) {
  MiniWorld world = TwoN();
  world.Settle("g", T0());
  for (absl::Duration later : {absl::Seconds(1), absl::Hours(5)}) {
    GroupReconcile r = world.Reconcile("g", T0() + later);
    EXPECT_THAT(r.changes, IsEmpty());
    EXPECT_THAT(r.instance_writes, IsEmpty());
    EXPECT_THAT(r.operation_writes, IsEmpty());
    EXPECT_FALSE(r.group_write.has_value()) << r.group_write->dump();
  }
}

TEST(ReconcileGroup, FailoverPromotesTheStandbyInOneReconcile) {
  MiniWorld world = TwoN();
  world.Settle("g", T0());
  world.Get("ServiceUnit", "a")["status"]["operState"] = "Disabled";
  GroupReconcile r = world.Reconcile("g", T0() + absl::Seconds(5));
  std::vector<std::string> log;
  for (const AppliedChange& c : r.changes) log.push_back(DescribeChange(c));
  ASSERT_EQ(log.size(), 2u) << ::testing::PrintToString(log);
  EXPECT_THAT(log[0], ::testing::StartsWith("remove s from a ("));
  EXPECT_THAT(log[1], ::testing::StartsWith("promote s on b to Active ("));
  const Json& status = world.Status("ServiceInstance", "s");
  EXPECT_EQ(status["activeUnits"], Json({"b"}));
  EXPECT_EQ(status["assignments"][0]["since"], "2026-01-01T00:00:05.000Z");
  EXPECT_EQ(status["assignments"][0]["confirmed"], false);
  EXPECT_EQ(status["message"], r.changes[1].change.reason);
  // The Assigned condition stays True only once b confirms.
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  world.ConfirmAll();
  world.Reconcile("g", T0() + absl::Seconds(6));
  EXPECT_EQ(world.Status("ServiceInstance", "s")["conditions"][0]["lastTransitionTime"],
            "2026-01-01T00:00:06.000Z");
}

// A lock quiesces a with b named as its successor, with where b's node takes
// live-migrated VMs; once b is active the successor goes with a.
TEST(ReconcileGroup, QuiescedAssignmentNamesTheSuccessorAndItsMigrationTarget) {
  MiniWorld world = TwoN();
  world.Get("Node", "n2")["spec"]["liveMigration"] = {{"hypervisor", "qemu+tls://n2/system"},
                                                      {"address", "tcp://10.0.0.2"}};
  world.Settle("g", T0());
  world.Get("ServiceUnit", "a")["spec"]["adminState"] = "Locked";
  world.Reconcile("g", T0() + absl::Seconds(1));
  const Json quiesced = world.Status("ServiceInstance", "s")["assignments"][0];
  EXPECT_EQ(quiesced["haState"], "Quiesced") << quiesced.dump();
  EXPECT_EQ(quiesced["successor"],
            Json({{"unit", "b"},
                  {"node", "n2"},
                  {"liveMigration",
                   {{"hypervisor", "qemu+tls://n2/system"}, {"address", "tcp://10.0.0.2"}}}}));
  world.ConfirmAll();
  world.Settle("g", T0() + absl::Seconds(2));
  const Json& status = world.Status("ServiceInstance", "s");
  EXPECT_EQ(status["activeUnits"], Json({"b"})) << status.dump();
  for (const Json& a : status["assignments"]) EXPECT_FALSE(a.contains("successor")) << a.dump();
}

TEST(ReconcileGroup, SwapOperationProgressIsRecorded) {
  MiniWorld world = TwoN();
  world.Settle("g", T0());
  world.Put(testing::SwapOp("swap-1", "s"));
  std::vector<std::string> log = world.Settle("g", T0() + absl::Seconds(1));
  EXPECT_FALSE(log.empty());
  const Json& op = world.Status("Operation", "swap-1");
  EXPECT_EQ(op["phase"], "Succeeded") << op.dump();
  EXPECT_EQ(op["fromUnit"], "a");
  EXPECT_EQ(op["startTime"], "2026-01-01T00:00:01.000Z");
  EXPECT_EQ(world.Status("ServiceInstance", "s")["activeUnits"], Json({"b"}));
  EXPECT_EQ(world.Status("ServiceInstance", "s")["standbyUnits"], Json({"a"}));
  EXPECT_EQ(world.Status("ServiceGroup", "g")["lastAdjustment"],
            "2026-01-01T00:00:01.000Z");
}

TEST(ApplyChangesIndexed, SameResultAsTheCore) {
  std::mt19937 rng(7);
  const core::ChangeKind kinds[] = {core::ChangeKind::kAssign, core::ChangeKind::kSetHaState,
                                    core::ChangeKind::kRemove};
  const core::HaState states[] = {core::HaState::kActive, core::HaState::kStandby,
                                  core::HaState::kQuiesced};
  for (int round = 0; round < 300; ++round) {
    std::vector<core::Assignment> start;
    for (int i = 0; i < static_cast<int>(rng() % 6); ++i) {
      start.push_back({"s" + std::to_string(rng() % 3), "u" + std::to_string(i),
                       states[rng() % 3], rng() % 2 == 0});
    }
    std::vector<core::Change> changes;
    for (int i = 0; i < static_cast<int>(rng() % 8); ++i) {
      core::Change c;
      c.kind = kinds[rng() % 3];
      c.instance = "s" + std::to_string(rng() % 3);
      c.unit = "u" + std::to_string(rng() % 6);
      c.ha_state = states[rng() % 3];
      changes.push_back(c);
    }
    std::vector<core::Assignment> mine = start, theirs = start;
    std::vector<AppliedChange> applied;
    ApplyChangesIndexed(changes, mine, applied);
    core::ApplyChanges(changes, theirs);
    ASSERT_EQ(mine.size(), theirs.size()) << round;
    for (size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i].instance, theirs[i].instance) << round;
      EXPECT_EQ(mine[i].unit, theirs[i].unit) << round;
      EXPECT_EQ(mine[i].ha_state, theirs[i].ha_state) << round;
      EXPECT_EQ(mine[i].confirmed, theirs[i].confirmed) << round;
    }
    EXPECT_EQ(applied.size(), changes.size());
  }
}

TEST(ReconcileGroup, UnreadableGroupIsAnError) {
  MiniWorld world = TwoN();
  world.Get("ServiceGroup", "g")["spec"]["redundancyModel"] = "3N";
  EXPECT_FALSE(ReconcileGroup(world.ObjectsOf("g"), T0()).ok());
}

}  // namespace
}  // namespace vigil::controllers
