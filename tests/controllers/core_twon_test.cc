// Table-driven scenarios for the 2N model: initial assignment, failover,
// switchover (lock / shutdown), switchback with probation, SI swap, admin
// states on unit, node, group and SI, capacity and restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controllers/core_harness.h"

namespace vigil::core::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// a (rank 1), b (rank 2), c (rank 3) on their own nodes; SIs s1, s2.
CoreWorld TwoN() {
  CoreWorld w(RedundancyModel::kTwoN);
  w.AddUnit("a", 1);
  w.AddUnit("b", 2);
  w.AddUnit("c", 3);
  w.AddInstance("s1", 1);
  w.AddInstance("s2", 2);
  return w;
}

void ExpectClean(const CoreWorld& w) {
  EXPECT_THAT(w.failures(), IsEmpty()) << w.History();
}

TEST(TwoN, AssignsActiveToBestUnitAndStandbyToNext) {
  CoreWorld w = TwoN();
  Decision first = w.Step();
  ASSERT_EQ(first.changes.size(), 4u);
  EXPECT_EQ(first.changes[0].reason, "initial assignment");
  EXPECT_EQ(first.changes[0].cause, ChangeCause::kInitial);
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s2"), "b");
  EXPECT_EQ(w.CountOn("c"), 0);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, FailsOverToStandbyWhenActiveUnitFails) {
  CoreWorld w = TwoN();
  w.Settle();
  w.Fail("a");
  Decision d = w.Step();
  // Lost work first, then the promotion, in the same decision.
  ASSERT_GE(d.changes.size(), 4u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kRemove);
  EXPECT_EQ(d.changes[0].reason, "failover: unit a failed");
  EXPECT_EQ(d.changes[0].cause, ChangeCause::kFailover);
  EXPECT_EQ(d.changes[1].kind, ChangeKind::kRemove);
  EXPECT_EQ(d.changes[2].kind, ChangeKind::kSetHaState);
  EXPECT_EQ(d.changes[2].unit, "b");
  EXPECT_EQ(d.changes[2].ha_state, HaState::kActive);
  EXPECT_THAT(d.changes[2].reason, HasSubstr("unit a failed"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  EXPECT_EQ(w.StandbyOf("s2"), "c");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, RepairedUnitBecomesSpareWithoutAutoAdjust) {
  CoreWorld w = TwoN();
  w.Settle();
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  w.Advance(absl::Minutes(5));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  EXPECT_EQ(w.CountOn("a"), 0);
  ExpectClean(w);
}

TEST(TwoN, RepairedUnitBecomesStandbyWhenNoneIsLeft) {
  CoreWorld w = TwoN();
  w.Settle();
  w.Fail("a");
  w.Fail("c");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "");
  w.Repair("a");
  w.Settle();
  EXPECT_EQ(w.StandbyOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s2"), "a");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, LockSwitchesOverGracefully) {
  CoreWorld w = TwoN();
  w.Settle();
  w.SetUnitAdmin("a", AdminState::kLocked);
  Decision quiesce = w.Step();
  ASSERT_EQ(quiesce.changes.size(), 2u);
  for (const Change& c : quiesce.changes) {
    EXPECT_EQ(c.unit, "a");
    EXPECT_EQ(c.ha_state, HaState::kQuiesced);
    EXPECT_EQ(c.cause, ChangeCause::kAdmin);
    EXPECT_EQ(c.reason, "admin lock of unit a");
    EXPECT_EQ(c.successor, "b");  // the standby that takes over (live migration target)
  }
  // Nothing moves until the quiesce is confirmed.
  EXPECT_THAT(w.Step().changes, IsEmpty());
  w.ConfirmAll();
  Decision activate = w.Step();
  ASSERT_EQ(activate.changes.size(), 2u);
  EXPECT_EQ(activate.changes[0].unit, "b");
  EXPECT_EQ(activate.changes[0].ha_state, HaState::kActive);
  EXPECT_EQ(activate.changes[0].reason, "switchover: b takes over from a");
  w.ConfirmAll();
  Decision release = w.Step();
  ASSERT_EQ(release.changes.size(), 2u);
  EXPECT_EQ(release.changes[0].kind, ChangeKind::kRemove);
  EXPECT_EQ(release.changes[0].unit, "a");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  EXPECT_EQ(w.CountOn("a"), 0);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, ShutdownQuiescesThenCompletesToLocked) {
  CoreWorld w = TwoN();
  w.Settle();
  w.SetUnitAdmin("a", AdminState::kShuttingDown);
  Decision d = w.Step();
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].ha_state, HaState::kQuiescing);
  EXPECT_EQ(d.changes[0].reason, "admin shutdown of unit a");
  EXPECT_EQ(d.changes[0].successor, "");  // work drains; nothing is handed over
  w.ConfirmAll();  // work drained
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.unit("a").admin_state, AdminState::kLocked);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, UnlockAfterLockMakesUnitSpare) {
  CoreWorld w = TwoN();
  w.Settle();
  w.SetUnitAdmin("a", AdminState::kLocked);
  w.Settle();
  w.SetUnitAdmin("a", AdminState::kUnlocked);
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  ExpectClean(w);
}

TEST(TwoN, LockingStandbyRemovesStandbyAndPicksSpare) {
  CoreWorld w = TwoN();
  w.Settle();
  w.SetUnitAdmin("b", AdminState::kLocked);
  Decision d = w.Step();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  ASSERT_FALSE(d.changes.empty());
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  EXPECT_EQ(w.CountOn("b"), 0);
  ExpectClean(w);
}

TEST(TwoN, NodeLockMovesItsUnitsAway) {
  CoreWorld w(RedundancyModel::kTwoN);
  w.AddUnit("a", 1, "hv1");
  w.AddUnit("b", 2, "hv2");
  w.AddUnit("c", 3, "hv2");
  w.AddInstance("s1", 1);
  w.Settle();
  w.SetNodeAdmin("hv1", AdminState::kLocked);
  Decision d = w.Step();
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].reason, "admin lock of node hv1");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "c");
  ExpectClean(w);
}

TEST(TwoN, GroupLockRemovesEverythingAndUnlockRestores) {
  CoreWorld w = TwoN();
  w.Settle();
  w.group().admin_state = AdminState::kLocked;
  Decision d = w.Step();
  for (const Change& c : d.changes) {
    EXPECT_EQ(c.reason, "admin lock of service group g") << Describe(c);
  }
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.snapshot().assignments, IsEmpty());
  w.group().admin_state = AdminState::kUnlocked;
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s2"), "b");
  ExpectClean(w);
}

TEST(TwoN, GroupShutdownDrainsThenLocks) {
  CoreWorld w = TwoN();
  w.Settle();
  w.group().admin_state = AdminState::kShuttingDown;
  Decision d = w.Step();
  ASSERT_FALSE(d.changes.empty());
  EXPECT_EQ(d.changes[0].ha_state, HaState::kQuiescing);
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.snapshot().assignments, IsEmpty());
  EXPECT_EQ(w.group().admin_state, AdminState::kLocked);
  ExpectClean(w);
}

TEST(TwoN, SiLockRemovesOnlyThatSi) {
  CoreWorld w = TwoN();
  w.Settle();
  w.instance("s1").admin_state = AdminState::kLocked;
  Decision d = w.Step();
  ASSERT_FALSE(d.changes.empty());
  EXPECT_EQ(d.changes[0].reason, "admin lock of SI s1");
  EXPECT_EQ(d.changes[0].ha_state, HaState::kQuiesced);
  w.ConfirmAll();
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), IsEmpty());
  EXPECT_THAT(w.UnitsOf("s1", HaState::kStandby), IsEmpty());
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  w.instance("s1").admin_state = AdminState::kUnlocked;
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
  ExpectClean(w);
}

TEST(TwoN, LockedInstantiationStopsUnit) {
  CoreWorld w = TwoN();
  w.Settle();
  w.SetUnitAdmin("c", AdminState::kLockedInstantiation);
  Decision d = w.Step();
  EXPECT_THAT(d.units_to_stop, ElementsAre("c"));
  EXPECT_THAT(d.changes, IsEmpty());
  ExpectClean(w);
}

TEST(TwoN, SwapMovesEverySiOfTheActiveUnit) {
  CoreWorld w = TwoN();
  w.Settle();
  w.RequestSwap("s1");
  Decision d = w.Step();
  ASSERT_EQ(d.swaps.size(), 1u);
  EXPECT_EQ(d.swaps[0].phase, SwapPhase::kInProgress);
  EXPECT_EQ(d.swaps[0].from_unit, "a");
  EXPECT_TRUE(d.adjustment_started);
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].ha_state, HaState::kQuiesced);
  EXPECT_EQ(d.changes[0].cause, ChangeCause::kSwap);
  EXPECT_EQ(d.changes[0].successor, "b");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.ActiveOf("s2"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "a");
  EXPECT_EQ(w.StandbyOf("s2"), "a");
  EXPECT_THAT(w.snapshot().swaps, IsEmpty());
  EXPECT_THAT(w.log().back(), HasSubstr("swap s1 Done"));
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, SwapWithoutStandbyIsRejected) {
  CoreWorld w = TwoN();
  w.Fail("b");
  w.Fail("c");
  w.Settle();
  w.RequestSwap("s1");
  Decision d = w.Step();
  ASSERT_EQ(d.swaps.size(), 1u);
  EXPECT_EQ(d.swaps[0].phase, SwapPhase::kRejected);
  EXPECT_THAT(d.swaps[0].message, HasSubstr("no confirmed standby"));
  ExpectClean(w);
}

TEST(TwoN, StandbyFailingMidSwapLeavesActiveWhereItWas) {
  CoreWorld w = TwoN();
  w.Settle();
  w.RequestSwap("s1");
  w.Step();  // quiesce a
  w.ConfirmAll();
  w.Step();  // activate b
  w.Fail("b");
  w.Settle();
  // c is the only warm-less spare; a holds the quiesced state and takes the
  // work back or c takes it cold: either way exactly one active, settled.
  std::string active = w.ActiveOf("s1");
  EXPECT_TRUE(active == "a" || active == "c") << w.Assignments();
  EXPECT_EQ(w.ActiveOf("s2"), active);
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, SwitchbackWaitsForProbationThenMovesBackGracefully) {
  CoreWorld w = TwoN();
  w.group().auto_adjust = {true, absl::Seconds(10), absl::Seconds(30)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  absl::Time repaired = w.now();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.last().requeue_at, repaired + absl::Seconds(10));
  w.Advance(absl::Seconds(9));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.CountOn("a"), 0);
  w.Advance(absl::Seconds(1));
  Decision prepare = w.Step();
  ASSERT_FALSE(prepare.changes.empty());
  EXPECT_EQ(prepare.changes[0].cause, ChangeCause::kSwitchback);
  EXPECT_EQ(prepare.changes[0].reason,
            "switchback: preparing a (rank 1) in service for 10s as standby");
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  EXPECT_EQ(w.StandbyOf("s1"), "b");
  EXPECT_EQ(w.CountOn("c"), 0);
  bool saw_switchback = false;
  for (const std::string& line : w.log()) {
    if (line.find("switchback: a (rank 1) in service for 10s") !=
        std::string::npos) {
      saw_switchback = true;
    }
  }
  EXPECT_TRUE(saw_switchback) << w.History();
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, SwitchbackIsRateLimited) {
  CoreWorld w = TwoN();
  w.group().auto_adjust = {true, absl::Seconds(10), absl::Seconds(60)};
  w.Settle();
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  w.Advance(absl::Seconds(10));
  w.Settle();
  ASSERT_EQ(w.ActiveOf("s1"), "a");
  absl::Time first = w.snapshot().last_adjustment;
  EXPECT_EQ(first, w.now());
  // a fails again and comes back: its probation passes, the interval not.
  w.Fail("a");
  w.Settle();
  w.Repair("a");
  w.Advance(absl::Seconds(15));
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "b");
  EXPECT_EQ(w.StandbyOf("s1"), "a");  // prepared, not yet switched
  EXPECT_EQ(w.last().requeue_at, first + absl::Seconds(60));
  w.Advance(first + absl::Seconds(60) - w.now());
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  ExpectClean(w);
}

TEST(TwoN, CapacityShortageServesHigherRankedSisFirst) {
  CoreWorld w = TwoN();
  w.group().max_active_per_unit = 2;
  w.AddInstance("s0", 0);  // unranked: served last
  w.AddInstance("s3", 3);
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s2"), "a");
  EXPECT_EQ(w.ActiveOf("s3"), "");
  EXPECT_EQ(w.ActiveOf("s0"), "");
  bool noted = false;
  for (const InstanceNote& n : w.last().notes) {
    if (n.instance == "s3") noted = true;
  }
  EXPECT_TRUE(noted);
  // Locking s1 frees a slot for the next SI in rank order.
  w.instance("s1").admin_state = AdminState::kLocked;
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s3"), "a");
  EXPECT_EQ(w.ActiveOf("s0"), "");
  // Unlocking s1 takes the slot back from the lowest-ranked SI.
  w.instance("s1").admin_state = AdminState::kUnlocked;
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  EXPECT_EQ(w.ActiveOf("s3"), "");
  w.CheckSettled();
  ExpectClean(w);
}

TEST(TwoN, RestartingUnitKeepsItsAssignments) {
  CoreWorld w = TwoN();
  w.Settle();
  w.unit("a").readiness = Readiness::kRestarting;
  EXPECT_THAT(w.Step().changes, IsEmpty());
  EXPECT_EQ(w.ActiveOf("s1"), "a");
  w.unit("a").readiness = Readiness::kInService;
  EXPECT_THAT(w.Step().changes, IsEmpty());
  ExpectClean(w);
}

TEST(TwoN, SiAddedLaterJoinsTheActiveUnit) {
  CoreWorld w = TwoN();
  w.Fail("a");
  w.Settle();
  w.AddInstance("s9", 9);
  w.Settle();
  EXPECT_EQ(w.ActiveOf("s9"), "b");
  EXPECT_EQ(w.StandbyOf("s9"), "c");
  ExpectClean(w);
}

}  // namespace
}  // namespace vigil::core::testing
