// Placement: where each SI of a group should be active and standby.
//
// A placement is the *target* the staging phase (core_staging.h) walks the
// current assignments toward. Two flavours come out of the same code:
//
//   - sticky (the default): keeps every assignment that may stay (its unit
//     keeps work, capacity allows, its role is still wanted), promotes an
//     SI's standby before anything else when its active is gone, and fills
//     what is missing from the best-ranked units. This is what failover,
//     repair and admin operations converge to.
//   - ideal (sticky = false): the placement from scratch over a given set of
//     units; auto-adjust (core_adjust.h) moves toward it.
//
// Model rules. 2N and N+M first pick unit *roles* (N active units, M standby
// units; 2N is N = M = 1); N-Way-Active picks max(preferredActiveUnits,
// largest preferredActiveAssignments) active units; N-Way and No-Redundancy
// spread SIs over every usable unit. SIs are then served in SI rank order,
// each taking units in its rankedUnits order, then unit rank order, up to
// maxActive/maxStandbyInstancesPerUnit (No-Redundancy: one SI per unit).
// With unlimited capacity units are filled evenly (ceil(demand / units)
// each) in rank order; with a capacity they are filled in rank order up to
// it. An SI served earlier may take the slot a later SI holds (preemption)
// only when no free slot is left anywhere: ranks decide who is served when
// capacity is short.
//
// Details that keep the protocol stable across decisions: an SI that cannot
// be active gets no standby; an SI waiting for its sponsors is not
// "promoted" onto its standby (its standbys stay put); a unit an SI is
// quiescing away from is taken back only when no other unit can take it.
//
// Thread safety: pure functions.
#ifndef VIGIL_CONTROLLERS_CORE_PLACEMENT_H_
#define VIGIL_CONTROLLERS_CORE_PLACEMENT_H_

#include <string>
#include <vector>

#include "controllers/core_context.h"
#include "controllers/core_types.h"

namespace vigil::core::internal {

struct Target {
  std::vector<int> actives;   // unit indices, best first
  std::vector<int> standbys;  // unit indices, best first
  // Set when auto-adjust or a swap moved this SI: why its assignments move.
  ChangeCause cause = ChangeCause::kInitial;
  std::string reason;
};

// A unit-level move for the role models (2N, N+M, N-Way-Active): `from`
// leaves the active role and `to` takes it. With `prepare_only`, `to` only
// joins the standby role (and takes the standbys of `from`'s SIs) so that a
// later graceful switchover can promote it.
struct RoleMove {
  int from = -1;
  int to = -1;
  bool prepare_only = false;
  ChangeCause cause = ChangeCause::kSwitchback;
  std::string reason;
};

struct Plan;

struct PlacementOptions {
  bool sticky = true;
  // Units a fresh pick may use (indexed by unit); empty = every usable unit.
  std::vector<bool> allowed;
  const RoleMove* role_move = nullptr;  // role models only
  // Sticky only: the ideal placement auto-adjust is moving toward. Among
  // standbys that may stay, those it wants are kept first.
  const Plan* ideal = nullptr;
};

struct Plan {
  std::vector<Target> targets;    // by SI index; empty for unassignable SIs
  std::vector<int> active_role;   // role models only, best first
  std::vector<int> standby_role;  // role models only, best first
};

// True for 2N, N+M and N-Way-Active, whose units hold roles.
bool UsesRoles(RedundancyModel model);

// Computes the placement of every SI of the group.
Plan ComputePlacement(const GroupContext& ctx, const PlacementOptions& options);

// Unit roles (2N, N+M, N-Way-Active) before SIs are placed; exposed for
// auto-adjust. REQUIRES: UsesRoles(ctx.model()).
void SelectRoles(const GroupContext& ctx, const PlacementOptions& options,
                 Plan& plan);

}  // namespace vigil::core::internal

#endif  // VIGIL_CONTROLLERS_CORE_PLACEMENT_H_
