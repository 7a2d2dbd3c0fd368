// CoreWorld: a tiny simulated cluster around the pure assignment engine, for
// the table-driven and property tests of the decision core.
//
// It keeps one GroupSnapshot, plays the reconciler (applies each Decision,
// records last_adjustment, tracks swap progress, turns a completed shutdown
// into Locked) and the agents (confirms assignments), derives sponsor status
// from the assignments of the group's own SIs, and checks the engine's
// invariants after every decision. Check failures are recorded as strings
// so property tests can report the seed and the history.
//
// Thread safety: not thread-safe; one world per test.
#ifndef VIGIL_TESTS_CONTROLLERS_CORE_HARNESS_H_
#define VIGIL_TESTS_CONTROLLERS_CORE_HARNESS_H_

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "controllers/assignment_engine.h"
#include "controllers/core_types.h"
#include "gtest/gtest.h"

namespace vigil::core::testing {

inline absl::Time Epoch() { return absl::FromUnixSeconds(1'000'000); }

class CoreWorld {
 public:
  explicit CoreWorld(RedundancyModel model, std::string group = "g") {
    snap_.group.name = std::move(group);
    snap_.group.model = model;
    snap_.now = Epoch();
  }

  // ---- Building the world ----
  GroupSpec& group() { return snap_.group; }
  UnitSnapshot& AddUnit(std::string name, int rank, std::string node = "") {
    UnitSnapshot u;
    u.node = node.empty() ? absl::StrCat("node-", name) : node;
    u.name = std::move(name);
    u.rank = rank;
    u.readiness = Readiness::kInService;
    u.in_service_since = snap_.now - absl::Hours(1);
    snap_.units.push_back(u);
    return snap_.units.back();
  }
  InstanceSpec& AddInstance(std::string name, int rank = 0) {
    InstanceSpec si;
    si.name = std::move(name);
    si.rank = rank;
    si.csis.push_back({"csi", {}});
    snap_.instances.push_back(si);
    return snap_.instances.back();
  }
  UnitSnapshot& unit(const std::string& name) {
    for (auto& u : snap_.units) {
      if (u.name == name) return u;
    }
    ADD_FAILURE() << "no unit " << name;
    return snap_.units.front();
  }
  InstanceSpec& instance(const std::string& name) {
    for (auto& s : snap_.instances) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no SI " << name;
    return snap_.instances.front();
  }
  GroupSnapshot& snapshot() { return snap_; }
  absl::Time now() const { return snap_.now; }

  // ---- Events ----
  void Advance(absl::Duration d) { snap_.now += d; }
  void Fail(const std::string& u) { unit(u).readiness = Readiness::kFailed; }
  void Repair(const std::string& u) {
    unit(u).readiness = Readiness::kInService;
    unit(u).in_service_since = snap_.now;
  }
  void SetUnitAdmin(const std::string& u, AdminState s) {
    unit(u).admin_state = s;
  }
  void SetNodeAdmin(const std::string& node, AdminState s) {
    for (auto& u : snap_.units) {
      if (u.node == node) u.node_admin_state = s;
    }
  }
  void RequestSwap(const std::string& si) { snap_.swaps.push_back({si, ""}); }
  // A sponsor outside this group; its status changes only through here.
  void SetExternalSponsor(const std::string& si, bool active) {
    SponsorStatus& status = sponsor_memory_[si];
    if (external_.insert(si).second || status.active != active) {
      status = {si, active, snap_.now};
    }
  }
  // Checks the settled invariants that count assignments (off for worlds
  // with dependencies, where waiting dependents hold capacity).
  void set_check_counts(bool on) { check_counts_ = on; }

  // ---- Driving the engine ----
  // One decision: checks invariants, applies it, plays the reconciler.
  Decision Step() {
    RefreshSponsors();
    GroupSnapshot before = snap_;
    Decision d = DecideAssignments(snap_);
    CheckDecision(before, d);
    ApplyChanges(d.changes, snap_.assignments);
    CheckAssignments(before, d);
    PlayReconciler(d);
    for (const Change& c : d.changes) log_.push_back(Describe(c));
    if (std::getenv("VIGIL_CORE_TRACE") != nullptr && !d.changes.empty()) {
      std::fprintf(stderr, "t=%s %s\n",
                   absl::FormatDuration(snap_.now - Epoch()).c_str(),
                   Assignments().c_str());
      for (const Change& c : d.changes) {
        std::fprintf(stderr, "    %s\n", Describe(c).c_str());
      }
    }
    last_ = d;
    return d;
  }
  void ConfirmAll() {
    for (auto& a : snap_.assignments) a.confirmed = true;
  }
  // Steps and confirms until a decision changes nothing. Returns the number
  // of decisions that changed something; records a failure past `limit`.
  int Settle(int limit = 60) {
    for (int i = 0; i < limit; ++i) {
      ConfirmAll();
      Decision d = Step();
      bool presence = !d.units_to_start.empty() || !d.units_to_stop.empty();
      if (d.changes.empty() && !presence) return i;
    }
    Violation(absl::StrCat("no fixpoint after ", limit, " decisions"));
    return limit;
  }
  // Settles, then follows requeue_at timers (up to `horizon` ahead).
  void SettleWithTimers(absl::Duration horizon) {
    absl::Time end = snap_.now + horizon;
    for (int i = 0; i < 20; ++i) {
      Settle();
      if (last_.requeue_at > end) break;
      snap_.now = std::max(snap_.now, last_.requeue_at);
    }
  }

  // ---- Queries ----
  std::vector<std::string> UnitsOf(const std::string& si, HaState state) const {
    std::vector<std::string> units;
    for (const auto& a : snap_.assignments) {
      if (a.instance == si && a.ha_state == state) units.push_back(a.unit);
    }
    std::sort(units.begin(), units.end());
    return units;
  }
  std::string ActiveOf(const std::string& si) const {
    auto units = UnitsOf(si, HaState::kActive);
    return units.size() == 1 ? units.front() : "";
  }
  std::string StandbyOf(const std::string& si) const {
    auto units = UnitsOf(si, HaState::kStandby);
    return units.size() == 1 ? units.front() : "";
  }
  int CountOn(const std::string& u) const {
    return std::count_if(snap_.assignments.begin(), snap_.assignments.end(),
                         [&](const Assignment& a) { return a.unit == u; });
  }
  const std::vector<std::string>& log() const { return log_; }
  const Decision& last() const { return last_; }
  const std::vector<std::string>& failures() const { return failures_; }
  std::string History() const {
    std::string out;
    for (const auto& line : log_) absl::StrAppend(&out, "  ", line, "\n");
    return out;
  }
  std::string Assignments() const {
    std::string out;
    for (const auto& a : snap_.assignments) {
      absl::StrAppend(&out, a.instance, "@", a.unit, "=", ToString(a.ha_state),
                      a.confirmed ? "" : "?", " ");
    }
    return out;
  }
  // The world's configuration and state, for failure reports.
  std::string Dump() const {
    const GroupSpec& g = snap_.group;
    std::string out = absl::StrCat(
        "group ", ToString(g.model), " ", ToString(g.admin_state),
        " N=", g.preferred_active_units, " M=", g.preferred_standby_units,
        " maxA=", g.max_active_per_unit, " maxS=", g.max_standby_per_unit,
        " adjust=", g.auto_adjust.enabled, "\n");
    for (const auto& u : snap_.units) {
      absl::StrAppend(&out, "  unit ", u.name, " rank ", u.rank, " ", u.node,
                      " ", ToString(u.readiness), " ", ToString(u.admin_state),
                      "/", ToString(u.node_admin_state), "\n");
    }
    for (const auto& si : snap_.instances) {
      absl::StrAppend(&out, "  si ", si.name, " rank ", si.rank, " ",
                      ToString(si.admin_state),
                      " act=", si.preferred_active_assignments,
                      " stb=", si.preferred_standby_assignments);
      for (const auto& r : si.ranked_units) {
        absl::StrAppend(&out, " ranked ", r.unit, ":", r.rank);
      }
      for (const auto& d : si.depends_on) {
        absl::StrAppend(&out, " dep ", d.instance);
      }
      absl::StrAppend(&out, "\n");
    }
    for (const auto& sp : snap_.sponsors) {
      absl::StrAppend(&out, "  sponsor ", sp.instance, " ", sp.active, "\n");
    }
    absl::StrAppend(&out, "  assignments: ", Assignments(), "\n");
    return out;
  }
  void Violation(std::string message) {
    if (failures_.size() < 20) failures_.push_back(std::move(message));
  }

  // ---- Invariants after a settled decision ----
  void CheckSettled();

 private:
  bool UnitUnlocked(const UnitSnapshot& u) const {
    return u.admin_state == AdminState::kUnlocked &&
           u.node_admin_state == AdminState::kUnlocked &&
           snap_.group.admin_state == AdminState::kUnlocked;
  }
  const UnitSnapshot* FindUnit(const std::string& name) const {
    for (const auto& u : snap_.units) {
      if (u.name == name) return &u;
    }
    return nullptr;
  }
  const InstanceSpec* FindInstance(const std::string& name) const {
    for (const auto& s : snap_.instances) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  bool SingleActive() const {
    return snap_.group.model != RedundancyModel::kNWayActive;
  }
  void RefreshSponsors();
  void PlayReconciler(const Decision& d);
  void CheckDecision(const GroupSnapshot& before, const Decision& d);
  void CheckChange(const GroupSnapshot& before, const Decision& d,
                   const Change& c);
  void CheckSwitchback(const GroupSnapshot& before, const Decision& d,
                       const Change& c);
  void CheckAssignments(const GroupSnapshot& before, const Decision& d);
  void CheckCapacity();
  void CheckSettledPlacement();
  void CheckSettledCounts();

  GroupSnapshot snap_;
  std::map<std::string, SponsorStatus> sponsor_memory_;
  std::set<std::string> external_;
  bool check_counts_ = true;
  std::vector<std::string> log_;
  std::vector<std::string> failures_;
  Decision last_;
};

}  // namespace vigil::core::testing

#endif  // VIGIL_TESTS_CONTROLLERS_CORE_HARNESS_H_
