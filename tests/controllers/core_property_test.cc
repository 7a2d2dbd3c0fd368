// Property tests: thousands of seeded random sequences of failures, repairs,
// restarts, admin operations and swaps, for every redundancy model. The
// harness (core_harness.h) checks the engine's invariants after every
// decision; after most events the world is driven to a fixpoint (agents
// confirming everything, timers followed) and the settled invariants are
// checked too. Events also land mid-protocol, between partial
// confirmations, so failures during switchovers are covered.
#include <gtest/gtest.h>

#include <random>

#include "tests/controllers/core_harness.h"

namespace vigil::core::testing {
namespace {

using Rng = std::mt19937;

int Uniform(Rng& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
bool Chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }
template <typename T>
const T& Pick(Rng& rng, const std::vector<T>& items) {
  return items[Uniform(rng, 0, static_cast<int>(items.size()) - 1)];
}

AdminState RandomAdmin(Rng& rng) {
  switch (Uniform(rng, 0, 5)) {
    case 0:
      return AdminState::kLocked;
    case 1:
      return AdminState::kShuttingDown;
    case 2:
      return AdminState::kLockedInstantiation;
    default:
      return AdminState::kUnlocked;
  }
}

void ConfigureGroup(CoreWorld& w, Rng& rng) {
  GroupSpec& g = w.group();
  g.max_active_per_unit = Pick(rng, std::vector<int>{0, 0, 1, 2, 3});
  g.max_standby_per_unit = Pick(rng, std::vector<int>{0, 0, 1, 2});
  g.preferred_active_units = Uniform(rng, 1, 3);
  g.preferred_standby_units = Uniform(rng, 0, 2);
  if (Chance(rng, 0.2)) g.preferred_in_service_units = Uniform(rng, 1, 4);
  if (Chance(rng, 0.6)) {
    g.auto_adjust = {true, absl::Seconds(Uniform(rng, 1, 20)),
                     absl::Seconds(Uniform(rng, 0, 60))};
  }
}

void PopulateWorld(CoreWorld& w, Rng& rng, bool dependencies) {
  ConfigureGroup(w, rng);
  int units = Uniform(rng, 2, 6);
  int nodes = Uniform(rng, 1, 3);
  std::vector<std::string> unit_names;
  for (int i = 0; i < units; ++i) {
    unit_names.push_back(absl::StrCat("u", i));
    w.AddUnit(unit_names.back(), Uniform(rng, 0, 4),
              absl::StrCat("n", Uniform(rng, 0, nodes - 1)));
  }
  int instances = Uniform(rng, 1, 6);
  for (int i = 0; i < instances; ++i) {
    InstanceSpec& si = w.AddInstance(absl::StrCat("s", i), Uniform(rng, 0, 4));
    si.preferred_active_assignments = Uniform(rng, 1, 3);
    si.preferred_standby_assignments = Uniform(rng, 0, 2);
    if (Chance(rng, 0.3)) {
      si.ranked_units.push_back({Pick(rng, unit_names), Uniform(rng, 1, 3)});
    }
    if (dependencies && i > 0 && Chance(rng, 0.5)) {
      si.depends_on.push_back({absl::StrCat("s", Uniform(rng, 0, i - 1)),
                               absl::Seconds(Uniform(rng, 0, 5))});
    }
    if (dependencies && Chance(rng, 0.2)) {
      si.depends_on.push_back({"external", absl::Seconds(Uniform(rng, 0, 5))});
    }
  }
  if (dependencies) w.SetExternalSponsor("external", true);
}

// One random event; returns a description for the failure report.
std::string RandomEvent(CoreWorld& w, Rng& rng) {
  auto& units = w.snapshot().units;
  auto& instances = w.snapshot().instances;
  UnitSnapshot& u = units[Uniform(rng, 0, static_cast<int>(units.size()) - 1)];
  InstanceSpec& si =
      instances[Uniform(rng, 0, static_cast<int>(instances.size()) - 1)];
  switch (Uniform(rng, 0, 13)) {
    case 0:
    case 1:
      w.Fail(u.name);
      return absl::StrCat("fail ", u.name);
    case 2:
    case 3:
      if (u.readiness != Readiness::kInService) w.Repair(u.name);
      return absl::StrCat("repair ", u.name);
    case 4:
      u.readiness = u.readiness == Readiness::kRestarting
                        ? Readiness::kInService
                        : Readiness::kRestarting;
      return absl::StrCat("restart toggle ", u.name);
    case 5:
    case 6:
      u.admin_state = RandomAdmin(rng);
      return absl::StrCat("unit ", u.name, " ", ToString(u.admin_state));
    case 7: {
      AdminState s = RandomAdmin(rng);
      w.SetNodeAdmin(u.node, s);
      return absl::StrCat("node ", u.node, " ", ToString(s));
    }
    case 8:
      if (Chance(rng, 0.3)) {
        w.group().admin_state =
            Chance(rng, 0.5) ? AdminState::kLocked : AdminState::kShuttingDown;
      } else {
        w.group().admin_state = AdminState::kUnlocked;
      }
      return absl::StrCat("group ", ToString(w.group().admin_state));
    case 9:
      si.admin_state = si.admin_state == AdminState::kUnlocked
                           ? AdminState::kLocked
                           : AdminState::kUnlocked;
      return absl::StrCat("SI ", si.name, " ", ToString(si.admin_state));
    case 10:
      w.RequestSwap(si.name);
      return absl::StrCat("swap ", si.name);
    case 11:
      w.SetExternalSponsor("external", Chance(rng, 0.5));
      return "external sponsor toggled";
    default:
      w.Advance(absl::Seconds(Uniform(rng, 0, 40)));
      return "advance time";
  }
}

// Steps a few times, confirming a random subset after each step.
void PartialSteps(CoreWorld& w, Rng& rng) {
  int steps = Uniform(rng, 0, 3);
  for (int i = 0; i < steps; ++i) {
    w.Step();
    for (auto& a : w.snapshot().assignments) {
      if (Chance(rng, 0.6)) a.confirmed = true;
    }
  }
}

// Runs one seeded sequence; returns "" or a report of the first violation.
std::string RunSequence(RedundancyModel model, uint32_t seed,
                        bool dependencies) {
  Rng rng(seed);
  CoreWorld w(model);
  PopulateWorld(w, rng, dependencies);
  w.set_check_counts(!dependencies);
  std::vector<std::string> events;
  for (int i = 0; i < 30; ++i) {
    events.push_back(RandomEvent(w, rng));
    PartialSteps(w, rng);
    if (Chance(rng, 0.6) || i == 29) {
      w.SettleWithTimers(absl::Minutes(3));
      w.CheckSettled();
    }
    if (!w.failures().empty()) {
      std::string report = absl::StrCat(ToString(model), " seed ", seed,
                                        dependencies ? " (deps)" : "", ": ",
                                        w.failures().front(), "\nevents:");
      for (const auto& e : events) absl::StrAppend(&report, " | ", e);
      absl::StrAppend(&report, "\n", w.Dump(), "last changes:\n");
      const auto& log = w.log();
      for (size_t k = log.size() > 40 ? log.size() - 40 : 0; k < log.size();
           ++k) {
        absl::StrAppend(&report, "  ", log[k], "\n");
      }
      return report;
    }
  }
  return "";
}

class EngineProperties : public ::testing::TestWithParam<RedundancyModel> {};

TEST_P(EngineProperties, InvariantsHoldOverRandomSequences) {
  int failures = 0;
  for (uint32_t seed = 1; seed <= 2000 && failures < 3; ++seed) {
    std::string report = RunSequence(GetParam(), seed, false);
    if (!report.empty()) {
      ADD_FAILURE() << report;
      ++failures;
    }
  }
}

TEST_P(EngineProperties, InvariantsHoldWithDependencies) {
  int failures = 0;
  for (uint32_t seed = 1001; seed <= 1600 && failures < 3; ++seed) {
    std::string report = RunSequence(GetParam(), seed, true);
    if (!report.empty()) {
      ADD_FAILURE() << report;
      ++failures;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllModels, EngineProperties,
    ::testing::Values(RedundancyModel::kTwoN, RedundancyModel::kNPlusM,
                      RedundancyModel::kNWay, RedundancyModel::kNWayActive,
                      RedundancyModel::kNoRedundancy),
    [](const ::testing::TestParamInfo<RedundancyModel>& info) {
      switch (info.param) {
        case RedundancyModel::kTwoN:
          return std::string("TwoN");
        case RedundancyModel::kNPlusM:
          return std::string("NPlusM");
        case RedundancyModel::kNWay:
          return std::string("NWay");
        case RedundancyModel::kNWayActive:
          return std::string("NWayActive");
        case RedundancyModel::kNoRedundancy:
          return std::string("NoRedundancy");
      }
      return std::string("Unknown");
    });

}  // namespace
}  // namespace vigil::core::testing
