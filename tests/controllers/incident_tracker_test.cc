#include "controllers/incident_tracker.h"

#include <gtest/gtest.h>

#include "controllers/incident_availability.h"

namespace vigil::controllers {
namespace {

using api::HaState;

// Simulated time: T(ms) is that many milliseconds after a fixed origin.
absl::Time T(double ms) {
  return absl::FromUnixSeconds(1'800'000'000) + absl::Microseconds(ms * 1000);
}

std::string Iso(double ms) { return Rfc3339Micros(T(ms)); }

api::Component Comp(const std::string& name, const std::string& unit,
                    const std::string& failure_time = "", const std::string& reason = "") {
  api::Component c;
  c.metadata.name = name;
  c.spec.service_unit = unit;
  c.spec.exec = api::ExecSpec();
  c.status.presence_state = api::PresenceState::kInstantiated;
  c.status.last_failure = {reason, failure_time, ""};
  return c;
}

api::ServiceUnit Unit(const std::string& name, const std::string& node, bool in_service,
                      const std::string& since) {
  api::ServiceUnit u;
  u.metadata.name = name;
  u.spec.node = node;
  u.status.readiness_state =
      in_service ? api::ReadinessState::kInService : api::ReadinessState::kOutOfService;
  u.status.in_service_since = since;
  return u;
}

api::Assignment A(const std::string& unit, HaState state, bool confirmed) {
  return {unit, "", state, "", confirmed};
}

api::ServiceInstance Si(const std::string& name, std::vector<api::Assignment> assignments) {
  api::ServiceInstance si;
  si.metadata.name = name;
  si.status.assignments = std::move(assignments);
  si.status.assignment_state = si.status.assignments.size() >= 2
                                   ? api::AssignmentState::kFullyAssigned
                                   : api::AssignmentState::kPartiallyAssigned;
  return si;
}

api::Node NodeObj(const std::string& name, bool ready, const std::string& reason = "") {
  api::Node n;
  n.metadata.name = name;
  api::Condition c;
  c.type = "Ready";
  c.status = ready ? api::ConditionStatus::kTrue : api::ConditionStatus::kFalse;
  c.reason = reason;
  n.status.conditions = {c};
  return n;
}

// Two units a (node n1) and b (node n2), SI s1 active on a, standby on b,
// component ca in a, all seen once at T(-1000).
class TwoUnits : public ::testing::Test {
 protected:
  void SetUp() override {
    tracker_.OnNode(NodeObj("n1", true), T(-1000), T(-1000));
    tracker_.OnNode(NodeObj("n2", true), T(-1000), T(-1000));
    tracker_.OnUnit(Unit("a", "n1", true, Iso(-5000)), T(-1000));
    tracker_.OnUnit(Unit("b", "n2", true, Iso(-5000)), T(-1000));
    tracker_.OnInstance(Si("s1", {A("a", HaState::kActive, true), A("b", HaState::kStandby, true)}),
                        T(-1000));
    tracker_.OnComponent(Comp("ca", "a"), T(-1000));
    tracker_.OnComponent(Comp("cb", "b"), T(-1000));
  }

  // The one incident, which must exist.
  const IncidentRecord& Only() {
    std::vector<const IncidentRecord*> all = tracker_.All();
    EXPECT_EQ(all.size(), 1u);
    return *all.at(0);
  }

  IncidentTracker tracker_;
};

TEST_F(TwoUnits, FailoverFillsTheFourMetrics) {
  // The process exits at T(0); the agent reports it, seen at T(0.4).
  std::vector<std::string> changed = tracker_.OnComponent(
      Comp("ca", "a", Iso(0), "ProcessExited: process 42 exited with status 1"), T(0.4));
  ASSERT_EQ(changed.size(), 1u);
  const IncidentRecord& r = Only();
  EXPECT_EQ(r.spec.failed_kind, "Component");
  EXPECT_EQ(r.spec.service_unit, "a");
  EXPECT_EQ(r.spec.node, "n1");
  EXPECT_EQ(r.spec.source, "pidfd");
  EXPECT_EQ(r.kind, "exec");
  EXPECT_TRUE(r.spec.service_affecting);
  EXPECT_EQ(r.spec.service_instances, std::vector<std::string>{"s1"});
  EXPECT_EQ(r.Phase(), "Open");
  EXPECT_EQ(r.name.rfind("ca-", 0), 0u) << r.name;

  // The controller promotes b (not yet confirmed), then the agent confirms.
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, false)}), T(2));
  EXPECT_EQ(r.reaction, T(2));
  EXPECT_EQ(r.Phase(), "Open");
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, true)}), T(5.5));
  EXPECT_EQ(r.recovered, T(5.5));
  EXPECT_EQ(r.recovery_action, "Failover");
  EXPECT_EQ(r.recovered_by, "b");
  EXPECT_EQ(r.Phase(), "Recovered");
  EXPECT_EQ(r.OutageOf("s1"), absl::Microseconds(5500));

  // Unit a comes back in service (auto-repair) at T(400), seen at T(401).
  tracker_.OnUnit(Unit("a", "n1", false, Iso(-5000)), T(10));
  EXPECT_FALSE(r.repaired.has_value());
  tracker_.OnUnit(Unit("a", "n1", true, Iso(400)), T(401));
  EXPECT_EQ(r.repaired, T(401));
  EXPECT_EQ(r.Phase(), "Closed");

  const api::IncidentStatus status = r.Status();
  EXPECT_EQ(status.durations.reaction, "2ms");
  EXPECT_EQ(status.durations.recovery, "3.5ms");
  EXPECT_EQ(status.durations.outage, "5.5ms");
  EXPECT_EQ(status.durations.repair, "399ms");
  EXPECT_EQ(status.failure_time, Iso(0));
  EXPECT_EQ(tracker_.counters().failovers, 1);
  EXPECT_EQ(tracker_.counters().switchovers, 0);
}

// The recorder stopped with the incident Open (its stored form is all that
// is left); a new one takes it up once it has seen the objects, and dates
// what happened meanwhile by when it sees it.
TEST_F(TwoUnits, AnIncidentLeftOpenIsTakenUpByTheNextTracker) {
  tracker_.OnComponent(Comp("ca", "a", Iso(0), "ProcessExited: process 42 exited"), T(0.4));
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, false)}), T(2));
  api::Incident stored;
  stored.metadata.name = Only().name;
  stored.spec = Only().spec;
  stored.status = Only().Status();
  ASSERT_EQ(stored.status.phase, "Open");

  IncidentTracker next;  // after the restart: b was confirmed meanwhile
  next.OnNode(NodeObj("n1", true), T(900), T(900));
  next.OnUnit(Unit("a", "n1", false, Iso(-5000)), T(900));
  next.OnUnit(Unit("b", "n2", true, Iso(-5000)), T(900));
  next.OnInstance(Si("s1", {A("b", HaState::kActive, true)}), T(900));
  next.OnComponent(Comp("ca", "a", Iso(0), "ProcessExited: process 42 exited"), T(900));
  EXPECT_EQ(next.Resume(stored, T(1000)), std::vector<std::string>{stored.metadata.name});
  const IncidentRecord* r = next.Find(stored.metadata.name);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->failure, T(0));
  EXPECT_EQ(r->reaction, T(2));  // from the stored status
  EXPECT_EQ(r->recovered, T(1000));
  EXPECT_EQ(r->recovery_action, "Failover");
  EXPECT_EQ(r->Phase(), "Recovered");
  EXPECT_NE(r->message.find("taken up again after a restart of the recorder"), std::string::npos);
  EXPECT_TRUE(next.Resume(stored, T(1001)).empty());  // known already

  next.OnUnit(Unit("a", "n1", true, Iso(1500)), T(1501));  // repaired
  EXPECT_EQ(r->Phase(), "Closed");
  stored.status = r->Status();
  EXPECT_TRUE(IncidentTracker().Resume(stored, T(2000)).empty());  // Closed: history
}

TEST_F(TwoUnits, RestartOnTheSameUnitIsARestart) {
  api::Component failed = Comp("ca", "a", Iso(0), "ProcessExited: killed by signal 9");
  failed.status.presence_state = api::PresenceState::kRestarting;
  tracker_.OnComponent(failed, T(0.3));
  const IncidentRecord& r = Only();
  EXPECT_EQ(r.reaction, T(0.3));  // the agent restarting it is the reaction
  api::Component back = failed;
  back.status.presence_state = api::PresenceState::kInstantiated;
  back.status.restart_count = 1;
  back.status.start_time = Iso(3);
  tracker_.OnComponent(back, T(3.2));
  EXPECT_EQ(r.recovered, T(3.2));
  EXPECT_EQ(r.recovery_action, "Restart");
  EXPECT_EQ(r.recovered_by, "a");
  EXPECT_EQ(r.repaired, T(3.2));
  EXPECT_EQ(r.Phase(), "Closed");
  EXPECT_EQ(tracker_.counters().restarts, 1);
}

TEST_F(TwoUnits, StandbyFailureInterruptsNothing) {
  tracker_.OnComponent(Comp("cb", "b", Iso(0), "Unhealthy: tcp 8554 refused"), T(1));
  const IncidentRecord& r = Only();
  EXPECT_FALSE(r.spec.service_affecting);
  EXPECT_EQ(r.spec.source, "healthCheck");
  EXPECT_EQ(r.Phase(), "Recovered");
  EXPECT_EQ(r.recovery_action, "None");
  EXPECT_EQ(r.Status().durations.outage, "0s");
  EXPECT_EQ(r.Status().durations.recovery, "");
  EXPECT_FALSE(r.OutageOf("s1").has_value());
}

TEST_F(TwoUnits, AFailureAlreadyThereWhenFirstSeenIsHistory) {
  tracker_.OnComponent(Comp("old", "a", Iso(-9000), "ProcessExited: long ago"), T(0));
  EXPECT_TRUE(tracker_.All().empty());
  // The same failure seen again is no new one either.
  tracker_.OnComponent(Comp("old", "a", Iso(-9000), "ProcessExited: long ago"), T(1));
  EXPECT_TRUE(tracker_.All().empty());
}

TEST_F(TwoUnits, TheUnitsReportOpensTheIncidentAndTheComponentsAddsNone) {
  api::ServiceUnit failed = Unit("a", "n1", false, Iso(-5000));
  failed.status.last_failure = {"ca: ProcessExited: process 42 killed by SIGKILL", Iso(0), ""};
  tracker_.OnUnit(failed, T(0.5));
  ASSERT_EQ(tracker_.All().size(), 1u);
  tracker_.OnComponent(Comp("ca", "a", Iso(0), "ProcessExited: process 42 killed by SIGKILL"),
                       T(3));
  const IncidentRecord& r = Only();
  EXPECT_EQ(r.detection, T(0.5));
  EXPECT_EQ(r.spec.failed_name, "ca");
  EXPECT_EQ(r.spec.reason, "ProcessExited: process 42 killed by SIGKILL");
  EXPECT_EQ(r.spec.source, "pidfd");
}

TEST_F(TwoUnits, ReactionSeenBeforeTheFailureReportStillCounts) {
  // The SI informer ran first: the promotion is seen before the failure.
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, false)}), T(2));
  tracker_.OnComponent(Comp("ca", "a", Iso(0), "ProcessExited: x"), T(2.5));
  const IncidentRecord& r = Only();
  EXPECT_EQ(r.spec.service_instances, std::vector<std::string>{"s1"});
  EXPECT_TRUE(r.spec.service_affecting);
  EXPECT_EQ(r.reaction, T(2));
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, true)}), T(4));
  EXPECT_EQ(r.Status().durations.outage, "4ms");
}

TEST_F(TwoUnits, NodeLeaseExpiryFailsItsUnitsOver) {
  tracker_.OnNode(NodeObj("n1", false, "NodeLeaseExpired"), T(800), T(0));
  const IncidentRecord& r = Only();
  EXPECT_EQ(r.spec.failed_kind, "Node");
  EXPECT_EQ(r.spec.source, "lease");
  EXPECT_EQ(r.kind, "node");
  EXPECT_EQ(r.failure, T(0));
  EXPECT_EQ(r.failed_units, std::set<std::string>{"a"});
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, false)}), T(805));
  tracker_.OnInstance(Si("s1", {A("b", HaState::kActive, true)}), T(809));
  EXPECT_EQ(r.Status().durations.outage, "809ms");
  EXPECT_EQ(r.Status().durations.reaction, "805ms");
  tracker_.OnNode(NodeObj("n1", true), T(3000), T(3000));
  EXPECT_EQ(r.Phase(), "Closed");
  EXPECT_EQ(r.Status().durations.repair, "2.195s");
}

TEST_F(TwoUnits, FailingAgainBeforeRepairClosesTheFirstIncident) {
  tracker_.OnComponent(Comp("ca", "a", Iso(0), "ProcessExited: one"), T(1));
  tracker_.OnComponent(Comp("ca", "a", Iso(10), "ProcessExited: two"), T(11));
  std::vector<const IncidentRecord*> all = tracker_.All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0]->superseded);
  EXPECT_EQ(all[0]->Phase(), "Closed");
  EXPECT_EQ(all[1]->Phase(), "Open");
  EXPECT_NE(all[0]->name, all[1]->name);
}

TEST_F(TwoUnits, ActiveMovingWithoutAFailureIsASwitchover) {
  tracker_.OnInstance(Si("s1", {A("a", HaState::kQuiesced, true), A("b", HaState::kActive, true)}),
                      T(1));
  EXPECT_EQ(tracker_.counters().switchovers, 1);
  EXPECT_TRUE(tracker_.All().empty());
}

TEST_F(TwoUnits, PrunesByAgeAndCount) {
  for (int i = 0; i < 5; ++i) {
    tracker_.OnComponent(Comp("ca", "a", Iso(i * 1000), "ProcessExited: n"), T(i * 1000 + 1));
  }
  ASSERT_EQ(tracker_.All().size(), 5u);
  EXPECT_EQ(tracker_.Prune(T(5000), absl::Hours(1), 3).size(), 2u);
  EXPECT_EQ(tracker_.All().size(), 3u);
  EXPECT_EQ(tracker_.All().front()->failure, T(2000));
  // Older than 2.5 s at T(5000): the ones detected at T(2001).
  EXPECT_EQ(tracker_.Prune(T(5000), absl::Milliseconds(2500), 100).size(), 1u);
  EXPECT_EQ(tracker_.All().size(), 2u);
}

TEST(SourceOfFailure, NamesTheDetector) {
  EXPECT_EQ(SourceOfFailure("ProcessExited: x"), "pidfd");
  EXPECT_EQ(SourceOfFailure("QemuExited: x"), "pidfd");
  EXPECT_EQ(SourceOfFailure("HeartbeatMissed: x"), "healthCheck");
  EXPECT_EQ(SourceOfFailure("DomainPaused: x"), "libvirt");
  EXPECT_EQ(SourceOfFailure("InstantiationFailed: x"), "agent");
}

TEST(Availability, CountsUnassignedTimeFromTheFirstConfirmedActive) {
  AvailabilityAccount account;
  account.Observe(ServiceLevel::kUnassigned, T(0));  // new SI: not counted yet
  EXPECT_FALSE(account.started());
  account.Observe(ServiceLevel::kFull, T(1000));
  EXPECT_TRUE(account.started());
  account.Observe(ServiceLevel::kUnassigned, T(101000));  // 100 s of service
  account.Observe(ServiceLevel::kPartial, T(101010));     // 10 ms outage
  account.Observe(ServiceLevel::kFull, T(102010));        // 1 s without standby
  account.Observe(ServiceLevel::kExcluded, T(200000));    // locked: left out
  account.Observe(ServiceLevel::kFull, T(300000));
  account.Observe(ServiceLevel::kFull, T(301000));
  EXPECT_EQ(account.observed(), absl::Seconds(200));
  EXPECT_EQ(account.unassigned(), absl::Milliseconds(10));
  EXPECT_EQ(account.partial(), absl::Seconds(1));
  EXPECT_DOUBLE_EQ(account.Availability(), 1 - 0.01 / 200);
  const api::InstanceAvailability report = account.Report(99.999);
  EXPECT_EQ(report.availability, "99.99500%");
  EXPECT_EQ(report.target, "99.999%");
  EXPECT_EQ(report.downtime_budget, "5m15.576s");
  EXPECT_EQ(report.budget_remaining, "5m15.566s");
  EXPECT_EQ(report.unassigned, "10ms");
  EXPECT_EQ(report.observed, "3m20s");
}

TEST(Availability, BackdatesAnOutageToItsFailureWithoutCountingTwice) {
  AvailabilityAccount account;
  account.Observe(ServiceLevel::kFull, T(0));
  // Failure at T(1000); the SI looks unassigned from T(1004) (the reaction),
  // the failure report arrives at T(1006).
  account.Observe(ServiceLevel::kUnassigned, T(1004));
  account.Observe(ServiceLevel::kUnassigned, T(1006));
  account.BackdateUnassigned(T(1000));
  account.Observe(ServiceLevel::kFull, T(1010));
  EXPECT_EQ(account.unassigned(), absl::Milliseconds(10));
  EXPECT_EQ(account.observed(), absl::Milliseconds(1010));
}

TEST(Availability, ResumesFromItsReport) {
  AvailabilityAccount account;
  account.Observe(ServiceLevel::kFull, T(0));
  account.Observe(ServiceLevel::kUnassigned, T(1000));
  account.Observe(ServiceLevel::kFull, T(1005));
  AvailabilityAccount resumed = AvailabilityAccount::Resume(account.Report(99.99));
  EXPECT_TRUE(resumed.started());
  EXPECT_EQ(resumed.unassigned(), absl::Milliseconds(5));
  // The time vigild was away (T(1005) to T(9000)) is not counted.
  resumed.Observe(ServiceLevel::kFull, T(9000));
  resumed.Observe(ServiceLevel::kFull, T(10000));
  EXPECT_EQ(resumed.observed(), absl::Milliseconds(2005));
  EXPECT_FALSE(AvailabilityAccount::Resume({}).started());
}

TEST(Availability, LevelsFollowTheAssignments) {
  api::ServiceInstance si =
      Si("s", {A("a", HaState::kActive, true), A("b", HaState::kStandby, true)});
  EXPECT_EQ(LevelOf(si), ServiceLevel::kFull);
  si = Si("s", {A("a", HaState::kActive, true)});
  EXPECT_EQ(LevelOf(si), ServiceLevel::kPartial);
  si = Si("s", {A("a", HaState::kActive, false), A("b", HaState::kStandby, true)});
  EXPECT_EQ(LevelOf(si), ServiceLevel::kUnassigned);
  si.spec.admin_state = api::AdminState::kLocked;
  EXPECT_EQ(LevelOf(si), ServiceLevel::kExcluded);
  EXPECT_EQ(YearlyBudget(99.999), absl::Microseconds(315'576'000));
}

}  // namespace
}  // namespace vigil::controllers
