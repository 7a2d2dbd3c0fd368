#include "controllers/core_adjust.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "controllers/core_dependencies.h"

namespace vigil::core::internal {

namespace {

bool Contains(const std::vector<int>& units, int u) {
  return std::find(units.begin(), units.end(), u) != units.end();
}

bool SameUnits(std::vector<int> a, std::vector<int> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// The units where SI `s` holds `state`; confirmed ones only if asked.
std::vector<int> UnitsHolding(const GroupContext& ctx, int s, HaState state,
                              bool confirmed_only) {
  std::vector<int> units;
  for (const Holding& h : ctx.instance(s).holdings) {
    if (h.state == state && (h.confirmed || !confirmed_only)) {
      units.push_back(h.unit);
    }
  }
  return units;
}

// Whether `to` holds a confirmed standby of every SI active on `from`.
bool HoldsStandbysOf(const GroupContext& ctx, int to, int from) {
  for (int s = 0; s < ctx.instance_count(); ++s) {
    if (!Contains(UnitsHolding(ctx, s, HaState::kActive, false), from)) {
      continue;
    }
    if (!Contains(UnitsHolding(ctx, s, HaState::kStandby, true), to)) {
      return false;
    }
  }
  return true;
}

// Marks every SI whose target differs from what it holds with the move.
void TagMoves(const GroupContext& ctx, Plan& plan, ChangeCause cause,
              const std::string& reason) {
  for (int s = 0; s < ctx.instance_count(); ++s) {
    Target& t = plan.targets[s];
    if (SameUnits(t.actives, UnitsHolding(ctx, s, HaState::kActive, false)) &&
        SameUnits(t.standbys, UnitsHolding(ctx, s, HaState::kStandby, false))) {
      continue;
    }
    t.cause = cause;
    t.reason = reason;
  }
}

std::string InServiceFor(const GroupContext& ctx, int u) {
  const UnitSnapshot& spec = ctx.unit_spec(u);
  return absl::StrCat(spec.name, " (rank ", spec.rank, ") in service for ",
                      absl::FormatDuration(ctx.now() - spec.in_service_since));
}

int FirstMissing(const std::vector<int>& from, const std::vector<int>& in) {
  for (int u : from) {
    if (!Contains(in, u)) return u;
  }
  return -1;
}

int LastMissing(const std::vector<int>& from, const std::vector<int>& in) {
  for (auto it = from.rbegin(); it != from.rend(); ++it) {
    if (!Contains(in, *it)) return *it;
  }
  return -1;
}

// How many SIs hold an active (or quiesced) assignment on unit `u`.
int UnitsHoldingActive(const GroupContext& ctx, int u) {
  int count = 0;
  for (int s = 0; s < ctx.instance_count(); ++s) {
    for (const Holding& h : ctx.instance(s).holdings) {
      if (h.unit == u && h.state != HaState::kStandby) ++count;
    }
  }
  return count;
}

void Requeue(AdjustOutcome& out, absl::Time at) {
  out.requeue_at = std::min(out.requeue_at, at);
}

}  // namespace

bool IsSettled(const GroupContext& ctx, const Plan& plan) {
  if (!ctx.orphan_assignments().empty()) return false;
  DependencyGate gate(ctx);
  for (int s = 0; s < ctx.instance_count(); ++s) {
    const InstanceInfo& info = ctx.instance(s);
    if (!info.assignable) {
      if (!info.holdings.empty()) return false;
      continue;
    }
    std::vector<int> actives, standbys;
    for (const Holding& h : info.holdings) {
      if (!h.confirmed || IsQuiesceState(h.state) || !ctx.keeps_work(h.unit)) {
        return false;
      }
      (h.state == HaState::kActive ? actives : standbys).push_back(h.unit);
    }
    // An SI waiting for its sponsors does not hold the group back.
    if (!gate.Evaluate(s).activation_ok) continue;
    const Target& t = plan.targets[s];
    if (!SameUnits(actives, t.actives) || !SameUnits(standbys, t.standbys)) {
      return false;
    }
  }
  return true;
}

namespace {

SwapProgress ReportSwap(const GroupContext& ctx, int s, int from,
                        const SwapRequest& request) {
  SwapProgress progress{request.instance, request.from_unit,
                        SwapPhase::kInProgress, "switchover under way"};
  for (const Holding& h : ctx.instance(s).holdings) {
    if (!h.confirmed || IsQuiesceState(h.state)) return progress;
  }
  for (int u : UnitsHolding(ctx, s, HaState::kActive, true)) {
    if (u != from) {
      progress.phase = SwapPhase::kDone;
      progress.message = absl::StrCat("active on ", ctx.unit_name(u));
      return progress;
    }
  }
  progress.phase = SwapPhase::kRejected;
  progress.message =
      from >= 0 && !UnitsHolding(ctx, s, HaState::kActive, true).empty()
          ? absl::StrCat("swap abandoned: the active stayed on ",
                         request.from_unit)
          : "swap abandoned: the SI lost its active assignment";
  return progress;
}

// The reason a swap cannot start now, or "" when it can; sets `waiting`
// when it may start later.
std::string SwapObstacle(const GroupContext& ctx, int s, bool settled,
                         int active, int standby, bool& waiting) {
  waiting = false;
  if (!ctx.HasStandbys()) {
    return absl::StrCat(ToString(ctx.model()), " has no standby to swap with");
  }
  if (!ctx.instance(s).assignable) return "the SI is locked";
  if (!settled) {
    waiting = true;
    return "waiting for the group to settle";
  }
  if (active < 0) return "the SI has no confirmed active assignment";
  if (standby < 0) return "the SI has no confirmed standby to swap with";
  if (UsesRoles(ctx.model()) && !HoldsStandbysOf(ctx, standby, active)) {
    return absl::StrCat(ctx.unit_name(standby),
                        " does not hold a standby of every SI active on ",
                        ctx.unit_name(active));
  }
  if (!UsesRoles(ctx.model()) &&
      UnitsHoldingActive(ctx, standby) >= ctx.ActiveCapacity()) {
    return absl::StrCat("no active capacity left on ", ctx.unit_name(standby));
  }
  return "";
}

// The best confirmed standby of `s` on a usable unit, or -1: the one the
// ideal placement makes active if any (the sticky placement promotes it
// first too), else by preference.
int BestStandby(const GroupContext& ctx, int s, const Plan* ideal) {
  auto key = [&](int u) {
    bool wanted = ideal != nullptr && Contains(ideal->targets[s].actives, u);
    return std::pair(wanted ? 0 : 1, ctx.PreferencePosition(s, u));
  };
  int best = -1;
  for (int u : UnitsHolding(ctx, s, HaState::kStandby, true)) {
    if (ctx.usable(u) && (best < 0 || key(u) < key(best))) best = u;
  }
  return best;
}

int ConfirmedActive(const GroupContext& ctx, int s) {
  std::vector<int> actives = UnitsHolding(ctx, s, HaState::kActive, true);
  return actives.size() == 1 ? actives.front() : -1;
}

// Starts the swap of SI `s`: `standby` takes over from `active`.
void StartSwap(const GroupContext& ctx, int s, int active, int standby,
               const Plan* ideal, AdjustOutcome& out) {
  std::string reason = absl::StrCat("SI swap of ", ctx.instance_name(s), ": ",
                                    ctx.unit_name(standby), " takes over from ",
                                    ctx.unit_name(active));
  if (UsesRoles(ctx.model())) {
    RoleMove move{active, standby, false, ChangeCause::kSwap, reason};
    PlacementOptions options;
    options.role_move = &move;
    options.ideal = ideal;
    out.plan = ComputePlacement(ctx, options);
    TagMoves(ctx, out.plan, move.cause, move.reason);
  } else {
    Target& t = out.plan.targets[s];
    t.actives = {standby};
    t.standbys.erase(std::remove(t.standbys.begin(), t.standbys.end(), standby),
                     t.standbys.end());
    t.standbys.insert(t.standbys.begin(), active);
    t.cause = ChangeCause::kSwap;
    t.reason = reason;
  }
  out.adjustment_started = true;
}

// Reports every swap request and starts at most one. Returns whether one
// started.
bool HandleSwaps(const GroupContext& ctx, bool settled, const Plan* ideal,
                 AdjustOutcome& out) {
  bool started = false;
  for (const SwapRequest& request : ctx.snapshot().swaps) {
    int s = ctx.FindInstance(request.instance);
    if (s < 0) {
      out.swaps.push_back({request.instance, request.from_unit,
                           SwapPhase::kRejected, "unknown SI"});
      continue;
    }
    if (!request.from_unit.empty()) {
      out.swaps.push_back(
          ReportSwap(ctx, s, ctx.FindUnit(request.from_unit), request));
      continue;
    }
    int active = ConfirmedActive(ctx, s);
    int standby = BestStandby(ctx, s, ideal);
    bool waiting = false;
    std::string obstacle =
        started ? (waiting = true, "another swap is under way")
                : SwapObstacle(ctx, s, settled, active, standby, waiting);
    if (!obstacle.empty()) {
      out.swaps.push_back({request.instance, "",
                           waiting ? SwapPhase::kWaiting : SwapPhase::kRejected,
                           obstacle});
      continue;
    }
    StartSwap(ctx, s, active, standby, ideal, out);
    out.swaps.push_back({request.instance, ctx.unit_name(active),
                         SwapPhase::kInProgress, out.plan.targets[s].reason});
    started = true;
  }
  return started;
}

void SwitchbackRoles(const GroupContext& ctx, const Plan& ideal, bool rate_ok,
                     AdjustOutcome& out) {
  const Plan& current = out.plan;
  int to = FirstMissing(ideal.active_role, current.active_role);
  int from = LastMissing(current.active_role, ideal.active_role);
  RoleMove move;
  if (to < 0 || from < 0) {
    move.to = FirstMissing(ideal.standby_role, current.standby_role);
    if (move.to < 0) return;
    move.prepare_only = true;
    move.reason =
        absl::StrCat("switchback: standby to ", InServiceFor(ctx, move.to));
  } else if (!ctx.HasStandbys() || HoldsStandbysOf(ctx, to, from)) {
    if (!rate_ok) {
      Requeue(out, ctx.snapshot().last_adjustment +
                       ctx.group().auto_adjust.min_interval);
      return;
    }
    move = {from, to, false, ChangeCause::kSwitchback,
            absl::StrCat("switchback: ", InServiceFor(ctx, to))};
    out.adjustment_started = true;
  } else {
    move = {from, to, true, ChangeCause::kSwitchback,
            absl::StrCat("switchback: preparing ", InServiceFor(ctx, to),
                         " as standby")};
  }
  PlacementOptions options;
  options.role_move = &move;
  options.ideal = &ideal;
  out.plan = ComputePlacement(ctx, options);
  TagMoves(ctx, out.plan, move.cause, move.reason);
}

// Per-unit counts of a plan, so moves toward the ideal placement only land
// where the sticky placement of the next decision keeps them.
class PlanLoad {
 public:
  PlanLoad(const GroupContext& ctx, const Plan& plan)
      : ctx_(ctx), active_(ctx.unit_count(), 0), standby_(ctx.unit_count(), 0) {
    for (const Target& t : plan.targets) Add(t, +1);
  }
  void Add(const Target& t, int delta) {
    for (int u : t.actives) active_[u] += delta;
    for (int u : t.standbys) standby_[u] += delta;
  }
  bool ActiveRoom(int u) const { return active_[u] < ctx_.ActiveCapacity(); }
  bool StandbyRoom(int u) const { return standby_[u] < ctx_.StandbyCapacity(); }

 private:
  const GroupContext& ctx_;
  std::vector<int> active_;
  std::vector<int> standby_;
};

// The ideal standbys that can be had (already held by the target, or with
// room), then the target's other standbys, up to the SI's count; never on
// an active unit.
std::vector<int> MergeStandbys(const GroupContext& ctx, int s,
                               const std::vector<int>& ideal, const Target& t,
                               const PlanLoad& load) {
  std::vector<int> merged;
  size_t want = ctx.StandbysWanted(s);
  auto add = [&](int u) {
    if (merged.size() < want && !Contains(merged, u) &&
        !Contains(t.actives, u)) {
      merged.push_back(u);
    }
  };
  for (int u : ideal) {
    if (Contains(t.standbys, u) || load.StandbyRoom(u)) add(u);
  }
  for (int u : t.standbys) add(u);
  return merged;
}

// One SI's step toward the ideal placement; returns false when only the
// rate limit holds it back.
bool MoveTowardIdeal(const GroupContext& ctx, int s, const Target& want,
                     bool rate_ok, PlanLoad& load, AdjustOutcome& out) {
  Target& t = out.plan.targets[s];
  Target next = t;
  int to = want.actives.front();
  bool warm = Contains(UnitsHolding(ctx, s, HaState::kStandby, true), to);
  if (SameUnits(t.actives, want.actives)) {
    next.standbys = MergeStandbys(ctx, s, want.standbys, t, load);
    next.reason = absl::StrCat("switchback: standbys of ", ctx.instance_name(s),
                               " to their preferred units");
  } else if (ctx.StandbysWanted(s) > 0 && !warm) {
    if (!load.StandbyRoom(to)) return true;
    next.standbys = MergeStandbys(ctx, s, {to}, t, load);
    next.reason = absl::StrCat("switchback: preparing ", InServiceFor(ctx, to),
                               " as standby");
  } else {
    if (!rate_ok) return false;
    if (!load.ActiveRoom(to)) return true;
    next.actives = want.actives;
    next.standbys = MergeStandbys(ctx, s, want.standbys, next, load);
    next.reason = absl::StrCat("switchback: ", InServiceFor(ctx, to));
    out.adjustment_started = true;
  }
  if (SameUnits(next.actives, t.actives) &&
      SameUnits(next.standbys, t.standbys)) {
    return true;
  }
  next.cause = ChangeCause::kSwitchback;
  load.Add(t, -1);
  load.Add(next, +1);
  t = std::move(next);
  return true;
}

void SwitchbackSpread(const GroupContext& ctx, const Plan& ideal, bool rate_ok,
                      AdjustOutcome& out) {
  PlanLoad load(ctx, out.plan);
  bool blocked = false;
  for (int s : ctx.instance_order()) {
    const Target& want = ideal.targets[s];
    if (!ctx.instance(s).assignable || want.actives.empty()) continue;
    if (!MoveTowardIdeal(ctx, s, want, rate_ok, load, out)) blocked = true;
  }
  if (blocked) {
    Requeue(out, ctx.snapshot().last_adjustment +
                     ctx.group().auto_adjust.min_interval);
  }
}

// Whether auto-adjust may move anything now: enabled, the group unlocked,
// no unit restarting (the ideal placement would not count it) and every
// usable unit past its probation (else requeues at the earliest end).
bool SwitchbackAllowed(const GroupContext& ctx, AdjustOutcome& out) {
  if (!ctx.group().auto_adjust.enabled ||
      ctx.group().admin_state != AdminState::kUnlocked) {
    return false;
  }
  absl::Time probation_pending = absl::InfiniteFuture();
  for (int u = 0; u < ctx.unit_count(); ++u) {
    if (ctx.unit(u).condition == UnitCondition::kHeld) return false;
    if (ctx.usable(u) && !ctx.unit(u).probation_ok) {
      probation_pending =
          std::min(probation_pending, ctx.unit(u).probation_end);
    }
  }
  if (probation_pending == absl::InfiniteFuture()) return true;
  Requeue(out, probation_pending);
  return false;
}

void Switchback(const GroupContext& ctx, const Plan& ideal,
                AdjustOutcome& out) {
  bool rate_ok = ctx.now() >= ctx.snapshot().last_adjustment +
                                  ctx.group().auto_adjust.min_interval;
  if (UsesRoles(ctx.model())) {
    SwitchbackRoles(ctx, ideal, rate_ok, out);
  } else {
    SwitchbackSpread(ctx, ideal, rate_ok, out);
  }
}

}  // namespace

AdjustOutcome PlanAssignments(const GroupContext& ctx) {
  AdjustOutcome out;
  std::optional<Plan> ideal;
  if (SwitchbackAllowed(ctx, out)) {
    PlacementOptions ideal_options;
    ideal_options.sticky = false;
    ideal = ComputePlacement(ctx, ideal_options);
  }
  PlacementOptions sticky;
  sticky.ideal = ideal ? &*ideal : nullptr;
  out.plan = ComputePlacement(ctx, sticky);
  bool settled = IsSettled(ctx, out.plan);
  if (!HandleSwaps(ctx, settled, sticky.ideal, out) && ideal && settled) {
    Switchback(ctx, *ideal, out);
  }
  return out;
}

}  // namespace vigil::core::internal
