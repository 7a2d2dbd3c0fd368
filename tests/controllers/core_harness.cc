#include "tests/controllers/core_harness.h"

#include <climits>

namespace vigil::core::testing {

namespace {

bool IsQuiesce(HaState s) {
  return s == HaState::kQuiescing || s == HaState::kQuiesced;
}

bool Serving(Readiness r) {
  return r == Readiness::kInService || r == Readiness::kRestarting;
}

}  // namespace

void CoreWorld::RefreshSponsors() {
  std::set<std::string> wanted;
  for (const auto& si : snap_.instances) {
    for (const auto& ref : si.depends_on) wanted.insert(ref.instance);
  }
  for (const std::string& name : wanted) {
    if (external_.count(name)) continue;
    bool active =
        std::any_of(snap_.assignments.begin(), snap_.assignments.end(),
                    [&](const Assignment& a) {
                      return a.instance == name &&
                             a.ha_state == HaState::kActive && a.confirmed;
                    });
    auto it = sponsor_memory_.find(name);
    if (it == sponsor_memory_.end()) {
      sponsor_memory_[name] = {name, active, snap_.now};
    } else if (it->second.active != active) {
      it->second = {name, active, snap_.now};
    }
  }
  snap_.sponsors.clear();
  for (const auto& [name, status] : sponsor_memory_) {
    snap_.sponsors.push_back(status);
  }
}

void CoreWorld::PlayReconciler(const Decision& d) {
  if (d.adjustment_started) snap_.last_adjustment = snap_.now;
  for (const SwapProgress& p : d.swaps) {
    auto it = std::find_if(
        snap_.swaps.begin(), snap_.swaps.end(),
        [&](const SwapRequest& r) { return r.instance == p.instance; });
    if (it == snap_.swaps.end()) continue;
    if (p.phase == SwapPhase::kInProgress) it->from_unit = p.from_unit;
    if (p.phase == SwapPhase::kDone || p.phase == SwapPhase::kRejected) {
      log_.push_back(absl::StrCat("swap ", p.instance, " ", ToString(p.phase),
                                  ": ", p.message));
      snap_.swaps.erase(it);
    }
  }
  // Agents start and stop units as asked (instantly, in this world).
  for (const std::string& name : d.units_to_stop) {
    unit(name).readiness = Readiness::kOutOfService;
  }
  for (const std::string& name : d.units_to_start) {
    unit(name).readiness = Readiness::kInService;
    unit(name).in_service_since = snap_.now;
  }
  for (const std::string& name : d.shutdown_complete_units) {
    unit(name).admin_state = AdminState::kLocked;
  }
  if (d.group_shutdown_complete) {
    snap_.group.admin_state = AdminState::kLocked;
  }
  // Node shutdown completes when none of the node's units holds anything.
  for (auto& u : snap_.units) {
    if (u.node_admin_state != AdminState::kShuttingDown) continue;
    bool busy = false;
    for (const auto& v : snap_.units) {
      if (v.node == u.node && CountOn(v.name) > 0) busy = true;
    }
    if (!busy) SetNodeAdmin(u.node, AdminState::kLocked);
  }
}

void CoreWorld::CheckDecision(const GroupSnapshot& before, const Decision& d) {
  for (const Change& c : d.changes) CheckChange(before, d, c);
}

void CoreWorld::CheckChange(const GroupSnapshot& before, const Decision& d,
                            const Change& c) {
  const UnitSnapshot* u = nullptr;
  for (const auto& unit : before.units) {
    if (unit.name == c.unit) u = &unit;
  }
  const InstanceSpec* si = FindInstance(c.instance);
  if (c.cause == ChangeCause::kSwitchback) CheckSwitchback(before, d, c);
  if (c.kind == ChangeKind::kRemove || IsQuiesce(c.ha_state)) return;
  std::string what = Describe(c);
  if (u == nullptr || si == nullptr) {
    Violation(absl::StrCat("change names unknown unit or SI: ", what));
    return;
  }
  bool to_standby_from_quiesce =
      c.kind == ChangeKind::kSetHaState && c.ha_state == HaState::kStandby;
  bool healthy = to_standby_from_quiesce
                     ? Serving(u->readiness)
                     : u->readiness == Readiness::kInService;
  if (!healthy || !UnitUnlocked(*u) ||
      si->admin_state != AdminState::kUnlocked) {
    Violation(
        absl::StrCat("work placed on an unusable unit or locked SI: ", what));
  }
  if (c.ha_state != HaState::kActive) return;
  for (const SponsorRef& ref : si->depends_on) {
    bool active = false;
    for (const auto& s : before.sponsors) {
      if (s.instance == ref.instance) active = s.active;
    }
    if (!active) Violation(absl::StrCat("activated without sponsor: ", what));
  }
}

namespace {

// The unit a switchback change names as its target ("switchback: a (rank
// 1) in service for 10s", "switchback: preparing a (rank 1) ..."), or "".
std::string SwitchbackTarget(const std::string& reason) {
  for (std::string_view prefix :
       {"switchback: preparing ", "switchback: standby to ", "switchback: "}) {
    if (reason.rfind(prefix, 0) != 0) continue;
    std::string rest = reason.substr(prefix.size());
    size_t end = rest.find(" (rank");
    return end == std::string::npos ? "" : rest.substr(0, end);
  }
  return "";
}

}  // namespace

void CoreWorld::CheckSwitchback(const GroupSnapshot& before, const Decision& d,
                                const Change& c) {
  const AutoAdjustPolicy& adjust = before.group.auto_adjust;
  std::string what = Describe(c);
  if (!adjust.enabled)
    Violation(absl::StrCat("switchback while disabled: ", what));
  bool starts_move = c.kind == ChangeKind::kSetHaState && IsQuiesce(c.ha_state);
  std::string target = SwitchbackTarget(c.reason);
  for (const auto& u : before.units) {
    bool receives =
        u.name == target || (u.name == c.unit && c.kind == ChangeKind::kAssign);
    // With every unit in service, the engine waits for all probations.
    bool everyone = starts_move && before.group.preferred_in_service_units == 0;
    if ((receives || everyone) && u.readiness == Readiness::kInService &&
        UnitUnlocked(u) && before.now - u.in_service_since < adjust.probation) {
      Violation(
          absl::StrCat("switchback before probation of ", u.name, ": ", what));
    }
  }
  if (starts_move) {
    if (!d.adjustment_started) {
      Violation(absl::StrCat("switchback not reported as started: ", what));
    }
    if (before.now - before.last_adjustment < adjust.min_interval) {
      Violation(absl::StrCat("switchback inside minInterval: ", what));
    }
  }
}

void CoreWorld::CheckAssignments(const GroupSnapshot& before,
                                 const Decision& d) {
  (void)before;
  (void)d;
  std::set<std::pair<std::string, std::string>> seen;
  std::map<std::string, int> actives;
  std::map<std::string, bool> unconfirmed_quiescing;
  for (const auto& a : snap_.assignments) {
    if (!seen.insert({a.instance, a.unit}).second) {
      Violation(absl::StrCat("duplicate assignment ", a.instance, "@", a.unit));
    }
    const UnitSnapshot* u = FindUnit(a.unit);
    if (u == nullptr || !Serving(u->readiness)) {
      Violation(absl::StrCat("assignment kept on a lost unit: ", a.instance,
                             "@", a.unit));
    }
    if (a.ha_state == HaState::kActive) ++actives[a.instance];
    if (a.ha_state == HaState::kQuiescing && !a.confirmed) {
      unconfirmed_quiescing[a.instance] = true;
    }
  }
  if (SingleActive()) {
    for (const auto& [si, count] : actives) {
      if (count > 1 || unconfirmed_quiescing[si]) {
        Violation(absl::StrCat("two actives for ", si, ": ", Assignments()));
      }
    }
  }
  CheckCapacity();
}

void CoreWorld::CheckCapacity() {
  std::map<std::string, int> act, stb, all;
  for (const auto& a : snap_.assignments) {
    ++all[a.unit];
    ++(a.ha_state == HaState::kStandby ? stb : act)[a.unit];
  }
  const GroupSpec& g = snap_.group;
  for (const auto& [unit, count] : act) {
    if (g.max_active_per_unit > 0 && count > g.max_active_per_unit) {
      Violation(absl::StrCat("active capacity exceeded on ", unit, ": ",
                             Assignments()));
    }
  }
  for (const auto& [unit, count] : stb) {
    if (g.max_standby_per_unit > 0 && count > g.max_standby_per_unit) {
      Violation(absl::StrCat("standby capacity exceeded on ", unit, ": ",
                             Assignments()));
    }
  }
  if (g.model == RedundancyModel::kNoRedundancy) {
    for (const auto& [unit, count] : all) {
      if (count > 1) Violation(absl::StrCat("two SIs on ", unit));
    }
  }
}

void CoreWorld::CheckSettled() {
  CheckSettledPlacement();
  // A restarting unit keeps its work but takes none: the counts below do
  // not apply while one is.
  bool restarting = std::any_of(snap_.units.begin(), snap_.units.end(),
                                [](const UnitSnapshot& u) {
                                  return u.readiness == Readiness::kRestarting;
                                });
  if (check_counts_ && !restarting) CheckSettledCounts();
}

void CoreWorld::CheckSettledPlacement() {
  for (const auto& a : snap_.assignments) {
    const UnitSnapshot* u = FindUnit(a.unit);
    const InstanceSpec* si = FindInstance(a.instance);
    if (IsQuiesce(a.ha_state)) {
      Violation(absl::StrCat("settled with ", a.instance, "@", a.unit, " ",
                             ToString(a.ha_state)));
    }
    if (u != nullptr && !UnitUnlocked(*u)) {
      Violation(absl::StrCat("settled with work on locked unit: ", a.instance,
                             "@", a.unit));
    }
    if (si != nullptr && si->admin_state != AdminState::kUnlocked) {
      Violation(absl::StrCat("settled with work of locked SI ", a.instance));
    }
  }
}

namespace {

int Cap(int max) { return max > 0 ? max : INT_MAX / 4; }

long Slots(long units, int cap) { return units * static_cast<long>(cap); }

}  // namespace

// What a settled group must hold, per model, given the usable units and the
// assignable SIs (see assignment_engine.h).
void CoreWorld::CheckSettledCounts() {
  const GroupSpec& g = snap_.group;
  long usable = 0;
  for (const auto& u : snap_.units) {
    if (u.readiness == Readiness::kInService && UnitUnlocked(u)) ++usable;
  }
  std::vector<const InstanceSpec*> assignable;
  for (const auto& si : snap_.instances) {
    if (si.admin_state == AdminState::kUnlocked) assignable.push_back(&si);
  }
  std::stable_sort(assignable.begin(), assignable.end(),
                   [](const InstanceSpec* a, const InstanceSpec* b) {
                     unsigned ra = a->rank <= 0 ? UINT_MAX : a->rank;
                     unsigned rb = b->rank <= 0 ? UINT_MAX : b->rank;
                     return ra != rb ? ra < rb : a->name < b->name;
                   });
  if (g.admin_state != AdminState::kUnlocked) usable = 0;
  long n = assignable.size();
  int cap_a = g.model == RedundancyModel::kNoRedundancy
                  ? 1
                  : Cap(g.max_active_per_unit);
  int cap_s = Cap(g.max_standby_per_unit);
  long active_units = usable, standby_units = 0;
  long standby_per_si = 0;
  switch (g.model) {
    case RedundancyModel::kTwoN:
      active_units = std::min(1L, usable);
      standby_units = std::min(1L, usable - active_units);
      standby_per_si = 1;
      break;
    case RedundancyModel::kNPlusM:
      active_units =
          std::min<long>(std::max(1, g.preferred_active_units), usable);
      standby_units =
          std::min<long>(g.preferred_standby_units, usable - active_units);
      standby_per_si = g.preferred_standby_units > 0 ? 1 : 0;
      break;
    default:
      break;
  }
  if (g.model == RedundancyModel::kNWayActive) {
    long role = std::max(1, g.preferred_active_units);
    for (const auto* si : assignable) {
      role = std::max<long>(role, si->preferred_active_assignments);
    }
    role = std::min(role, usable);
    for (const auto* si : assignable) {
      long want = std::min<long>(si->preferred_active_assignments, role);
      long have = UnitsOf(si->name, HaState::kActive).size();
      if (g.max_active_per_unit == 0 ? have != want : have > want) {
        Violation(
            absl::StrCat(si->name, " has ", have, " actives, expected ", want));
      }
    }
    return;
  }
  long expected = std::min(n, Slots(active_units, cap_a));
  for (long i = 0; i < n; ++i) {
    bool has = !ActiveOf(assignable[i]->name).empty();
    if (has != (i < expected)) {
      Violation(absl::StrCat("settled: ", assignable[i]->name,
                             has ? " assigned" : " unassigned", " (", expected,
                             " of ", n, " SIs fit, served by rank) ",
                             Assignments()));
    }
  }
  long standbys = 0;
  for (const auto* si : assignable) {
    standbys += UnitsOf(si->name, HaState::kStandby).size();
  }
  long want_standbys = 0;
  if (g.model == RedundancyModel::kNWay) {
    if (g.max_standby_per_unit > 0) return;
    for (long i = 0; i < expected; ++i) {
      want_standbys += std::min<long>(
          assignable[i]->preferred_standby_assignments, usable - 1);
    }
  } else {
    want_standbys =
        std::min(expected * standby_per_si, Slots(standby_units, cap_s));
  }
  if (standbys != want_standbys) {
    Violation(absl::StrCat("settled with ", standbys, " standbys, expected ",
                           want_standbys, ": ", Assignments()));
  }
}

}  // namespace vigil::core::testing
