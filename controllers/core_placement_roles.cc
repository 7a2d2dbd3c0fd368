// Unit roles for the role models (2N, N+M, N-Way-Active): which units are
// the active units and which the standby units. See core_placement.h.
#include <algorithm>
#include <functional>

#include "controllers/core_placement.h"

namespace vigil::core::internal {

namespace {

int ActiveRoleCount(const GroupContext& ctx) {
  switch (ctx.model()) {
    case RedundancyModel::kTwoN:
      return 1;
    case RedundancyModel::kNPlusM:
      return std::max(1, ctx.group().preferred_active_units);
    default:
      break;
  }
  // N-Way-Active: enough units for the SI wanting the most actives.
  int units = std::max(1, ctx.group().preferred_active_units);
  for (int s = 0; s < ctx.instance_count(); ++s) {
    if (ctx.instance(s).assignable) {
      units = std::max(units, ctx.ActivesWanted(s));
    }
  }
  return units;
}

int StandbyRoleCount(const GroupContext& ctx) {
  switch (ctx.model()) {
    case RedundancyModel::kTwoN:
      return 1;
    case RedundancyModel::kNPlusM:
      return std::max(0, ctx.group().preferred_standby_units);
    default:
      return 0;
  }
}

// What each unit holds now, counting only SIs that are assignable and
// assignments that may stay where they are.
struct UnitTally {
  int actives = 0;
  int standbys = 0;
  int orphan_standbys = 0;  // standbys of SIs with no active that stays
  int quiesced = 0;
};

std::vector<UnitTally> TallyUnits(const GroupContext& ctx) {
  std::vector<UnitTally> tally(ctx.unit_count());
  for (int s = 0; s < ctx.instance_count(); ++s) {
    const InstanceInfo& info = ctx.instance(s);
    if (!info.assignable) continue;
    // An SI waiting for its sponsors cannot be promoted: not an orphan.
    bool has_active =
        !info.sponsors_active ||
        std::any_of(
            info.holdings.begin(), info.holdings.end(), [&](const Holding& h) {
              return h.state == HaState::kActive && ctx.keeps_work(h.unit);
            });
    for (const Holding& h : info.holdings) {
      if (!ctx.keeps_work(h.unit)) continue;
      UnitTally& t = tally[h.unit];
      if (h.state == HaState::kActive) ++t.actives;
      if (h.state == HaState::kStandby) {
        ++t.standbys;
        if (!has_active) ++t.orphan_standbys;
      }
      if (IsQuiesceState(h.state)) ++t.quiesced;
    }
  }
  return tally;
}

// Fills one role list from successive candidate lists, skipping units
// another role took. Lives for one call; not thread-safe.
class RoleChooser {
 public:
  RoleChooser(std::vector<int>& role, int wanted, std::vector<bool>& taken)
      : role_(role), wanted_(wanted), taken_(taken) {}

  bool full() const { return static_cast<int>(role_.size()) >= wanted_; }

  // Adds the units of `candidates` that pass `accept`, in order, until full.
  template <typename Accept>
  void AddFrom(const std::vector<int>& candidates, Accept accept) {
    for (int u : candidates) {
      if (full()) return;
      if (taken_[u] || !accept(u)) continue;
      taken_[u] = true;
      role_.push_back(u);
    }
  }

 private:
  std::vector<int>& role_;
  int wanted_;
  std::vector<bool>& taken_;
};

// 0 for a unit the ideal placement makes active (it is being prepared for a
// switchback), 1 for an ideal standby unit, 2 otherwise.
int IdealRoleRank(const Plan& ideal, int u) {
  auto in = [u](const std::vector<int>& role) {
    return std::find(role.begin(), role.end(), u) != role.end();
  };
  return in(ideal.active_role) ? 0 : in(ideal.standby_role) ? 1 : 2;
}

void SelectStickyRoles(const GroupContext& ctx,
                       const std::function<bool(int)>& fresh, const Plan* ideal,
                       Plan& plan) {
  std::vector<UnitTally> tally = TallyUnits(ctx);
  std::vector<bool> taken(ctx.unit_count(), false);
  const std::vector<int>& order = ctx.unit_order();
  // Active role: units already active, then the standby holding the most
  // orphaned SIs (failover), then spares before standby units so standbys
  // stay where they are; a unit switching its work away comes last.
  RoleChooser active(plan.active_role, ActiveRoleCount(ctx), taken);
  active.AddFrom(
      order, [&](int u) { return ctx.keeps_work(u) && tally[u].actives > 0; });
  std::vector<int> by_orphans = order;
  std::stable_sort(by_orphans.begin(), by_orphans.end(), [&](int a, int b) {
    return tally[a].orphan_standbys > tally[b].orphan_standbys;
  });
  active.AddFrom(by_orphans, [&](int u) {
    return ctx.usable(u) && tally[u].orphan_standbys > 0;
  });
  active.AddFrom(order, [&](int u) {
    return fresh(u) && tally[u].standbys == 0 && tally[u].quiesced == 0;
  });
  active.AddFrom(order,
                 [&](int u) { return fresh(u) && tally[u].quiesced == 0; });
  // Last resort: a unit mid-switchover takes its work back.
  active.AddFrom(order, [&](int u) { return ctx.usable(u); });
  // Standby role: units already standby, then a former active
  // (switchover), then spares in rank order.
  RoleChooser standby(plan.standby_role, StandbyRoleCount(ctx), taken);
  // Among standby holders, those the ideal placement wants go first, so a
  // switchback being prepared is not undone.
  std::vector<int> holders = order;
  if (ideal != nullptr) {
    std::stable_sort(holders.begin(), holders.end(), [&](int a, int b) {
      return IdealRoleRank(*ideal, a) < IdealRoleRank(*ideal, b);
    });
  }
  standby.AddFrom(holders, [&](int u) {
    return ctx.keeps_work(u) && tally[u].standbys > 0;
  });
  standby.AddFrom(
      order, [&](int u) { return ctx.usable(u) && tally[u].quiesced > 0; });
  standby.AddFrom(order, fresh);
}

void SelectIdealRoles(const GroupContext& ctx,
                      const std::function<bool(int)>& fresh, Plan& plan) {
  std::vector<bool> taken(ctx.unit_count(), false);
  RoleChooser active(plan.active_role, ActiveRoleCount(ctx), taken);
  active.AddFrom(ctx.unit_order(), fresh);
  RoleChooser standby(plan.standby_role, StandbyRoleCount(ctx), taken);
  standby.AddFrom(ctx.unit_order(), fresh);
}

void Erase(std::vector<int>& units, int u) {
  units.erase(std::remove(units.begin(), units.end(), u), units.end());
}

bool Contains(const std::vector<int>& units, int u) {
  return std::find(units.begin(), units.end(), u) != units.end();
}

// Puts `u` into `role`, displacing the worst member when the role is full.
void JoinRole(std::vector<int>& role, int wanted, int u) {
  if (wanted <= 0 || Contains(role, u)) return;
  if (static_cast<int>(role.size()) >= wanted) role.pop_back();
  role.push_back(u);
}

void ApplyRoleMove(const GroupContext& ctx, const RoleMove& move, Plan& plan) {
  int standbys = StandbyRoleCount(ctx);
  if (move.prepare_only) {
    JoinRole(plan.standby_role, standbys, move.to);
    return;
  }
  if (!Contains(plan.active_role, move.from)) return;
  Erase(plan.active_role, move.from);
  if (!Contains(plan.active_role, move.to)) plan.active_role.push_back(move.to);
  Erase(plan.standby_role, move.to);
  if (ctx.usable(move.from)) JoinRole(plan.standby_role, standbys, move.from);
}

}  // namespace

bool UsesRoles(RedundancyModel model) {
  return model == RedundancyModel::kTwoN || model == RedundancyModel::kNPlusM ||
         model == RedundancyModel::kNWayActive;
}

void SelectRoles(const GroupContext& ctx, const PlacementOptions& options,
                 Plan& plan) {
  auto fresh = [&](int u) {
    return ctx.usable(u) && (options.allowed.empty() || options.allowed[u]);
  };
  if (options.sticky) {
    SelectStickyRoles(ctx, fresh, options.ideal, plan);
  } else {
    SelectIdealRoles(ctx, fresh, plan);
  }
  if (options.role_move != nullptr) {
    // Sort first so displacement drops the worst-ranked member.
    auto by_order = [&](int a, int b) {
      return ctx.unit(a).order < ctx.unit(b).order;
    };
    std::sort(plan.standby_role.begin(), plan.standby_role.end(), by_order);
    ApplyRoleMove(ctx, *options.role_move, plan);
  }
  auto by_order = [&](int a, int b) {
    return ctx.unit(a).order < ctx.unit(b).order;
  };
  std::sort(plan.active_role.begin(), plan.active_role.end(), by_order);
  std::sort(plan.standby_role.begin(), plan.standby_role.end(), by_order);
}

}  // namespace vigil::core::internal
