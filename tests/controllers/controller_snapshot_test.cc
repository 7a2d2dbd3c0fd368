// Snapshot conversion: API objects -> core::GroupSnapshot.
#include "controllers/snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controllers/controller_objects.h"

namespace vigil::controllers {
namespace {

using api::Json;
using testing::Group;
using testing::InServiceStatus;
using testing::Instance;
using testing::Ptr;
using testing::ReadyNode;
using testing::T0;
using testing::Unit;

core::GroupSnapshot Build(const GroupObjects& objects, absl::Time now = T0()) {
  absl::StatusOr<GroupView> view = ReadGroup(objects);
  EXPECT_TRUE(view.ok()) << view.status();
  return view.ok() ? BuildSnapshot(*view, now) : core::GroupSnapshot{};
}

struct ReadinessCase {
  std::string name;
  Json node;    // null: no Node object
  Json status;  // the unit's status; null: never reported
  core::Readiness want;
};

TEST(Snapshot, ReadinessFollowsTheArchitectureTable) {
  const Json in_service = InServiceStatus(T0() - absl::Seconds(30));
  Json disabled = in_service;
  disabled["operState"] = "Disabled";
  Json restarting = in_service;
  restarting["presenceState"] = "Restarting";
  Json instantiating = {{"presenceState", "Instantiating"}, {"operState", "Enabled"}};
  Json stopped = {{"presenceState", "Instantiated"}, {"operState", "Enabled"},
                  {"readinessState", "OutOfService"}};
  const std::vector<ReadinessCase> cases = {
      {"in service", ReadyNode("n1"), in_service, core::Readiness::kInService},
      {"no node object", nullptr, in_service, core::Readiness::kOutOfService},
      {"node not ready", ReadyNode("n1", false), in_service,
       core::Readiness::kOutOfService},
      {"node not ready wins over disabled", ReadyNode("n1", false), disabled,
       core::Readiness::kOutOfService},
      {"never reported", ReadyNode("n1"), nullptr, core::Readiness::kOutOfService},
      {"disabled", ReadyNode("n1"), disabled, core::Readiness::kFailed},
      {"restarting", ReadyNode("n1"), restarting, core::Readiness::kRestarting},
      {"instantiating", ReadyNode("n1"), instantiating, core::Readiness::kInstantiating},
      {"instantiated but out of service", ReadyNode("n1"), stopped,
       core::Readiness::kOutOfService},
  };
  for (const ReadinessCase& c : cases) {
    GroupObjects objects;
    objects.group = Ptr(Group("g", "2N"));
    objects.units = {Ptr(Unit("u1", "g", "n1", 1, c.status))};
    if (!c.node.is_null()) objects.nodes = {Ptr(c.node)};
    core::GroupSnapshot snap = Build(objects);
    ASSERT_EQ(snap.units.size(), 1u) << c.name;
    EXPECT_EQ(snap.units[0].readiness, c.want)
        << c.name << ": got " << core::ToString(snap.units[0].readiness);
  }
}

// A Node hosted by a Vigil-managed VM (spec.hostedBy) is up only while the
// VM's SI holds a confirmed Active assignment.
TEST(Snapshot, NestedNodeIsOutOfServiceWhenItsVmLosesItsActiveAssignment) {
  Json guest = ReadyNode("guest");
  guest["spec"]["hostedBy"] = "vm-1";
  Json vm_running = Instance("vm-1", "vms");
  vm_running["status"] = {{"assignments", {{{"unit", "host-a"}, {"haState", "Active"},
                                            {"confirmed", true}}}}};
  Json vm_starting = vm_running;
  vm_starting["status"]["assignments"][0]["confirmed"] = false;
  struct Case {
    std::string name;
    Json host;  // null: the hosting SI does not exist
    core::Readiness want;
  };
  const std::vector<Case> cases = {
      {"vm active", vm_running, core::Readiness::kInService},
      {"vm active, not yet confirmed", vm_starting, core::Readiness::kOutOfService},
      {"vm unassigned", Instance("vm-1", "vms"), core::Readiness::kOutOfService},
      {"no such SI", nullptr, core::Readiness::kOutOfService},
  };
  for (const Case& c : cases) {
    GroupObjects objects;
    objects.group = Ptr(Group("g", "2N"));
    objects.units = {Ptr(Unit("u1", "g", "guest", 1, InServiceStatus(T0())))};
    objects.nodes = {Ptr(guest)};
    if (!c.host.is_null()) objects.hosts = {Ptr(c.host)};
    core::GroupSnapshot snap = Build(objects);
    ASSERT_EQ(snap.units.size(), 1u) << c.name;
    EXPECT_EQ(snap.units[0].readiness, c.want)
        << c.name << ": got " << core::ToString(snap.units[0].readiness);
  }
}

TEST(Snapshot, InServiceSinceAndAdminStatesOfUnitNodeAndGroup) {
  GroupObjects objects;
  objects.group = Ptr(Group("g", "N+M", {{"adminState", "ShuttingDown"},
                                          {"preferredActiveUnits", 2},
                                          {"preferredStandbyUnits", 1},
                                          {"maxActiveInstancesPerUnit", 3},
                                          {"autoAdjust", {{"enabled", true},
                                                          {"probation", "20s"},
                                                          {"minInterval", "1m"}}}}));
  objects.group = Ptr([&] {
    Json g = *objects.group;
    g["status"] = {{"lastAdjustment", "2026-01-01T00:00:01.500Z"}};
    return g;
  }());
  Json locked_unit = Unit("u2", "g", "n2", 0, InServiceStatus(T0()));
  locked_unit["spec"]["adminState"] = "Locked";
  objects.units = {Ptr(Unit("u1", "g", "n1", 2, InServiceStatus(T0() - absl::Seconds(5)))),
                   Ptr(locked_unit),
                   Ptr(Unit("other", "g2", "n1", 1, InServiceStatus(T0())))};
  objects.nodes = {Ptr(ReadyNode("n1", true, "LockedInstantiation")), Ptr(ReadyNode("n2"))};
  core::GroupSnapshot snap = Build(objects);
  EXPECT_EQ(snap.group.model, core::RedundancyModel::kNPlusM);
  EXPECT_EQ(snap.group.admin_state, core::AdminState::kShuttingDown);
  EXPECT_EQ(snap.group.preferred_active_units, 2);
  EXPECT_EQ(snap.group.max_active_per_unit, 3);
  EXPECT_TRUE(snap.group.auto_adjust.enabled);
  EXPECT_EQ(snap.group.auto_adjust.probation, absl::Seconds(20));
  EXPECT_EQ(snap.group.auto_adjust.min_interval, absl::Minutes(1));
  EXPECT_EQ(snap.last_adjustment, T0() + absl::Milliseconds(1500));
  ASSERT_EQ(snap.units.size(), 2u);  // "other" belongs to g2
  EXPECT_EQ(snap.units[0].name, "u1");
  EXPECT_EQ(snap.units[0].rank, 2);
  EXPECT_EQ(snap.units[0].in_service_since, T0() - absl::Seconds(5));
  EXPECT_EQ(snap.units[0].node_admin_state, core::AdminState::kLockedInstantiation);
  EXPECT_EQ(snap.units[1].admin_state, core::AdminState::kLocked);
  EXPECT_EQ(snap.units[1].node_admin_state, core::AdminState::kUnlocked);
  EXPECT_EQ(snap.now, T0());
}

Json WithAssignments(Json si, Json assignments) {
  si["status"] = {{"assignments", std::move(assignments)}};
  return si;
}

Json Reached(Json unit, Json ha_states) {
  unit["status"]["haStates"] = std::move(ha_states);
  return unit;
}

TEST(Snapshot, ConfirmedWhenTheUnitReportsTheSameHaState) {
  GroupObjects objects;
  objects.group = Ptr(Group("g", "N-Way"));
  objects.nodes = {Ptr(ReadyNode("n"))};
  objects.units = {
      Ptr(Reached(Unit("a", "g", "n", 1, InServiceStatus(T0())),
                  {{{"serviceInstance", "s1"}, {"haState", "Active"}},
                   {{"serviceInstance", "s2"}, {"haState", "Active"}}})),
      Ptr(Unit("b", "g", "n", 2, InServiceStatus(T0())))};
  objects.instances = {
      Ptr(WithAssignments(Instance("s1", "g"),
                          {{{"unit", "a"}, {"haState", "Active"}, {"confirmed", false}},
                           {{"unit", "b"}, {"haState", "Standby"}, {"confirmed", true}},
                           {{"unit", "gone"}, {"haState", "Standby"}}})),
      Ptr(WithAssignments(Instance("s2", "g"),
                          {{{"unit", "a"}, {"haState", "Quiesced"}}}))};
  core::GroupSnapshot snap = Build(objects);
  ASSERT_EQ(snap.assignments.size(), 4u);
  struct Want {
    std::string instance, unit;
    core::HaState state;
    bool confirmed;
  };
  const std::vector<Want> want = {{"s1", "a", core::HaState::kActive, true},
                                  {"s1", "b", core::HaState::kStandby, false},
                                  {"s1", "gone", core::HaState::kStandby, false},
                                  {"s2", "a", core::HaState::kQuiesced, false}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(snap.assignments[i].instance, want[i].instance) << i;
    EXPECT_EQ(snap.assignments[i].unit, want[i].unit) << i;
    EXPECT_EQ(snap.assignments[i].ha_state, want[i].state) << i;
    EXPECT_EQ(snap.assignments[i].confirmed, want[i].confirmed) << i;
  }
}

Json Sponsor(const std::string& name, const std::string& group, bool confirmed,
             const std::string& condition, const std::string& since) {
  Json si = Instance(name, group);
  si["status"] = {{"assignments", {{{"unit", "x"}, {"haState", "Active"},
                                    {"confirmed", confirmed}}}},
                  {"conditions", {{{"type", "Assigned"}, {"status", condition},
                                   {"lastTransitionTime", since}}}}};
  return si;
}

TEST(Snapshot, SponsorsFromOwnAndOtherGroups) {
  GroupObjects objects;
  objects.group = Ptr(Group("g", "2N"));
  objects.instances = {
      Ptr(Instance("app", "g", {{"dependsOn", {{{"serviceInstance", "db"},
                                                 {"toleranceTime", "2s"}},
                                                {{"serviceInstance", "own"}},
                                                {{"serviceInstance", "missing"}}}}})),
      Ptr(Sponsor("own", "g", false, "False", "2026-01-01T00:00:03.000Z"))};
  objects.sponsors = {Ptr(Sponsor("db", "dbs", true, "True", "2026-01-01T00:00:02.250Z"))};
  core::GroupSnapshot snap = Build(objects);
  ASSERT_EQ(snap.sponsors.size(), 2u);  // "missing" counts as inactive
  EXPECT_EQ(snap.sponsors[0].instance, "db");
  EXPECT_TRUE(snap.sponsors[0].active);
  EXPECT_EQ(snap.sponsors[0].since, T0() + absl::Milliseconds(2250));
  EXPECT_EQ(snap.sponsors[1].instance, "own");
  EXPECT_FALSE(snap.sponsors[1].active);
  EXPECT_EQ(snap.sponsors[1].since, T0() + absl::Seconds(3));
  const core::InstanceSpec& app = snap.instances[0];
  ASSERT_EQ(app.depends_on.size(), 3u);
  EXPECT_EQ(app.depends_on[0].tolerance, absl::Seconds(2));
  EXPECT_EQ(app.depends_on[1].tolerance, absl::ZeroDuration());
}

TEST(Snapshot, SponsorSinceUnknownWhenTheConditionDisagrees) {
  // Active per assignments but the condition still says False (written by
  // an older controller): the time of that condition does not apply.
  absl::StatusOr<api::ServiceInstance> si = api::FromJson<api::ServiceInstance>(
      Sponsor("db", "dbs", true, "False", "2026-01-01T00:00:02.000Z"));
  ASSERT_TRUE(si.ok());
  core::SponsorStatus status = SponsorActivity(*si);
  EXPECT_TRUE(status.active);
  EXPECT_EQ(status.since, absl::InfinitePast());
}

TEST(Snapshot, SwapRequestsFromTheOldestOpenOperationPerInstance) {
  GroupObjects objects;
  objects.group = Ptr(Group("g", "2N"));
  objects.instances = {Ptr(Instance("s1", "g")), Ptr(Instance("s2", "g"))};
  Json running = testing::SwapOp("b-running", "s1", "2026-01-01T00:00:01Z");
  running["status"] = {{"phase", "Running"}, {"fromUnit", "u1"}};
  Json done = testing::SwapOp("a-done", "s2", "2026-01-01T00:00:00Z");
  done["status"] = {{"phase", "Succeeded"}};
  Json restart = testing::Obj("Operation", "r", {{"action", "RestartUnit"}, {"target", "s2"}});
  objects.operations = {Ptr(testing::SwapOp("c-later", "s1", "2026-01-01T00:00:02Z")),
                        Ptr(running), Ptr(done), Ptr(restart),
                        Ptr(testing::SwapOp("elsewhere", "s9"))};
  core::GroupSnapshot snap = Build(objects);
  ASSERT_EQ(snap.swaps.size(), 1u);
  EXPECT_EQ(snap.swaps[0].instance, "s1");
  EXPECT_EQ(snap.swaps[0].from_unit, "u1");
}

TEST(Snapshot, InstanceSpecAndSkippedObjects) {
  GroupObjects objects;
  objects.group = Ptr(Group("g", "N-Way-Active"));
  Json bad = Instance("bad", "g");
  bad["spec"]["rank"] = "high";
  Json deleting = Instance("deleting", "g");
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  objects.instances = {
      Ptr(Instance("s", "g", {{"rank", 2}, {"adminState", "Locked"},
                              {"preferredActiveAssignments", 3},
                              {"rankedUnits", {{{"unit", "u9"}, {"rank", 1}}}},
                              {"csis", {{{"name", "a"}, {"csType", "t"}},
                                        {{"name", "b"}, {"csType", "t"},
                                         {"dependsOn", {"a"}}}}}})),
      Ptr(bad), Ptr(deleting)};
  absl::StatusOr<GroupView> view = ReadGroup(objects);
  ASSERT_TRUE(view.ok());
  EXPECT_THAT(view->unreadable, ::testing::ElementsAre(::testing::HasSubstr(
                                    "ServiceInstance/bad: spec.rank")));
  core::GroupSnapshot snap = BuildSnapshot(*view, T0());
  ASSERT_EQ(snap.instances.size(), 1u);
  const core::InstanceSpec& s = snap.instances[0];
  EXPECT_EQ(s.rank, 2);
  EXPECT_EQ(s.admin_state, core::AdminState::kLocked);
  EXPECT_EQ(s.preferred_active_assignments, 3);
  ASSERT_EQ(s.ranked_units.size(), 1u);
  EXPECT_EQ(s.ranked_units[0].unit, "u9");
  ASSERT_EQ(s.csis.size(), 2u);
  EXPECT_THAT(s.csis[1].depends_on, ::testing::ElementsAre("a"));
}

TEST(Snapshot, GroupMissingOrUnreadableIsAnError) {
  EXPECT_FALSE(ReadGroup(GroupObjects{}).ok());
  Json bad = Group("g", "3N");
  GroupObjects objects;
  objects.group = Ptr(bad);
  EXPECT_FALSE(ReadGroup(objects).ok());
}

TEST(Snapshot, TimesRoundTripWithMilliseconds) {
  const absl::Time t = T0() + absl::Milliseconds(5010);
  EXPECT_EQ(Rfc3339Millis(t), "2026-01-01T00:00:05.010Z");
  EXPECT_EQ(ParseRfc3339("2026-01-01T00:00:05.010Z"), t);
  EXPECT_EQ(ParseRfc3339("2026-01-01T01:00:05.010+01:00"), t);
  EXPECT_EQ(ParseRfc3339(""), absl::InfinitePast());
  EXPECT_EQ(ParseRfc3339("yesterday"), absl::InfinitePast());
}

}  // namespace
}  // namespace vigil::controllers
