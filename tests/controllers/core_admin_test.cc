// Admin states on unit, node, group and SI, for every redundancy model:
// work leaves a locked or shutting-down entity gracefully (Quiesced for a
// lock, Quiescing for a shutdown) and comes back on unlock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controllers/core_harness.h"

namespace vigil::core::testing {
namespace {

using ::testing::IsEmpty;

class AdminStates : public ::testing::TestWithParam<RedundancyModel> {
 protected:
  // a on hv1; b, c on hv2; d on hv3. SIs s1, s2.
  CoreWorld MakeWorld() {
    CoreWorld w(GetParam());
    w.AddUnit("a", 1, "hv1");
    w.AddUnit("b", 2, "hv2");
    w.AddUnit("c", 3, "hv2");
    w.AddUnit("d", 4, "hv3");
    for (const char* name : {"s1", "s2"}) {
      w.AddInstance(name, name[1] - '0').preferred_active_assignments = 2;
    }
    w.Settle();
    return w;
  }

  // The unit holding s1's first active assignment.
  static std::string Busy(const CoreWorld& w) {
    auto units = w.UnitsOf("s1", HaState::kActive);
    return units.empty() ? "" : units.front();
  }

  static void ExpectServed(CoreWorld& w) {
    EXPECT_FALSE(w.UnitsOf("s1", HaState::kActive).empty()) << w.Assignments();
    w.CheckSettled();
    EXPECT_THAT(w.failures(), IsEmpty()) << w.History();
  }

  // Every change of the first decision on `unit` quiesces with `state`.
  static void ExpectFirstStep(CoreWorld& w, const std::string& unit,
                              HaState state) {
    Decision d = w.Step();
    bool any = false;
    for (const Change& c : d.changes) {
      if (c.unit != unit || c.kind == ChangeKind::kRemove) continue;
      EXPECT_EQ(c.ha_state, state) << Describe(c);
      EXPECT_EQ(c.cause, ChangeCause::kAdmin) << Describe(c);
      any = true;
    }
    EXPECT_TRUE(any) << w.History();
  }
};

TEST_P(AdminStates, LockedUnitHandsItsWorkOverAndGetsItBackAsSpare) {
  CoreWorld w = MakeWorld();
  std::string busy = Busy(w);
  w.SetUnitAdmin(busy, AdminState::kLocked);
  ExpectFirstStep(w, busy, HaState::kQuiesced);
  w.Settle();
  EXPECT_EQ(w.CountOn(busy), 0);
  ExpectServed(w);
  w.SetUnitAdmin(busy, AdminState::kUnlocked);
  w.Settle();
  ExpectServed(w);
}

TEST_P(AdminStates, ShutdownDrainsWithQuiescingThenLocks) {
  CoreWorld w = MakeWorld();
  std::string busy = Busy(w);
  w.SetUnitAdmin(busy, AdminState::kShuttingDown);
  ExpectFirstStep(w, busy, HaState::kQuiescing);
  w.Settle();
  EXPECT_EQ(w.unit(busy).admin_state, AdminState::kLocked);
  EXPECT_EQ(w.CountOn(busy), 0);
  ExpectServed(w);
}

TEST_P(AdminStates, NodeLockAndShutdownMoveTheNodesUnits) {
  CoreWorld w = MakeWorld();
  std::string node = w.unit(Busy(w)).node;
  w.SetNodeAdmin(node, AdminState::kShuttingDown);
  ExpectFirstStep(w, Busy(w), HaState::kQuiescing);
  w.Settle();
  for (const auto& u : w.snapshot().units) {
    if (u.node == node) {
      EXPECT_EQ(w.CountOn(u.name), 0) << u.name;
      EXPECT_EQ(u.node_admin_state, AdminState::kLocked);
    }
  }
  ExpectServed(w);
  w.SetNodeAdmin(node, AdminState::kUnlocked);
  std::string next = w.unit(Busy(w)).node;
  w.SetNodeAdmin(next, AdminState::kLocked);
  w.Settle();
  for (const auto& u : w.snapshot().units) {
    if (u.node == next) {
      EXPECT_EQ(w.CountOn(u.name), 0) << u.name;
    }
  }
  ExpectServed(w);
}

TEST_P(AdminStates, GroupLockRemovesAllWorkAndUnlockRestoresIt) {
  CoreWorld w = MakeWorld();
  w.group().admin_state = AdminState::kLocked;
  w.Settle();
  EXPECT_THAT(w.snapshot().assignments, IsEmpty());
  w.group().admin_state = AdminState::kUnlocked;
  w.Settle();
  ExpectServed(w);
}

TEST_P(AdminStates, SiLockRemovesOnlyThatSi) {
  CoreWorld w = MakeWorld();
  std::vector<std::string> s2_actives = w.UnitsOf("s2", HaState::kActive);
  w.instance("s1").admin_state = AdminState::kLocked;
  w.Settle();
  EXPECT_THAT(w.UnitsOf("s1", HaState::kActive), IsEmpty());
  EXPECT_THAT(w.UnitsOf("s1", HaState::kStandby), IsEmpty());
  EXPECT_EQ(w.UnitsOf("s2", HaState::kActive), s2_actives);
  w.instance("s1").admin_state = AdminState::kUnlocked;
  w.Settle();
  ExpectServed(w);
}

TEST_P(AdminStates, LockedInstantiationTerminatesTheUnit) {
  CoreWorld w = MakeWorld();
  std::string busy = Busy(w);
  w.SetUnitAdmin(busy, AdminState::kLockedInstantiation);
  w.Settle();
  EXPECT_EQ(w.CountOn(busy), 0);
  EXPECT_EQ(w.unit(busy).readiness, Readiness::kOutOfService);
  ExpectServed(w);
  w.SetUnitAdmin(busy, AdminState::kUnlocked);
  w.Settle();
  EXPECT_EQ(w.unit(busy).readiness, Readiness::kInService);
  ExpectServed(w);
}

INSTANTIATE_TEST_SUITE_P(
    AllModels, AdminStates,
    ::testing::Values(RedundancyModel::kTwoN, RedundancyModel::kNPlusM,
                      RedundancyModel::kNWay, RedundancyModel::kNWayActive,
                      RedundancyModel::kNoRedundancy),
    [](const ::testing::TestParamInfo<RedundancyModel>& info) {
      std::string name = ToString(info.param);
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace vigil::core::testing
