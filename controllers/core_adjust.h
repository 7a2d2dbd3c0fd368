// Deliberate moves: SI swap (operator) and switchback (auto-adjust).
//
// Both start only from a *settled* group — every assignment confirmed, none
// quiescing or quiesced, and the current assignments equal to the sticky
// placement — so they never pile onto a failover or an admin operation.
// Both are graceful: the unit taking over must already hold a confirmed
// standby of the SIs it takes (where the model has standbys); if it does not
// yet, the switchback first makes it standby ("preparation", harmless and
// not rate-limited), and starts the switchover in a later decision.
//
// Switchback moves toward the *ideal* placement (core_placement.h, sticky =
// false): the one Vigil would choose from scratch. It starts only when every
// usable unit has been in service for the probation (a flapping unit blocks
// switchback rather than attracting work), and at most once per
// minInterval; starting one, like starting a swap, sets
// Decision::adjustment_started so the caller records the time.
//
// The ideal placement is computed whenever a switchback could start (the
// probation gate passes) and also guides the sticky placement: among
// standbys that may stay, the ones the ideal wants are kept first, so a
// preparation is never undone by the next decision.
//
// Role models (2N, N+M, N-Way-Active) move whole units: the worst active
// unit not in the ideal roles hands its SIs to the best ideal unit. An SI
// swap there swaps the roles of the two units (as OpenSAF does for 2N), so
// every SI of the active unit moves; it needs the standby unit to hold a
// confirmed standby of each of them. N-Way moves single SIs.
//
// Thread safety: pure functions.
#ifndef VIGIL_CONTROLLERS_CORE_ADJUST_H_
#define VIGIL_CONTROLLERS_CORE_ADJUST_H_

#include <vector>

#include "controllers/core_context.h"
#include "controllers/core_placement.h"
#include "controllers/core_types.h"

namespace vigil::core::internal {

struct AdjustOutcome {
  Plan plan;  // the placement to stage
  bool adjustment_started = false;
  absl::Time requeue_at = absl::InfiniteFuture();
  std::vector<SwapProgress> swaps;  // one per swap request, in order
};

// The sticky placement, changed by at most one swap or one switchback.
AdjustOutcome PlanAssignments(const GroupContext& ctx);

// Whether the group is settled with respect to `plan` (see above).
bool IsSettled(const GroupContext& ctx, const Plan& plan);

}  // namespace vigil::core::internal

#endif  // VIGIL_CONTROLLERS_CORE_ADJUST_H_
