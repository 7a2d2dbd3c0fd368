// Progress of the operations the node agents carry out, and the CPU cost of
// a reconcile.
#include "controllers/operation_progress.h"

#include <time.h>

#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controllers/assignment_engine.h"
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

TEST(NextOperationStatus, RepairedNodeRunsUntilNoneOfItsUnitsIsDisabled) {
  api::Node node = *api::FromJson<api::Node>(testing::ReadyNode("n"));
  Json disabled = testing::InServiceStatus(T0());
  disabled["operState"] = "Disabled";
  api::ServiceUnit unit = UnitWith(disabled);
  OperationTargets targets;
  targets.node = &node;
  targets.node_units = {&unit};
  // Ready, but a unit failed: Running, so that the node's agent repairs it.
  std::optional<api::OperationStatus> first =
      NextOperationStatus(Op("Repaired", "n"), targets, T0());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->phase, api::OperationPhase::kRunning);
  EXPECT_EQ(first->message, "waiting for the agent of node n to repair its failed units: u");
  unit = UnitWith(testing::InServiceStatus(T0()));
  std::optional<api::OperationStatus> done =
      NextOperationStatus(Op("Repaired", "n", first->start_time), targets, T0());
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->phase, api::OperationPhase::kSucceeded);
  EXPECT_EQ(done->message, "node n ready, none of its units failed");
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

namespace vigil::controllers {
namespace {

// The whole controller path (conversion, core, status building) on a large
// group: N+M with 20 active units of 500 SIs each, 2 standby units, 1000
// units, 10,000 SIs. Run with --gtest_also_run_disabled_tests.
TEST(ReconcileCpu, DISABLED_LargeGroup) {
  testing::MiniWorld world;
  world.Put(testing::Group("g", "N+M", {{"preferredActiveUnits", 20},
                                        {"preferredStandbyUnits", 2},
                                        {"maxActiveInstancesPerUnit", 500},
                                        {"maxStandbyInstancesPerUnit", 5000}}));
  for (int n = 0; n < 1000; ++n) {
    const std::string node = "n" + std::to_string(n);
    world.Put(testing::ReadyNode(node));
    world.Put(testing::Unit("u" + std::to_string(n), "g", node, n + 1,
                            testing::InServiceStatus(T0() - absl::Hours(1))));
  }
  for (int s = 0; s < 10000; ++s) world.Put(testing::Instance("s" + std::to_string(s), "g"));
  ViewCache cache;
  absl::Duration start = ThreadCpu();
  GroupReconcile first = world.Reconcile("g", T0());
  const absl::Duration full = ThreadCpu() - start;
  world.ConfirmAll();
  world.Reconcile("g", T0() + absl::Seconds(1));  // confirmations written
  // As in the live controller: the same immutable objects, read once before.
  GroupObjects objects = world.ObjectsOf("g");
  ASSERT_TRUE(ReconcileGroup(objects, T0() + absl::Seconds(1), &cache).ok());
  Json failed = world.Get("ServiceUnit", "u0");
  failed["status"]["operState"] = "Disabled";
  for (ObjectPtr& unit : objects.units) {
    if (api::NameOf(*unit) == "u0") unit = testing::Ptr(failed);
  }
  start = ThreadCpu();
  absl::StatusOr<GroupReconcile> failover =
      ReconcileGroup(objects, T0() + absl::Seconds(2), &cache);
  const absl::Duration failure = ThreadCpu() - start;
  ASSERT_TRUE(failover.ok());
  std::cout << "10,000 SIs / 1,000 units: full reconcile from empty "
            << absl::FormatDuration(full) << " CPU (" << first.changes.size()
            << " changes); one unit failure " << absl::FormatDuration(failure) << " CPU ("
            << failover->changes.size() << " changes, " << failover->instance_writes.size()
            << " SI statuses)\n";
  // The parts: reading (cached views), the snapshot, one core decision.
  start = ThreadCpu();
  absl::StatusOr<GroupView> view = ReadGroup(objects, &cache);
  const absl::Duration read = ThreadCpu() - start;
  start = ThreadCpu();
  core::GroupSnapshot snapshot = BuildSnapshot(*view, T0() + absl::Seconds(2));
  const absl::Duration build = ThreadCpu() - start;
  start = ThreadCpu();
  core::Decision decision = core::DecideAssignments(snapshot);
  const absl::Duration decide = ThreadCpu() - start;
  std::cout << "  read " << absl::FormatDuration(read) << ", snapshot "
            << absl::FormatDuration(build) << ", first core decision "
            << absl::FormatDuration(decide) << " (" << decision.changes.size()
            << " changes)\n";
  std::map<std::string, int> kinds;
  for (const AppliedChange& c : failover->changes) {
    ++kinds[absl::StrCat(core::ToString(c.change.kind), " ", core::ToString(c.change.ha_state),
                         " ", core::ToString(c.change.cause))];
  }
  for (const auto& [kind, count] : kinds) std::cout << "  " << count << " x " << kind << "\n";
}

}  // namespace
}  // namespace vigil::controllers
