// Per-SI placement for every model, inside the roles chosen by
// core_placement_roles.cc for the role models. See core_placement.h.
#include "controllers/core_placement.h"

#include <algorithm>
#include <climits>
#include <tuple>

namespace vigil::core::internal {

namespace {

bool Contains(const std::vector<int>& units, int u) {
  return std::find(units.begin(), units.end(), u) != units.end();
}

bool InTarget(const Target& t, int u) {
  return Contains(t.actives, u) || Contains(t.standbys, u);
}

// Slots per unit for one HA role. `used` counts what SIs already served
// took; `reserved` counts sticky assignments of SIs not yet served.
struct Ledger {
  std::vector<int> used;
  std::vector<int> reserved;
  int cap = INT_MAX;
  int soft = INT_MAX;  // even spread when capacity is unlimited

  explicit Ledger(int units, int capacity)
      : used(units, 0), reserved(units, 0), cap(capacity) {}
  // Room without taking anyone's slot, under `limit`.
  bool Free(int u, int limit) const {
    return static_cast<long>(used[u]) + reserved[u] < limit;
  }
  // Room if later-served SIs give up their slots (preemption).
  bool Fits(int u) const { return used[u] < cap; }
};

// Picks fresh units for one role in preference order: the SI's rankedUnits,
// then units in rank order filled up to the soft limit, then up to the
// capacity, then (preemption) a slot a later-served SI holds.
class Filler {
 public:
  // `use_ranked`: whether SIs' rankedUnits come first.
  Filler(const GroupContext& ctx, std::vector<int> candidates, Ledger& ledger,
         bool use_ranked)
      : ctx_(ctx),
        candidates_(std::move(candidates)),
        is_candidate_(ctx.unit_count(), false),
        ledger_(ledger),
        use_ranked_(use_ranked) {
    for (int u : candidates_) is_candidate_[u] = true;
  }

  // A unit with room without taking anyone's slot; -1 if none. Units in
  // `avoid` are left out.
  int PickFree(int s, const Target& t, const std::vector<int>& avoid) {
    for (int u : Ranked(s)) {
      if (Eligible(u, t, avoid) && ledger_.Free(u, ledger_.cap)) return u;
    }
    if (ledger_.soft < ledger_.cap) {
      int u = Scan(soft_cursor_, ledger_.soft, t, avoid);
      if (u >= 0) return u;
    }
    return Scan(hard_cursor_, ledger_.cap, t, avoid);
  }

  // A slot a later-served SI holds (preemption); -1 if none.
  int PickPreempt(int s, const Target& t) {
    for (int u : Ranked(s)) {
      if (Eligible(u, t, {}) && ledger_.Fits(u)) return u;
    }
    for (int u : candidates_) {
      if (!InTarget(t, u) && ledger_.Fits(u)) return u;
    }
    return -1;
  }

  size_t size() const { return candidates_.size(); }

 private:
  const std::vector<int>& Ranked(int s) const {
    static const std::vector<int> kNone;
    return use_ranked_ ? ctx_.RankedUnitsOf(s) : kNone;
  }
  bool Eligible(int u, const Target& t, const std::vector<int>& avoid) const {
    return is_candidate_[u] && !InTarget(t, u) && !Contains(avoid, u);
  }
  // Units before the cursor are full under `limit`; fullness only grows
  // while one placement runs, so the cursor never moves back.
  int Scan(size_t& cursor, int limit, const Target& t,
           const std::vector<int>& avoid) {
    while (cursor < candidates_.size() &&
           !ledger_.Free(candidates_[cursor], limit)) {
      ++cursor;
    }
    for (size_t i = cursor; i < candidates_.size(); ++i) {
      int u = candidates_[i];
      if (!InTarget(t, u) && !Contains(avoid, u) && ledger_.Free(u, limit)) {
        return u;
      }
    }
    return -1;
  }

  const GroupContext& ctx_;
  std::vector<int> candidates_;
  std::vector<bool> is_candidate_;
  Ledger& ledger_;
  bool use_ranked_;
  size_t soft_cursor_ = 0;
  size_t hard_cursor_ = 0;
};

int SoftLimit(int demand, int units, int cap) {
  if (cap != INT_MAX || units == 0) return cap;
  return std::max(1, (demand + units - 1) / units);
}

// One placement run (see core_placement.h): chooses the eligible units (and
// roles), reserves sticky slots, then serves SIs in rank order. Lives for
// one call; not thread-safe.
class Placer {
 public:
  Placer(const GroupContext& ctx, const PlacementOptions& options, Plan& plan);
  void Run();

 private:
  void ChooseEligibleUnits();
  void ComputePairs();
  void Reserve(int s, int delta);
  Filler MakeFiller(const std::vector<bool>& role, Ledger& ledger,
                    int (GroupContext::*wanted)(int) const, bool use_ranked);
  void TakeHeld(const std::vector<Holding>& holdings, HaState state,
                bool preempt, size_t want, Target& t);
  void TakeIdealActives(int s, const std::vector<int>& avoid, size_t want,
                        Target& t);
  void PlaceActives(int s, Target& t, Filler& filler);
  void PlaceStandbys(int s, Target& t, Filler& filler);
  void TakeStickyStandbys(int s, Target& t, int want);
  bool Take(Ledger& ledger, int u, std::vector<int>& into) {
    if (!ledger.Fits(u)) return false;
    ++ledger.used[u];
    into.push_back(u);
    return true;
  }
  // The SI's holdings in `state`-class, best preference first.
  // How much the ideal placement wants unit `u` for SI `s`: 0 as active,
  // 1 as standby, 2 not at all (role models: by unit role).
  int IdealRank(int s, int u) const;
  // The SI's holdings, best first: for promotion, confirmed ones first;
  // then those the ideal placement wants (so a switchback being prepared
  // or under way is not undone); then by preference.
  std::vector<Holding> SortedHoldings(int s, bool for_promotion) const;

  const GroupContext& ctx_;
  const PlacementOptions& options_;
  Plan& plan_;
  std::vector<bool> may_be_active_;   // role allows an active here
  std::vector<bool> may_be_standby_;  // role allows a standby here
  std::vector<int> pair_;             // role models: standby unit per active
  Ledger active_;
  Ledger standby_;
};

Placer::Placer(const GroupContext& ctx, const PlacementOptions& options,
               Plan& plan)
    : ctx_(ctx),
      options_(options),
      plan_(plan),
      may_be_active_(ctx.unit_count(), false),
      may_be_standby_(ctx.unit_count(), false),
      pair_(ctx.unit_count(), -1),
      active_(ctx.unit_count(), ctx.ActiveCapacity()),
      standby_(ctx.unit_count(), ctx.StandbyCapacity()) {}

void Placer::ChooseEligibleUnits() {
  if (UsesRoles(ctx_.model())) {
    SelectRoles(ctx_, options_, plan_);
    for (int u : plan_.active_role) may_be_active_[u] = true;
    for (int u : plan_.standby_role) may_be_standby_[u] = true;
    ComputePairs();
    return;
  }
  for (int u = 0; u < ctx_.unit_count(); ++u) {
    may_be_active_[u] = true;
    may_be_standby_[u] = ctx_.HasStandbys();
  }
}

// N+M: the SIs of the i-th active unit keep their standbys together on the
// (i mod M)-th standby unit, so one failure promotes one unit.
void Placer::ComputePairs() {
  const auto& actives = plan_.active_role;
  const auto& standbys = plan_.standby_role;
  if (standbys.empty()) return;
  for (size_t i = 0; i < actives.size(); ++i) {
    pair_[actives[i]] = standbys[i % standbys.size()];
  }
  const RoleMove* move = options_.role_move;
  if (move != nullptr && move->prepare_only && move->from >= 0) {
    pair_[move->from] = move->to;
  }
}

void Placer::Reserve(int s, int delta) {
  for (const Holding& h : ctx_.instance(s).holdings) {
    if (!ctx_.keeps_work(h.unit)) continue;
    if (h.state == HaState::kActive && may_be_active_[h.unit]) {
      active_.reserved[h.unit] += delta;
    } else if (h.state == HaState::kStandby && may_be_standby_[h.unit]) {
      standby_.reserved[h.unit] += delta;
    }
  }
}

int Placer::IdealRank(int s, int u) const {
  if (options_.ideal == nullptr) return 2;
  const Plan& plan = *options_.ideal;
  bool roles = UsesRoles(ctx_.model());
  const std::vector<int>& actives =
      roles ? plan.active_role : plan.targets[s].actives;
  const std::vector<int>& standbys =
      roles ? plan.standby_role : plan.targets[s].standbys;
  return Contains(actives, u) ? 0 : Contains(standbys, u) ? 1 : 2;
}

std::vector<Holding> Placer::SortedHoldings(int s, bool for_promotion) const {
  std::vector<Holding> holdings = ctx_.instance(s).holdings;
  // Role models place standbys by unit roles and pairing, not per SI.
  bool by_unit = UsesRoles(ctx_.model()) && !for_promotion;
  auto key = [&](const Holding& h) {
    int unready = for_promotion && !h.confirmed ? 1 : 0;
    int position =
        by_unit ? ctx_.unit(h.unit).order : ctx_.PreferencePosition(s, h.unit);
    return std::tuple(unready, IdealRank(s, h.unit), position);
  };
  std::sort(
      holdings.begin(), holdings.end(),
      [&](const Holding& a, const Holding& b) { return key(a) < key(b); });
  return holdings;
}

void Placer::Run() {
  ChooseEligibleUnits();
  // Role models pair standbys with active units: rankedUnits steer actives.
  Filler actives =
      MakeFiller(may_be_active_, active_, &GroupContext::ActivesWanted, true);
  Filler standbys =
      MakeFiller(may_be_standby_, standby_, &GroupContext::StandbysWanted,
                 !UsesRoles(ctx_.model()));
  plan_.targets.assign(ctx_.instance_count(), Target{});
  if (options_.sticky) {
    for (int s = 0; s < ctx_.instance_count(); ++s) {
      if (ctx_.instance(s).assignable) Reserve(s, +1);
    }
  }
  for (int s : ctx_.instance_order()) {
    if (!ctx_.instance(s).assignable) continue;
    if (options_.sticky) Reserve(s, -1);
    Target& t = plan_.targets[s];
    PlaceActives(s, t, actives);
    PlaceStandbys(s, t, standbys);
  }
}

// Candidates for fresh picks: usable (and allowed) units of the role, in
// rank order; the soft limit spreads the role's total demand evenly.
Filler Placer::MakeFiller(const std::vector<bool>& role, Ledger& ledger,
                          int (GroupContext::*wanted)(int) const,
                          bool use_ranked) {
  std::vector<int> candidates;
  for (int u : ctx_.unit_order()) {
    bool allowed = options_.allowed.empty() || options_.allowed[u];
    if (role[u] && ctx_.usable(u) && allowed) candidates.push_back(u);
  }
  int demand = 0;
  for (int s = 0; s < ctx_.instance_count(); ++s) {
    if (ctx_.instance(s).assignable) demand += (ctx_.*wanted)(s);
  }
  ledger.soft =
      SoftLimit(demand, static_cast<int>(candidates.size()), ledger.cap);
  return Filler(ctx_, std::move(candidates), ledger, use_ranked);
}

// Takes units where SI `s` holds `state` (any quiesce state for
// kQuiesced) as actives, without displacing a later SI unless `preempt`.
void Placer::TakeHeld(const std::vector<Holding>& holdings, HaState state,
                      bool preempt, size_t want, Target& t) {
  for (const Holding& h : holdings) {
    if (t.actives.size() >= want) return;
    bool matches = state == HaState::kQuiesced ? IsQuiesceState(h.state)
                                               : h.state == state;
    bool may_stay = state == HaState::kActive ? ctx_.keeps_work(h.unit)
                                              : ctx_.usable(h.unit);
    bool room = preempt || state == HaState::kActive ||
                active_.Free(h.unit, active_.cap);
    if (matches && may_stay && may_be_active_[h.unit] && room &&
        !InTarget(t, h.unit)) {
      Take(active_, h.unit, t.actives);
    }
  }
}

// Spread models: a fresh active goes to the unit the ideal placement
// wants, if it has room, so a cold switchback lands where it was aimed.
void Placer::TakeIdealActives(int s, const std::vector<int>& avoid, size_t want,
                              Target& t) {
  if (options_.ideal == nullptr || UsesRoles(ctx_.model())) return;
  for (int u : options_.ideal->targets[s].actives) {
    if (t.actives.size() >= want) return;
    if (ctx_.usable(u) && may_be_active_[u] && !InTarget(t, u) &&
        !Contains(avoid, u) && active_.Free(u, active_.cap)) {
      Take(active_, u, t.actives);
    }
  }
}

void Placer::PlaceActives(int s, Target& t, Filler& filler) {
  size_t want = ctx_.ActivesWanted(s);
  // An SI waiting for its sponsors is not promoted: its standbys stay put
  // until it may become active.
  bool promotable = ctx_.instance(s).sponsors_active;
  std::vector<Holding> holdings;
  // Units fresh picks avoid: those this SI is switching away from, and its
  // standbys while it may not be promoted.
  std::vector<int> avoid;
  if (options_.sticky) {
    holdings = SortedHoldings(s, true);
    for (const Holding& h : holdings) {
      if (IsQuiesceState(h.state) ||
          (h.state == HaState::kStandby && !promotable)) {
        avoid.push_back(h.unit);
      }
    }
  }
  TakeHeld(holdings, HaState::kActive, false, want, t);  // what may stay
  if (promotable) TakeHeld(holdings, HaState::kStandby, false, want, t);
  TakeIdealActives(s, avoid, want, t);
  while (t.actives.size() < want) {
    int u = filler.PickFree(s, t, avoid);
    if (u < 0 || !Take(active_, u, t.actives)) break;
  }
  // Last resorts: take back a quiesced assignment (only now, so a
  // switchover under way is not undone while another unit can take over),
  // then take a slot from a lower-ranked SI.
  TakeHeld(holdings, HaState::kQuiesced, false, want, t);
  if (promotable) TakeHeld(holdings, HaState::kStandby, true, want, t);
  while (t.actives.size() < want) {
    int u = filler.PickPreempt(s, t);
    if (u < 0 || !Take(active_, u, t.actives)) break;
  }
}

void Placer::TakeStickyStandbys(int s, Target& t, int want) {
  std::vector<Holding> holdings = SortedHoldings(s, false);
  // Keep standbys that may stay, then let a former active become standby.
  for (bool former_active : {false, true}) {
    for (const Holding& h : holdings) {
      if (static_cast<int>(t.standbys.size()) >= want) return;
      bool matches = former_active ? h.state != HaState::kStandby
                                   : h.state == HaState::kStandby;
      bool may_stay =
          former_active ? ctx_.usable(h.unit) : ctx_.keeps_work(h.unit);
      if (matches && may_stay && may_be_standby_[h.unit] &&
          !InTarget(t, h.unit)) {
        Take(standby_, h.unit, t.standbys);
      }
    }
  }
}

void Placer::PlaceStandbys(int s, Target& t, Filler& filler) {
  int want = ctx_.StandbysWanted(s);
  // A standby protects an active; an SI that cannot be active gets none.
  if (want == 0 || t.actives.empty()) return;
  int paired = t.actives.empty() ? -1 : pair_[t.actives.front()];
  auto take_pair = [&] {
    if (paired >= 0 && ctx_.usable(paired) && may_be_standby_[paired] &&
        !InTarget(t, paired) && standby_.Free(paired, standby_.cap) &&
        static_cast<int>(t.standbys.size()) < want) {
      Take(standby_, paired, t.standbys);
    }
  };
  const RoleMove* move = options_.role_move;
  bool preparing = move != nullptr && move->prepare_only &&
                   !t.actives.empty() && t.actives.front() == move->from;
  if (preparing) take_pair();  // the switchback target takes the standby
  if (options_.sticky) TakeStickyStandbys(s, t, want);
  take_pair();
  while (static_cast<int>(t.standbys.size()) < want) {
    int u = filler.PickFree(s, t, {});
    if (u < 0) u = filler.PickPreempt(s, t);
    if (u < 0 || !Take(standby_, u, t.standbys)) return;
  }
}

}  // namespace

Plan ComputePlacement(const GroupContext& ctx,
                      const PlacementOptions& options) {
  Plan plan;
  Placer placer(ctx, options, plan);
  placer.Run();
  return plan;
}

}  // namespace vigil::core::internal
