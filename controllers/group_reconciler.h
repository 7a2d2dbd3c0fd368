// ReconcileGroup: one reconcile of one ServiceGroup as a pure function, from
// the API objects the group reads to the status writes that carry out the
// decision core's next steps.
//
// snapshot (controllers/snapshot.h) -> core::DecideAssignments -> apply the
// changes to the in-memory assignments -> decide again, until a decision
// changes nothing (every further step waits for the agents to confirm) ->
// new SI, SG and swap-Operation statuses (controllers/group_status.h).
// Only objects whose status actually changes are returned, so reconciling a
// settled group (or the same objects twice) writes nothing.
//
// Shared by the live AssignmentController (which writes the results through
// a Client) and the Simulator (which applies them to its own objects).
//
// Thread safety: pure function.
#ifndef VIGIL_CONTROLLERS_GROUP_RECONCILER_H_
#define VIGIL_CONTROLLERS_GROUP_RECONCILER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "controllers/core_types.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {

// One change the core made, with the HA state the assignment had before.
struct AppliedChange {
  core::Change change;
  std::optional<core::HaState> before;  // nullopt: the assignment was new
};

// "assign stream-1 -> vlc-a Active (initial assignment)",
// "promote stream-1 on vlc-b to Active (failover: unit vlc-a failed)",
// "set stream-1 on vlc-a to Quiesced (...)", "remove stream-1 from vlc-a (...)".
std::string DescribeChange(const AppliedChange& applied);

// Applies `changes` to `assignments` exactly as core::ApplyChanges does
// (assign appends an unconfirmed assignment unless one exists; set changes
// the state and clears `confirmed`; remove erases, keeping the order), but
// in time linear in their sizes (core::ApplyChanges searches the whole list
// per change). Appends each change, with the state its assignment had
// before, to `applied`.
void ApplyChangesIndexed(const std::vector<core::Change>& changes,
                         std::vector<core::Assignment>& assignments,
                         std::vector<AppliedChange>& applied);

struct GroupReconcile {
  // Whole objects (copies of the inputs, metadata.resourceVersion kept for
  // compare-and-swap) carrying their new status, to write with UpdateStatus.
  // Order of writing: operations, then the group, then the instances (what
  // a restarted controller needs to resume — a swap's fromUnit, the group's
  // lastAdjustment — is stored before the assignments it explains).
  std::vector<api::Json> operation_writes;
  std::optional<api::Json> group_write;
  std::vector<api::Json> instance_writes;
  // Every change made, in order, and the swap progress reported.
  std::vector<AppliedChange> changes;
  std::vector<core::SwapProgress> swaps;
  // The last decision (no changes): notes, timers, units to start / stop.
  core::Decision last;
  // Reconcile again at this time even without an event.
  absl::Time requeue_at = absl::InfiniteFuture();
  int rounds = 0;                        // decisions taken
  std::vector<std::string> unreadable;   // objects skipped, "kind/name: why"
};

// Reconciles the group in `objects` at `now`, reading the objects through
// `cache` when it is not null (see ViewCache).
// Errors: InvalidArgument if objects.group is null or unreadable.
absl::StatusOr<GroupReconcile> ReconcileGroup(const GroupObjects& objects,
                                              absl::Time now,
                                              ViewCache* cache = nullptr);

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_GROUP_RECONCILER_H_
