// Staging: the next changes that walk current assignments toward a plan,
// one AMF step at a time (internal to the core).
//
// Per SI, in SI rank order, the first rule that applies decides:
//
//  0. Lost work goes at once: assignments on failed / out-of-service units
//     and on unknown units or SIs are removed (the caller cleans the unit up
//     — fences it — before it carries out any activation in the same
//     decision). This is the only step that does not wait.
//  1. Wait while any assignment of the SI is unconfirmed.
//  2. A sponsor inactive past its tolerance: remove the active (the sponsor
//     is gone already; standbys stay for a quick return).
//  3. Switchover under way (an assignment is quiescing or quiesced):
//     once another unit is active, the quiesced one becomes standby (if the
//     plan wants it there) or is removed; with no active yet, the planned
//     unit is promoted (it holds a standby: graceful), or takes the active
//     back (it holds the quiesced assignment: switchover abandoned), or —
//     nothing warm there — the quiesced assignments are released and the
//     planned unit is assigned active cold. Quiesced assignments serve
//     nobody, so they are also released when the SI may not go active
//     (a sponsor is down) or the planned unit has no room yet: holding
//     them could only deadlock two switchovers waiting on each other.
//  4. An active must move (admin lock/shutdown, SI lock, swap, switchback,
//     capacity): if the unit taking over holds nothing yet and the model
//     has standbys, it is first made standby; otherwise the active is set
//     Quiescing (shutdown: let work drain) or Quiesced (lock, swap,
//     switchback). N-Way-Active makes before it breaks: new actives first,
//     extra ones quiesced once the new ones are confirmed.
//  5. No active: promote a standby on the planned unit straight to active
//     (failover) or assign one; only while every sponsor is active.
//  6. Standbys: add the planned ones; remove others once the planned ones
//     are in place (make before break), at once on draining units.
//
// Capacity is checked against the current assignments plus the changes
// already emitted, counting quiescing/quiesced as active, so no step ever
// puts more on a unit than maxActive/maxStandbyInstancesPerUnit allow.
//
// Thread safety: pure function.
#ifndef VIGIL_CONTROLLERS_CORE_STAGING_H_
#define VIGIL_CONTROLLERS_CORE_STAGING_H_

#include "controllers/core_context.h"
#include "controllers/core_placement.h"
#include "controllers/core_types.h"

namespace vigil::core::internal {

// Appends the next changes to `decision` (changes, notes, requeue_at,
// shutdown completion).
void StageChanges(const GroupContext& ctx, const Plan& plan,
                  Decision& decision);

}  // namespace vigil::core::internal

#endif  // VIGIL_CONTROLLERS_CORE_STAGING_H_
