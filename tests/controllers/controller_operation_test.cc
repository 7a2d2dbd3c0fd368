// Progress of the operations the node agents carry out, and the CPU cost of
// a reconcile.
#include "controllers/operation_progress.h"

#include <time.h>

#include <iostream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controllers/group_reconciler.h"
#include "tests/controllers/controller_objects.h"

namespace vigil::controllers {
namespace {

using api::Json;
using testing::T0;

api::Operation Op(const std::string& action, const std::string& target,
                  const std::string& start = "") {
  Json obj = testing::Obj("Operation", "op", {{"action", action}, {"target", target}});
  if (!start.empty()) obj["status"] = {{"phase", "Running"}, {"startTime", start}};
  return *api::FromJson<api::Operation>(obj);
}

api::ServiceUnit UnitWith(Json status) {
  return *api::FromJson<api::ServiceUnit>(testing::Unit("u", "g", "n", 1, status));
}

TEST(NextOperationStatus, RestartUnitWaitsForAFreshInServiceSince) {
  api::ServiceUnit unit = UnitWith(testing::InServiceStatus(T0() - absl::Seconds(60)));
  OperationTargets targets;
  targets.unit = &unit;
  std::optional<api::OperationStatus> first =
      NextOperationStatus(Op("RestartUnit", "u"), targets, T0());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->phase, api::OperationPhase::kRunning);
  EXPECT_EQ(first->start_time, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(first->message, "waiting for the agent of node n to restart unit u");
  api::Operation running = Op("RestartUnit", "u", first->start_time);
  unit = UnitWith(testing::InServiceStatus(T0() + absl::Seconds(2)));
  std::optional<api::OperationStatus> done =
      NextOperationStatus(running, targets, T0() + absl::Seconds(3));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->phase, api::OperationPhase::kSucceeded);
  EXPECT_EQ(done->completion_time, "2026-01-01T00:00:03.000Z");
  EXPECT_EQ(done->conditions[0].status, api::ConditionStatus::kTrue);
}

TEST(NextOperationStatus, RepairedTargetsAUnitOrANode) {
  Json disabled = testing::InServiceStatus(T0());
  disabled["operState"] = "Disabled";
  api::ServiceUnit unit = UnitWith(disabled);
  api::Node node = *api::FromJson<api::Node>(testing::ReadyNode("n"));
  OperationTargets targets;
  targets.unit = &unit;
  EXPECT_EQ(NextOperationStatus(Op("Repaired", "u"), targets, T0())->phase,
            api::OperationPhase::kRunning);
  unit = UnitWith(testing::InServiceStatus(T0()));
  EXPECT_EQ(NextOperationStatus(Op("Repaired", "u"), targets, T0())->phase,
            api::OperationPhase::kSucceeded);
  OperationTargets node_only;
  node_only.node = &node;
  EXPECT_EQ(NextOperationStatus(Op("Repaired", "n"), node_only, T0())->phase,
            api::OperationPhase::kSucceeded);
  std::optional<api::OperationStatus> missing =
      NextOperationStatus(Op("Repaired", "x"), {}, T0());
  EXPECT_EQ(missing->phase, api::OperationPhase::kFailed);
  EXPECT_EQ(missing->message, "no ServiceUnit or Node named x");
}

TEST(NextOperationStatus, RestartComponentAndFinishedOperations) {
  Json comp_json = testing::Obj("Component", "c", {{"serviceUnit", "u"},
                                                   {"csTypes", {"t"}},
                                                   {"exec", {{"instantiate", {"/bin/true"}}}}});
  comp_json["status"] = {{"presenceState", "Instantiated"},
                         {"startTime", "2026-01-01T00:00:01.000Z"}};
  api::Component comp = *api::FromJson<api::Component>(comp_json);
  OperationTargets targets;
  targets.component = &comp;
  EXPECT_EQ(NextOperationStatus(Op("RestartComponent", "c", "2026-01-01T00:00:02.000Z"),
                                targets, T0())->phase,
            api::OperationPhase::kRunning);
  EXPECT_EQ(NextOperationStatus(Op("RestartComponent", "c", "2026-01-01T00:00:00.500Z"),
                                targets, T0())->phase,
            api::OperationPhase::kSucceeded);
  api::Operation finished = Op("RestartComponent", "c");
  finished.status.phase = api::OperationPhase::kFailed;
  EXPECT_FALSE(NextOperationStatus(finished, targets, T0()).has_value());
  // A swap whose SI exists is the group's business.
  api::ServiceInstance si = *api::FromJson<api::ServiceInstance>(testing::Instance("s", "g"));
  OperationTargets swap_targets;
  swap_targets.instance = &si;
  EXPECT_FALSE(NextOperationStatus(Op("SwapServiceInstance", "s"), swap_targets, T0()));
  EXPECT_EQ(NextOperationStatus(Op("SwapServiceInstance", "s"), {}, T0())->message,
            "ServiceInstance s not found");
}

absl::Duration ThreadCpu() {
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  return absl::DurationFromTimespec(cpu);
}

// CPU per reconcile of a settled group (the common case: an event that
// changes nothing the core acts on) and of one that fails over.
absl::Duration SettledReconcileCpu(int units, int instances, bool with_cache) {
  testing::MiniWorld world;
  world.Put(testing::Group("g", "N-Way", {{"preferredStandbyUnits", 1}}));
  for (int n = 0; n < units; ++n) {
    const std::string node = "n" + std::to_string(n);
    world.Put(testing::ReadyNode(node));
    world.Put(testing::Unit("u" + std::to_string(n), "g", node, n + 1,
                            testing::InServiceStatus(T0() - absl::Hours(1))));
  }
  for (int s = 0; s < instances; ++s) world.Put(testing::Instance("s" + std::to_string(s), "g"));
  world.Settle("g", T0());
  const GroupObjects objects = world.ObjectsOf("g");
  constexpr int kRounds = 200;
  ViewCache cache;
  const absl::Duration start = ThreadCpu();
  for (int i = 0; i < kRounds; ++i) {
    absl::StatusOr<GroupReconcile> r =
        ReconcileGroup(objects, T0() + absl::Seconds(i), with_cache ? &cache : nullptr);
    EXPECT_TRUE(r.ok() && r->instance_writes.empty() && !r->group_write);
  }
  return (ThreadCpu() - start) / kRounds;
}

TEST(ReconcileCpu, SmallGroupWellUnderAMillisecond) {
  for (bool cached : {false, true}) {
    const absl::Duration small = SettledReconcileCpu(2, 1, cached);
    const absl::Duration medium = SettledReconcileCpu(10, 50, cached);
    std::cout << "CPU per settled reconcile" << (cached ? " (views cached)" : "")
              << ": 2 units / 1 SI " << absl::FormatDuration(small)
              << ", 10 units / 50 SIs " << absl::FormatDuration(medium) << "\n";
    EXPECT_LT(small, absl::Milliseconds(1));
  }
}

}  // namespace
}  // namespace vigil::controllers
