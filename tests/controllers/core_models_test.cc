// Table-driven scenarios for N+M, N-Way, N-Way-Active and No-Redundancy:
// initial placement, failover, lock, swap, switchback and capacity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controllers/core_harness.h"

namespace vigil::core::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void ExpectClean(const CoreWorld& w) {
  EXPECT_THAT(w.failures(), IsEmpty()) << w.History();
}

// Units a..(a + units - 1) ranked 1.., SIs s1..sN ranked 1...
CoreWorld World(RedundancyModel model, int units, int instances) {
  CoreWorld w(model);
  for (int i = 0; i < units; ++i) w.AddUnit(std::string(1, 'a' + i), i + 1);
  for (int i = 1; i <= instances; ++i) w.AddInstance(absl::StrCat("s", i), i);
  return w;
}

// ---- N+M ----

CoreWorld NPlusM() {
  CoreWorld w = World(RedundancyModel::kNPlusM, 4, 4);
  w.group().preferred_active_units = 2;
  w.group().preferred_standby_units = 1;
  return w;
}

TEST(NPlusM, SpreadsActivesOverNUnitsAndStandbysOnM) {
  CoreWorld w = NPlusM();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  EXPECT_EQ(w.ActiveOf("s3"), "b");
  EXPECT_EQ(w.ActiveOf("s4"), "b");
  for (const char* si : {"s1", "s2", "s3", "s4"}) {
    EXPECT_EQ(w.StandbyOf(si), "c") << si;
  }
  EXPECT_EQ(w.CountOn("d"), 0);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NPlusM, FailoverPromotesTheStandbyUnitAndASpareTakesItsPlace) {
  CoreWorld w = NPlusM();
  w.Settle();
  w.Fail("a");
  Decision d = w.Step();
  EXPECT_EQ(d.changes[2].reason,
            "failover: standby c promoted (unit a failed)");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");
  EXPECT_EQ(w.ActiveOf("s2"), "c");
  EXPECT_EQ(w.ActiveOf("s3"), "b");
  for (const char* si : {"s1", "s2", "s3", "s4"}) {
    EXPECT_EQ(w.StandbyOf(si), "d") << si;
  }
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NPlusM, LockingAnActiveUnitSwitchesItsSisToTheStandbyUnit) {
  CoreWorld w = NPlusM();
  w.Settle();
  w.SetUnitAdmin("b", AdminState::kLocked);
  Decision d = w.Step();
  // b's SIs are quiesced; c becomes an active unit, so a's SIs get their
  // new standby on the spare d before leaving c.
  for (const Change& c : d.changes) {
    if (c.unit == "b") {
      EXPECT_EQ(c.ha_state, HaState::kQuiesced) << Describe(c);
    } else {
      EXPECT_EQ(c.unit, "d") << Describe(c);
      EXPECT_EQ(c.ha_state, HaState::kStandby) << Describe(c);
    }
  }
  EXPECT_EQ(d.changes.size(), 4u);
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s3"), "c");
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "d");
  EXPECT_EQ(w.CountOn("b"), 0);
  ExpectClean(w);
}

TEST(NPlusM, SwapExchangesTheRolesOfTwoUnits) {
  CoreWorld w = NPlusM();
  w.Settle();
  w.RequestSwap("s1");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");
  EXPECT_EQ(w.ActiveOf("s2"), "c");
  EXPECT_EQ(w.ActiveOf("s3"), "b");
  for (const char* si : {"s1", "s2", "s3", "s4"}) {
    EXPECT_EQ(w.StandbyOf(si), "a") << si;
  }
  EXPECT_THAT(w.snapshot().swaps, IsEmpty());
  ExpectClean(w);
}

TEST(NPlusM, SwitchbackRestoresTheRankedRolesAfterProbation) {
  CoreWorld w = NPlusM();
  w.group().auto_adjust = {true, absl::Seconds(10), absl::Seconds(30)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");  // probation not served
  w.Advance(absl::Seconds(10));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  EXPECT_EQ(w.ActiveOf("s3"), "b");
  for (const char* si : {"s1", "s2", "s3", "s4"}) {
    EXPECT_EQ(w.StandbyOf(si), "c") << si;
  }
  EXPECT_EQ(w.CountOn("d"), 0);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NPlusM, CapacityLimitsActivesPerUnitAndRanksDecide) {
  CoreWorld w = NPlusM();
  w.group().max_active_per_unit = 1;
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  EXPECT_EQ(w.ActiveOf("s3"), "");
  EXPECT_EQ(w.ActiveOf("s4"), "");
  // Losing an active unit: the standby unit takes its SI; the highest
  // ranked SI is still served.
  w.Fail("a");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  w.CheckSettled();
  ExpectClean(w);
}

// ---- N-Way ----

TEST(NWay, SpreadsActivesAndStandbysOverAllUnits) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 3);
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  EXPECT_EQ(w.ActiveOf("s3"), "c");
  for (const char* si : {"s1", "s2", "s3"}) {
    ASSERT_EQ(w.UnitsOf(si, HaState::kStandby).size(), 1u) << si;
    EXPECT_NE(w.StandbyOf(si), w.ActiveOf(si));
  }
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NWay, FailoverPromotesTheSisOwnStandby) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 3);
  w.Settle();
  std::string standby = w.StandbyOf("s1");
  w.Fail("a");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), standby);
  for (const char* si : {"s1", "s2", "s3"}) {
    EXPECT_EQ(w.UnitsOf(si, HaState::kStandby).size(), 1u) << si;
  }
  EXPECT_EQ(w.CountOn("a"), 0);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NWay, GivesEachSiItsPreferredNumberOfStandbys) {
  CoreWorld w = World(RedundancyModel::kNWay, 4, 2);
  w.instance("s1").preferred_standby_assignments = 2;
  w.instance("s2").preferred_standby_assignments = 3;
  w.Settle();
  EXPECT_EQ(w.UnitsOf("s1", HaState::kStandby).size(), 2u);
  EXPECT_EQ(w.UnitsOf("s2", HaState::kStandby).size(), 3u);
  w.Fail("d");
  w.Settle();
  EXPECT_EQ(w.UnitsOf("s2", HaState::kStandby).size(), 2u);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NWay, RankedUnitsOverrideUnitRanks) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 1);
  w.instance("s1").ranked_units = {{"c", 1}, {"b", 2}};
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
  ExpectClean(w);
}

TEST(NWay, SwapMovesOnlyThatSi) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 3);
  w.Settle();
  std::string standby = w.StandbyOf("s1");
  std::string s2_active = w.ActiveOf("s2");
  w.RequestSwap("s1");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), standby);
  EXPECT_EQ(w.StandbyOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), s2_active);
  ExpectClean(w);
}

TEST(NWay, SwitchbackReturnsAnSiToItsPreferredUnit) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 3);
  w.group().auto_adjust = {true, absl::Seconds(5), absl::Seconds(0)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  EXPECT_NE(w.ActiveOf("s1"), "a");
  w.Repair("a");
  w.SettleWithTimers(absl::Minutes(1));
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  EXPECT_EQ(w.ActiveOf("s3"), "c");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NWay, StandbyCapacityIsNeverExceeded) {
  CoreWorld w = World(RedundancyModel::kNWay, 3, 4);
  w.group().max_standby_per_unit = 1;
  w.Settle();
  int standbys = 0;
  for (const char* si : {"s1", "s2", "s3", "s4"}) {
    standbys += w.UnitsOf(si, HaState::kStandby).size();
  }
  EXPECT_EQ(standbys, 3);
  ExpectClean(w);
}

// ---- N-Way-Active ----

TEST(NWayActive, ActivatesEachSiOnItsPreferredNumberOfUnits) {
  CoreWorld w = World(RedundancyModel::kNWayActive, 3, 2);
  w.instance("s1").preferred_active_assignments = 2;
  w.instance("s2").preferred_active_assignments = 2;
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("a", "b"));
  EXPECT_THAT(w.UnitsOf("s2", HaState::kActive), ElementsAre("a", "b"));
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NWayActive, FailureBringsInASpareUnit) {
  CoreWorld w = World(RedundancyModel::kNWayActive, 3, 1);
  w.instance("s1").preferred_active_assignments = 2;
  w.Settle();
  w.Fail("a");
  Decision d = w.Step();
  EXPECT_EQ(d.changes.back().unit, "c");
  EXPECT_THAT(d.changes.back().reason, HasSubstr("unit a failed"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("b", "c"));
  ExpectClean(w);
}

TEST(NWayActive, LockMakesBeforeItBreaks) {
  CoreWorld w = World(RedundancyModel::kNWayActive, 3, 1);
  w.instance("s1").preferred_active_assignments = 2;
  w.group().preferred_active_units = 2;
  w.Settle();
  w.SetUnitAdmin("b", AdminState::kLocked);
  Decision d = w.Step();
  // The draining unit is quiesced at once; the replacement is added too.
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("a", "c"));
  EXPECT_THAT(w.UnitsOf("s1", HaState::kQuiesced), ElementsAre("b"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("a", "c"));
  EXPECT_EQ(w.CountOn("b"), 0);
  ExpectClean(w);
}

TEST(NWayActive, SwitchbackAddsTheBetterUnitBeforeLeavingTheWorseOne) {
  CoreWorld w = World(RedundancyModel::kNWayActive, 3, 1);
  w.instance("s1").preferred_active_assignments = 2;
  w.group().auto_adjust = {true, absl::Seconds(5), absl::Seconds(0)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  w.Advance(absl::Seconds(5));
  Decision d = w.Step();
  ASSERT_FALSE(d.changes.empty());
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kAssign);
  EXPECT_EQ(d.changes[0].unit, "a");
  EXPECT_EQ(d.changes[0].cause, ChangeCause::kSwitchback);
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("a", "b", "c"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), ElementsAre("a", "b"));
  ExpectClean(w);
}

TEST(NWayActive, SwapIsRejected) {
  CoreWorld w = World(RedundancyModel::kNWayActive, 2, 1);
  w.Settle();
  w.RequestSwap("s1");
  Decision d = w.Step();
  ASSERT_EQ(d.swaps.size(), 1u);
  EXPECT_EQ(d.swaps[0].phase, SwapPhase::kRejected);
  EXPECT_THAT(d.swaps[0].message, HasSubstr("no standby"));
  ExpectClean(w);
}

// ---- No-Redundancy ----

TEST(NoRedundancy, OneSiPerUnitInRankOrder) {
  CoreWorld w = World(RedundancyModel::kNoRedundancy, 2, 3);
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  EXPECT_EQ(w.ActiveOf("s3"), "");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NoRedundancy, FailureMovesTheSiToASpareCold) {
  CoreWorld w = World(RedundancyModel::kNoRedundancy, 3, 2);
  w.Settle();
  w.Fail("a");
  Decision d = w.Step();
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[1].unit, "c");
  EXPECT_EQ(d.changes[1].reason, "failover: no standby (unit a failed)");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "c");
  ExpectClean(w);
}

TEST(NoRedundancy, HigherRankedSiTakesTheLastUnit) {
  CoreWorld w = World(RedundancyModel::kNoRedundancy, 2, 2);
  w.Settle();
  w.Fail("a");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.ActiveOf("s2"), "");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(NoRedundancy, SwitchbackQuiescesThenRestartsOnThePreferredUnit) {
  CoreWorld w = World(RedundancyModel::kNoRedundancy, 3, 1);
  w.group().auto_adjust = {true, absl::Seconds(5), absl::Seconds(0)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  ASSERT_EQ(w.ActiveOf("s1"), "b");
  w.Repair("a");
  w.Advance(absl::Seconds(5));
  Decision d = w.Step();
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].ha_state, HaState::kQuiesced);
  EXPECT_EQ(d.changes[0].reason, "switchback: a (rank 1) in service for 5s");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  ExpectClean(w);
}

// ---- preferredInServiceUnits ----

TEST(InService, StartsAndStopsSparesToKeepThePreferredCount) {
  CoreWorld w = World(RedundancyModel::kTwoN, 4, 1);
  w.group().preferred_in_service_units = 2;
  Decision d = w.Step();
  EXPECT_THAT(d.units_to_stop, ElementsAre("c", "d"));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
  w.Fail("a");
  d = w.Step();
  EXPECT_THAT(d.units_to_start, ElementsAre("c"));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  ExpectClean(w);
}

}  // namespace
}  // namespace vigil::core::testing

namespace vigil::core::testing {
namespace {

// ---- Odd inputs ----

TEST(OddInputs, EmptyGroupDecidesNothing) {
  GroupSnapshot empty;
  Decision d = DecideAssignments(empty);
  EXPECT_THAT(d.changes, ::testing::IsEmpty());
  EXPECT_EQ(d.requeue_at, absl::InfiniteFuture());
}

TEST(OddInputs, AssignmentsOfUnknownUnitsOrSisAreRemoved) {
  CoreWorld w = World(RedundancyModel::kTwoN, 2, 1);
  w.Settle();
  w.snapshot().assignments.push_back({"gone-si", "a", HaState::kActive, true});
  w.snapshot().assignments.push_back(
      {"s1", "gone-unit", HaState::kStandby, true});
  Decision d = w.Step();
  ASSERT_GE(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kRemove);
  EXPECT_EQ(d.changes[0].instance, "gone-si");
  EXPECT_EQ(d.changes[1].unit, "gone-unit");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.snapshot().assignments.size(), 2u);
}

TEST(OddInputs, TwoActivesForOneSiAreReducedToOne) {
  CoreWorld w = World(RedundancyModel::kTwoN, 2, 1);
  w.snapshot().assignments = {{"s1", "a", HaState::kActive, true},
                              {"s1", "b", HaState::kActive, true}};
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
}

TEST(OddInputs, ControllerRestartMidSwitchoverResumes) {
  CoreWorld w = World(RedundancyModel::kTwoN, 3, 2);
  w.Settle();
  w.SetUnitAdmin("a", AdminState::kLocked);
  w.Step();
  w.ConfirmAll();
  // A new controller sees only the stored assignments and specs.
  CoreWorld restarted = w;
  restarted.Settle();
  EXPECT_EQ(restarted.ActiveOf("s1"), "b");
  EXPECT_EQ(restarted.StandbyOf("s1"), "c");
  EXPECT_THAT(restarted.failures(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace vigil::core::testing
