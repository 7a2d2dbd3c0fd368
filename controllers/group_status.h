// Status writing: from what the decision core left (assignments, notes,
// swap progress) and the previous statuses to the new statuses of a
// group's ServiceInstances, of the ServiceGroup and of swap Operations.
//
// Every function is pure and idempotent: given the same inputs and a status
// it produced itself, it returns that status unchanged, whatever `now` is
// (times only move when something changes: an assignment's `since` when its
// unit or HA state changes, a condition's lastTransitionTime when its status
// flips). So a reconcile of a settled group writes nothing.
//
// Shared by the live AssignmentController and the Simulator.
//
// Thread safety: pure functions.
#ifndef VIGIL_CONTROLLERS_GROUP_STATUS_H_
#define VIGIL_CONTROLLERS_GROUP_STATUS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/types.h"
#include "controllers/core_types.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {

// Sets `wanted` in `conditions` (matched by type; appended if absent). The
// lastTransitionTime becomes `now` only when the status differs from the
// one stored (or the condition is new); otherwise the stored time is kept.
void SetCondition(std::vector<api::Condition>& conditions, api::Condition wanted,
                  absl::Time now);

// What one reconcile decided for one SI.
struct InstanceOutcome {
  std::vector<core::Assignment> assignments;  // its final assignments
  std::string note;         // the core's note (why not fully assigned), or ""
  std::string last_reason;  // reason of the last change made to it now, or ""
};

// The number of active and standby assignments that make `si` fully
// assigned under `model` (AMF: the preferred numbers).
int WantedActives(core::RedundancyModel model, const api::ServiceInstance& si);
int WantedStandbys(core::RedundancyModel model, const api::ServiceGroupSpec& group,
                   const api::ServiceInstance& si);

// The new status of `si`: assignments {unit, node, haState, since,
// confirmed} ordered Active, Quiescing, Quiesced, Standby then by unit;
// activeUnits, standbyUnits; assignmentState; the Assigned condition (True
// while a confirmed Active exists; reason FullyAssigned, PartiallyAssigned,
// AwaitingConfirmation, Unassigned or Locked; message the core's note);
// message (the note, else the reason of the last change, kept until the
// next change); observedGeneration.
api::ServiceInstanceStatus NextInstanceStatus(const api::ServiceInstance& si,
                                              const InstanceOutcome& outcome,
                                              const GroupView& view, absl::Time now);

// The status of an SI whose ServiceGroup does not exist: no assignments,
// Unassigned, the Assigned condition False with reason NoServiceGroup.
api::ServiceInstanceStatus OrphanInstanceStatus(const api::ServiceInstance& si,
                                                absl::Time now);

// What one reconcile decided for the whole group.
struct GroupOutcome {
  const core::GroupSnapshot* snapshot = nullptr;  // after the changes
  const core::Decision* last = nullptr;           // the final decision
  // The new assignmentState of each SI (by name).
  std::map<std::string, api::AssignmentState> instance_states;
};

// The new ServiceGroup status: unit and SI counts, the conditions Available
// (every unlocked SI has a confirmed active), Progressing (assignments
// unconfirmed or a switchover under way) and Degraded (an unlocked SI is
// not fully assigned), lastAdjustment, message, observedGeneration.
// REQUIRES: outcome.snapshot and outcome.last are non-null.
api::ServiceGroupStatus NextGroupStatus(const api::ServiceGroup& group,
                                        const GroupOutcome& outcome, absl::Time now);

// Whether two statuses hold the same values (so that the JSON written for
// `next` would equal the one stored for `current`, which ToJson wrote).
bool SameStatus(const api::ServiceInstanceStatus& next,
                const api::ServiceInstanceStatus& current);
bool SameStatus(const api::ServiceGroupStatus& next,
                const api::ServiceGroupStatus& current);

// The new status of a SwapServiceInstance operation given the core's
// progress report: Waiting -> Pending, InProgress -> Running (startTime,
// fromUnit), Done -> Succeeded, Rejected -> Failed (completionTime), with
// the Complete condition.
api::OperationStatus NextSwapStatus(const api::Operation& op,
                                    const core::SwapProgress& progress,
                                    absl::Time now);

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_GROUP_STATUS_H_
