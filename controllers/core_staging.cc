#include "controllers/core_staging.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controllers/core_dependencies.h"

namespace vigil::core::internal {

namespace {

bool Contains(const std::vector<int>& units, int u) {
  return std::find(units.begin(), units.end(), u) != units.end();
}

using Why = std::pair<ChangeCause, std::string>;

// One staging pass (see core_staging.h): keeps its own copy of every SI's
// assignments and of the per-unit load, updated as changes are emitted, so
// later steps in the same decision see earlier ones. Lives for one call;
// not thread-safe.
class Stager {
 public:
  Stager(const GroupContext& ctx, const Plan& plan, Decision& decision);
  void Run();

 private:
  // Bookkeeping.
  // `successor`: for a kQuiesced kSetHaState, the unit planned to take over
  // (-1: none).
  void Emit(ChangeKind kind, int s, int u, HaState state, const Why& why,
            int successor = -1);
  std::vector<int>& Load(HaState state) {
    return state == HaState::kStandby ? standby_load_ : active_load_;
  }
  bool ActiveRoom(int u) const {
    return active_load_[u] < ctx_.ActiveCapacity();
  }
  bool StandbyRoom(int u) const {
    return standby_load_[u] < ctx_.StandbyCapacity();
  }
  const Holding* Find(int s, int u) const;
  std::vector<int> UnitsIn(int s, bool (*match)(HaState)) const;
  void Note(int s, std::string message);

  // Steps.
  void RemoveLostWork();
  void StageInstance(int s);
  void StageSingleActive(int s, const Target& t, const SponsorVerdict& deps);
  void StageMultiActive(int s, const Target& t, const SponsorVerdict& deps);
  void ContinueSwitchover(int s, const Target& t,
                          const std::vector<int>& actives,
                          const SponsorVerdict& deps);
  void PromoteAfterQuiesce(int s, int to);
  void MoveActives(int s, const Target& t, const std::vector<int>& actives,
                   const SponsorVerdict& deps);
  void Activate(int s, int to, const SponsorVerdict& deps);
  void StageStandbys(int s, const Target& t);
  void ReportShutdowns();

  // Reasons.
  Why MoveWhy(int s, int u, const Target& t) const;
  HaState QuiesceStateFor(int s, int u) const;

  const GroupContext& ctx_;
  const Plan& plan_;
  Decision& decision_;
  DependencyGate gate_;
  std::vector<std::vector<Holding>> live_;  // per SI, updated as we emit
  std::vector<int> active_load_;            // per unit: active + quiesce*
  std::vector<int> standby_load_;
  std::vector<std::string> lost_;  // per SI: why its active went
};

bool IsActive(HaState state) { return state == HaState::kActive; }
bool IsStandby(HaState state) { return state == HaState::kStandby; }
bool IsQuiesce(HaState state) { return IsQuiesceState(state); }

Stager::Stager(const GroupContext& ctx, const Plan& plan, Decision& decision)
    : ctx_(ctx),
      plan_(plan),
      decision_(decision),
      gate_(ctx),
      live_(ctx.instance_count()),
      active_load_(ctx.unit_count(), 0),
      standby_load_(ctx.unit_count(), 0),
      lost_(ctx.instance_count()) {
  for (int s = 0; s < ctx.instance_count(); ++s) {
    live_[s] = ctx.instance(s).holdings;
    for (const Holding& h : live_[s]) ++Load(h.state)[h.unit];
  }
}

void Stager::Run() {
  RemoveLostWork();
  for (int s : ctx_.instance_order()) StageInstance(s);
  ReportShutdowns();
}

void Stager::Emit(ChangeKind kind, int s, int u, HaState state,
                  const Why& why, int successor) {
  decision_.changes.push_back(
      {kind, ctx_.instance_name(s), ctx_.unit_name(u), state, why.first,
       why.second, successor >= 0 ? ctx_.unit_name(successor) : ""});
  auto& holdings = live_[s];
  auto it = std::find_if(holdings.begin(), holdings.end(),
                         [u](const Holding& h) { return h.unit == u; });
  if (kind == ChangeKind::kAssign) {
    holdings.push_back({u, state, false});
    ++Load(state)[u];
    return;
  }
  if (it == holdings.end()) return;
  --Load(it->state)[u];
  if (kind == ChangeKind::kRemove) {
    holdings.erase(it);
    return;
  }
  it->state = state;
  it->confirmed = false;
  ++Load(state)[u];
}

const Holding* Stager::Find(int s, int u) const {
  for (const Holding& h : live_[s]) {
    if (h.unit == u) return &h;
  }
  return nullptr;
}

std::vector<int> Stager::UnitsIn(int s, bool (*match)(HaState)) const {
  std::vector<int> units;
  for (const Holding& h : live_[s]) {
    if (match(h.state)) units.push_back(h.unit);
  }
  return units;
}

void Stager::Note(int s, std::string message) {
  decision_.notes.push_back({ctx_.instance_name(s), std::move(message)});
}

void Stager::RemoveLostWork() {
  for (int index : ctx_.orphan_assignments()) {
    const Assignment& a = ctx_.snapshot().assignments[index];
    decision_.changes.push_back({ChangeKind::kRemove, a.instance, a.unit,
                                 a.ha_state, ChangeCause::kAdmin,
                                 absl::StrCat("SI ", a.instance, " or unit ",
                                              a.unit, " no longer exists")});
  }
  for (int s = 0; s < ctx_.instance_count(); ++s) {
    std::vector<Holding> holdings = live_[s];
    for (const Holding& h : holdings) {
      const UnitInfo& unit = ctx_.unit(h.unit);
      if (unit.condition != UnitCondition::kGone) continue;
      if (!IsStandby(h.state)) lost_[s] = unit.why;
      Emit(ChangeKind::kRemove, s, h.unit, h.state,
           {ChangeCause::kFailover, absl::StrCat("failover: ", unit.why)});
    }
  }
}

void Stager::StageInstance(int s) {
  if (live_[s].empty() && !ctx_.instance(s).assignable) return;
  for (const Holding& h : live_[s]) {
    if (!h.confirmed) return;  // one step at a time
  }
  const Target& t = plan_.targets[s];
  SponsorVerdict deps = gate_.Evaluate(s);
  decision_.requeue_at = std::min(decision_.requeue_at, deps.requeue_at);
  if (deps.drop_active) {
    for (int u : UnitsIn(s, IsActive)) {
      Emit(ChangeKind::kRemove, s, u, HaState::kActive,
           {ChangeCause::kDependency, deps.reason});
    }
  }
  if (ctx_.model() == RedundancyModel::kNWayActive) {
    StageMultiActive(s, t, deps);
  } else {
    StageSingleActive(s, t, deps);
  }
  if (ctx_.instance(s).assignable && t.actives.empty()) {
    Note(s, "not assigned: no in-service unit with free capacity");
  } else if (!deps.activation_ok) {
    Note(s, deps.reason);
  }
}

void Stager::StageSingleActive(int s, const Target& t,
                               const SponsorVerdict& deps) {
  std::vector<int> actives = deps.drop_active ? std::vector<int>{} : t.actives;
  if (!UnitsIn(s, IsQuiesce).empty()) {
    ContinueSwitchover(s, t, actives, deps);
    return;
  }
  for (int u : UnitsIn(s, IsActive)) {
    if (!Contains(actives, u)) {
      MoveActives(s, t, actives, deps);
      return;
    }
  }
  if (UnitsIn(s, IsActive).empty() && !actives.empty()) {
    Activate(s, actives.front(), deps);
  }
  StageStandbys(s, t);
}

void Stager::ContinueSwitchover(int s, const Target& t,
                                const std::vector<int>& actives,
                                const SponsorVerdict& deps) {
  std::vector<int> quiesced = UnitsIn(s, IsQuiesce);
  if (!UnitsIn(s, IsActive).empty()) {
    // The new active is confirmed: the old one steps down to standby or out.
    for (int u : quiesced) {
      if (Contains(t.standbys, u) && ctx_.keeps_work(u) && StandbyRoom(u)) {
        Emit(ChangeKind::kSetHaState, s, u, HaState::kStandby,
             {ChangeCause::kSwitchover,
              absl::StrCat("switchover done: ", ctx_.unit_name(u),
                           " becomes standby")});
      } else {
        Emit(ChangeKind::kRemove, s, u, HaState::kQuiesced,
             {ChangeCause::kSwitchover,
              absl::StrCat("switchover done: ", ctx_.unit_name(u),
                           " released")});
      }
    }
    return;
  }
  if (actives.empty() || !deps.activation_ok) {
    // Nowhere to go, or not allowed to go active until the sponsors are:
    // the quiesced assignments serve nobody, so release their capacity.
    Why why = deps.activation_ok ? MoveWhy(s, quiesced.front(), t)
                                 : Why{ChangeCause::kDependency, deps.reason};
    for (int u : quiesced) {
      Emit(ChangeKind::kRemove, s, u, HaState::kQuiesced, why);
    }
    StageStandbys(s, t);
    return;
  }
  PromoteAfterQuiesce(s, actives.front());
}

void Stager::PromoteAfterQuiesce(int s, int to) {
  const Holding* there = Find(s, to);
  std::string from = ctx_.unit_name(UnitsIn(s, IsQuiesce).front());
  if (there != nullptr) {
    // A standby takes over (graceful), or the quiesced unit takes its
    // work back (switchover abandoned: nobody else can take it).
    if (IsStandby(there->state) && !ActiveRoom(to)) {
      // No room yet: release the quiesced assignments rather than hold
      // capacity another switchover may be waiting for.
      for (int u : UnitsIn(s, IsQuiesce)) {
        Emit(ChangeKind::kRemove, s, u, HaState::kQuiesced,
             {ChangeCause::kSwitchover,
              absl::StrCat("switchover: ", ctx_.unit_name(u), " released; ",
                           ctx_.unit_name(to), " has no active capacity yet")});
      }
      return;
    }
    Emit(ChangeKind::kSetHaState, s, to, HaState::kActive,
         {ChangeCause::kSwitchover,
          IsStandby(there->state)
              ? absl::StrCat("switchover: ", ctx_.unit_name(to),
                             " takes over from ", from)
              : absl::StrCat("switchover abandoned: ", ctx_.unit_name(to),
                             " resumes active")});
    return;
  }
  // Nothing warm on the new unit: the quiesced assignments serve nobody,
  // so release them and start the SI there cold.
  for (int u : UnitsIn(s, IsQuiesce)) {
    Emit(ChangeKind::kRemove, s, u, HaState::kQuiesced,
         {ChangeCause::kSwitchover,
          absl::StrCat("switchover: ", ctx_.unit_name(u), " released")});
  }
  if (ctx_.usable(to) && ActiveRoom(to)) {
    Emit(ChangeKind::kAssign, s, to, HaState::kActive,
         {ChangeCause::kSwitchover,
          absl::StrCat("switchover: ", ctx_.unit_name(to), " takes over from ",
                       from, " (no standby)")});
  }
}

void Stager::MoveActives(int s, const Target& t,
                         const std::vector<int>& actives,
                         const SponsorVerdict& deps) {
  int to = -1;
  for (int u : actives) {
    if (Find(s, u) == nullptr) {
      to = u;
      break;
    }
  }
  for (int u : UnitsIn(s, IsActive)) {
    if (Contains(actives, u)) continue;
    Why why = MoveWhy(s, u, t);
    if (to >= 0 && ctx_.StandbysWanted(s) > 0 && ctx_.usable(to) &&
        StandbyRoom(to) && deps.activation_ok) {
      // Warm the unit taking over first, so the switchover stays graceful.
      why.second +=
          absl::StrCat("; ", ctx_.unit_name(to), " becomes standby first");
      Emit(ChangeKind::kAssign, s, to, HaState::kStandby, why);
      to = -1;
      continue;
    }
    const HaState quiesce = QuiesceStateFor(s, u);
    const bool handover = quiesce == HaState::kQuiesced && !actives.empty();
    Emit(ChangeKind::kSetHaState, s, u, quiesce, why,
         handover ? actives.front() : -1);
  }
}

void Stager::Activate(int s, int to, const SponsorVerdict& deps) {
  if (!deps.activation_ok) return;
  const Holding* there = Find(s, to);
  std::string after = lost_[s].empty() ? "" : absl::StrCat(" (", lost_[s], ")");
  if (there != nullptr && IsStandby(there->state)) {
    if (!ActiveRoom(to)) return;
    Emit(ChangeKind::kSetHaState, s, to, HaState::kActive,
         {ChangeCause::kFailover,
          absl::StrCat("failover: standby ", ctx_.unit_name(to), " promoted",
                       after)});
    return;
  }
  if (there != nullptr || !ctx_.usable(to) || !ActiveRoom(to)) return;
  Why why = lost_[s].empty() ? Why{ChangeCause::kInitial, "initial assignment"}
                             : Why{ChangeCause::kFailover,
                                   absl::StrCat("failover: no standby", after)};
  Emit(ChangeKind::kAssign, s, to, HaState::kActive, why);
}

void Stager::StageStandbys(int s, const Target& t) {
  Why add_why =
      !t.reason.empty() ? Why{t.cause, t.reason}
      : lost_[s].empty()
          ? Why{ChangeCause::kInitial, "standby assignment"}
          : Why{ChangeCause::kFailover,
                absl::StrCat("failover: new standby (", lost_[s], ")")};
  std::vector<int> standbys = UnitsIn(s, IsStandby);
  for (int u : t.standbys) {
    if (Find(s, u) == nullptr && ctx_.usable(u) && StandbyRoom(u)) {
      Emit(ChangeKind::kAssign, s, u, HaState::kStandby, add_why);
    }
  }
  size_t ready = std::count_if(standbys.begin(), standbys.end(),
                               [&](int u) { return Contains(t.standbys, u); });
  for (int u : standbys) {
    // A standby the plan promotes stays until it is promoted.
    if (Contains(t.standbys, u) || Contains(t.actives, u)) continue;
    bool draining = ctx_.unit(u).condition == UnitCondition::kDraining;
    if (draining || ready >= t.standbys.size() ||
        !ctx_.instance(s).assignable) {
      Emit(ChangeKind::kRemove, s, u, HaState::kStandby, MoveWhy(s, u, t));
    }
  }
}

void Stager::StageMultiActive(int s, const Target& t,
                              const SponsorVerdict& deps) {
  std::vector<int> actives = deps.drop_active ? std::vector<int>{} : t.actives;
  for (int u : UnitsIn(s, IsQuiesce)) {
    if (Contains(actives, u) && deps.activation_ok) {
      Emit(ChangeKind::kSetHaState, s, u, HaState::kActive,
           {ChangeCause::kSwitchover, "switchover abandoned: resumes active"});
    } else {
      Emit(ChangeKind::kRemove, s, u, HaState::kQuiesced, MoveWhy(s, u, t));
    }
  }
  std::vector<int> current = UnitsIn(s, IsActive);
  size_t kept = std::count_if(current.begin(), current.end(),
                              [&](int u) { return Contains(actives, u); });
  int added = 0;
  for (int u : actives) {
    if (!deps.activation_ok || Find(s, u) != nullptr) continue;
    if (!ctx_.usable(u) || !ActiveRoom(u)) continue;
    Why why =
        !t.reason.empty() ? Why{t.cause, t.reason}
        : lost_[s].empty()
            ? Why{ChangeCause::kInitial, "initial assignment"}
            : Why{ChangeCause::kFailover, absl::StrCat("failover: ", lost_[s])};
    Emit(ChangeKind::kAssign, s, u, HaState::kActive, why);
    ++added;
  }
  // Make before break: extra actives go once their replacements are up,
  // at once when their unit is draining or no replacement can be made.
  for (int u : current) {
    if (Contains(actives, u)) continue;
    bool must_go = ctx_.unit(u).condition == UnitCondition::kDraining ||
                   actives.empty() || !ctx_.instance(s).assignable;
    if (must_go || kept >= actives.size() || added == 0) {
      Emit(ChangeKind::kSetHaState, s, u, QuiesceStateFor(s, u),
           MoveWhy(s, u, t));
    }
  }
}

Why Stager::MoveWhy(int s, int u, const Target& t) const {
  const InstanceSpec& spec = ctx_.instance_spec(s);
  if (!ctx_.instance(s).assignable) {
    return {ChangeCause::kAdmin,
            absl::StrCat(spec.admin_state == AdminState::kShuttingDown
                             ? "admin shutdown"
                             : "admin lock",
                         " of SI ", spec.name)};
  }
  if (ctx_.unit(u).condition == UnitCondition::kDraining) {
    return {ChangeCause::kAdmin, ctx_.unit(u).why};
  }
  if (!t.reason.empty()) return {t.cause, t.reason};
  return {ChangeCause::kCapacity,
          absl::StrCat(ctx_.unit_name(u), " no longer selected for ", spec.name,
                       " (unit roles or capacity)")};
}

HaState Stager::QuiesceStateFor(int s, int u) const {
  bool shutdown =
      ctx_.unit(u).drain_by_shutdown ||
      ctx_.instance_spec(s).admin_state == AdminState::kShuttingDown;
  return shutdown ? HaState::kQuiescing : HaState::kQuiesced;
}

void Stager::ReportShutdowns() {
  std::vector<bool> busy(ctx_.unit_count(), false);
  bool any = false;
  for (const auto& holdings : live_) {
    for (const Holding& h : holdings) busy[h.unit] = any = true;
  }
  for (int u = 0; u < ctx_.unit_count(); ++u) {
    if (ctx_.unit_spec(u).admin_state == AdminState::kShuttingDown &&
        !busy[u]) {
      decision_.shutdown_complete_units.push_back(ctx_.unit_name(u));
    }
  }
  decision_.group_shutdown_complete =
      ctx_.group().admin_state == AdminState::kShuttingDown && !any;
}

}  // namespace

void StageChanges(const GroupContext& ctx, const Plan& plan,
                  Decision& decision) {
  Stager stager(ctx, plan, decision);
  stager.Run();
}

}  // namespace vigil::core::internal
