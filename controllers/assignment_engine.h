// The assignment engine: Vigil's pure availability decision core.
//
// DecideAssignments() takes a snapshot of one ServiceGroup (specs, observed
// readiness of its units, sponsor states, current assignments, pending
// swaps, `now`) and returns the next assignment changes. It does no I/O and
// reads no clock: the same snapshot always yields the same decision, so it
// can be tested exhaustively and run as a what-if simulation. A reconciler
// applies the changes, agents carry them out and confirm them, and the next
// call continues from the new assignments; calling it repeatedly walks the
// whole AMF protocol to a fixpoint (a call that returns no change).
//
// Design (one decision = three phases):
//
//  1. Context (core_context.h). Units are classified: usable (in service,
//     unlocked), held (restarting in place: keeps work, takes none),
//     draining (Locked, LockedInstantiation or ShuttingDown on the unit, its
//     node or the group, or beyond preferredInServiceUnits: switch away) or
//     gone (failed, out of service: work is lost). Units and SIs are ordered
//     by rank (1 first, 0 last, ties by name).
//
//  2. Plan (core_placement.h, core_adjust.h). A *sticky* target placement:
//     keep what may stay, promote an SI's own standby when its active is
//     gone, fill the rest from the best-ranked units within the model's
//     roles and capacities, higher-ranked SIs first. On a settled group an
//     operator SI swap, or else an auto-adjust switchback toward the *ideal*
//     placement (after every unit's probation, at most once per
//     minInterval), replaces parts of it.
//
//  3. Staging (core_staging.h). The gap between assignments and plan is
//     closed one AMF step at a time per SI: lost work removed at once;
//     otherwise wait for unconfirmed changes; a switchover quiesces the
//     active first (Quiescing for shutdown, Quiesced otherwise), then
//     activates the standby, then makes the old active standby or removes
//     it; a failover promotes the standby straight to active; standbys are
//     added before the ones they replace are removed.
//
// Invariants (asserted by tests/controllers property tests after every
// change, for every model):
//   - at most one Active (plus nothing still quiescing) per SI, except
//     N-Way-Active;
//   - no unit ever holds more than maxActive (active + quiescing +
//     quiesced) or maxStandbyInstancesPerUnit assignments; No-Redundancy at
//     most one SI per unit;
//   - no assignment survives a decision on a failed or out-of-service unit;
//     nothing new is placed on a locked, restarting or out-of-service unit,
//     and a settled group holds nothing on a locked unit;
//   - a settled group assigns every SI it has room for, in SI rank order;
//   - an SI is activated only while its sponsors are active;
//   - a switchback starts only after the probation and the minInterval.
//
// Statelessness. Everything the core needs is in the snapshot: the HA
// states themselves record a switchover in progress (a quiesced assignment
// means "moving away"), the caller keeps `last_adjustment` and each swap's
// `from_unit`. A controller restart therefore resumes exactly where it
// stopped.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef VIGIL_CONTROLLERS_ASSIGNMENT_ENGINE_H_
#define VIGIL_CONTROLLERS_ASSIGNMENT_ENGINE_H_

#include "controllers/core_types.h"

namespace vigil::core {

// The next changes for the group in `snapshot`. Never fails: assignments
// that name unknown units or SIs are removed, and sponsors missing from
// `snapshot.sponsors` count as inactive. Cost: O(assignments + SIs + units)
// plus sorting, for a group at rest or after one failure.
Decision DecideAssignments(const GroupSnapshot& snapshot);

}  // namespace vigil::core

#endif  // VIGIL_CONTROLLERS_ASSIGNMENT_ENGINE_H_
