// bench_core: how long the pure decision core takes to decide for a large
// group. Prints the median CPU time (this thread) of DecideAssignments():
//   - full reconcile: every SI unassigned (an empty cache after a restart);
//   - at rest: the settled group, nothing to do;
//   - one failure: the unit holding 500 actives fails; the decision removes
//     them, promotes their 500 standbys and picks 500 new standbys.
// Scenarios, 10,000 SIs / 1,000 units each:
//   - N+M: 20 active units x 500 SIs, 20 standby units, 960 spares;
//   - N-Way-Active: 2 actives per SI on 40 active units x 500 (the failure
//     brings in a spare for the 500 lost actives).
// Targets: < 1 s full reconcile, < 50 ms one failure.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controllers/assignment_engine.h"

namespace vigil::core {
namespace {

double ThreadCpuMillis() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Median CPU milliseconds of `fn` over `runs` runs; `setup` runs untimed
// before each.
double MedianMillis(int runs, const std::function<void()>& setup,
                    const std::function<void()>& fn) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    setup();
    double start = ThreadCpuMillis();
    fn();
    samples.push_back(ThreadCpuMillis() - start);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

struct Scale {
  int units;
  int instances;
  int per_unit;  // actives per active unit
  int actives_per_instance = 1;
};

GroupSnapshot MakeGroup(RedundancyModel model, const Scale& scale) {
  GroupSnapshot snap;
  snap.now = absl::FromUnixSeconds(1'000'000);
  snap.group.name = "bench";
  snap.group.model = model;
  snap.group.max_active_per_unit = scale.per_unit;
  snap.group.max_standby_per_unit = scale.per_unit;
  int active_units =
      scale.instances * scale.actives_per_instance / scale.per_unit;
  snap.group.preferred_active_units = active_units;
  snap.group.preferred_standby_units = active_units;
  for (int u = 0; u < scale.units; ++u) {
    UnitSnapshot unit;
    unit.name = absl::StrCat("unit-", u);
    unit.node = absl::StrCat("node-", u / 4);
    unit.rank = u + 1;
    unit.readiness = Readiness::kInService;
    unit.in_service_since = snap.now - absl::Hours(1);
    snap.units.push_back(unit);
  }
  for (int s = 0; s < scale.instances; ++s) {
    InstanceSpec si;
    si.name = absl::StrCat("si-", s);
    si.rank = s + 1;
    si.preferred_active_assignments = scale.actives_per_instance;
    si.csis.push_back({"main", {}});
    snap.instances.push_back(si);
  }
  return snap;
}

// Applies decisions and confirms them until the group is settled.
void Settle(GroupSnapshot& snap) {
  for (int i = 0; i < 20; ++i) {
    Decision d = DecideAssignments(snap);
    if (d.changes.empty()) return;
    ApplyChanges(d.changes, snap.assignments);
    for (Assignment& a : snap.assignments) a.confirmed = true;
  }
}

std::string BusiestUnit(const GroupSnapshot& snap) {
  std::vector<int> count(snap.units.size(), 0);
  for (const Assignment& a : snap.assignments) {
    if (a.ha_state == HaState::kActive) {
      ++count[std::stoi(a.unit.substr(strlen("unit-")))];
    }
  }
  int busiest = std::max_element(count.begin(), count.end()) - count.begin();
  return snap.units[busiest].name;
}

int Count(const Decision& d, ChangeKind kind, HaState state) {
  return std::count_if(
      d.changes.begin(), d.changes.end(), [&](const Change& c) {
        return c.kind == kind &&
               (kind == ChangeKind::kRemove || c.ha_state == state);
      });
}

void RunScenario(const char* label, RedundancyModel model, const Scale& scale,
                 int runs) {
  GroupSnapshot empty = MakeGroup(model, scale);
  Decision first;
  double full = MedianMillis(
      runs, [] {}, [&] { first = DecideAssignments(empty); });
  GroupSnapshot settled = empty;
  Settle(settled);
  double rest = MedianMillis(
      runs, [] {}, [&] { (void)DecideAssignments(settled); });
  std::string victim = BusiestUnit(settled);
  GroupSnapshot failed = settled;
  for (UnitSnapshot& u : failed.units) {
    if (u.name == victim) u.readiness = Readiness::kFailed;
  }
  Decision failover;
  double fail = MedianMillis(
      runs, [] {}, [&] { failover = DecideAssignments(failed); });
  std::printf("%s: %d SIs, %d units, %zu assignments settled\n", label,
              scale.instances, scale.units, settled.assignments.size());
  std::printf("  full reconcile from empty : %8.2f ms CPU (%zu changes)\n",
              full, first.changes.size());
  std::printf("  reconcile at rest         : %8.2f ms CPU\n", rest);
  std::printf(
      "  one unit failure          : %8.2f ms CPU (%s: %d removed, %d "
      "promoted, %d new actives, %d new standbys)\n",
      fail, victim.c_str(),
      Count(failover, ChangeKind::kRemove, HaState::kActive),
      Count(failover, ChangeKind::kSetHaState, HaState::kActive),
      Count(failover, ChangeKind::kAssign, HaState::kActive),
      Count(failover, ChangeKind::kAssign, HaState::kStandby));
}

}  // namespace
}  // namespace vigil::core

int main(int argc, char** argv) {
  using vigil::core::RedundancyModel;
  bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  vigil::core::Scale scale = smoke ? vigil::core::Scale{100, 1000, 50}
                                   : vigil::core::Scale{1000, 10000, 500};
  int runs = smoke ? 3 : 9;
  std::printf(
      "decision core, median of %d runs (targets: full < 1000 ms, "
      "one failure < 50 ms)\n",
      runs);
  vigil::core::RunScenario("N+M", RedundancyModel::kNPlusM, scale, runs);
  vigil::core::Scale active_active = scale;
  active_active.actives_per_instance = 2;
  vigil::core::RunScenario("N-Way-Active", RedundancyModel::kNWayActive,
                           active_active, runs);
  return 0;
}
