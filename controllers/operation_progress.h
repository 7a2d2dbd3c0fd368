// Progress of the Operations the node agents carry out (RestartUnit,
// RestartComponent, Repaired), as the assignment controller observes it.
//
// The agent of the target's node watches Operations and acts on them; the
// controller only records what it sees (docs/architecture.md: Operation
// status is the controller's):
//   - Pending -> Running at once (startTime = now; the message says whose
//     move it is);
//   - RestartUnit succeeds once the unit is Enabled and InService again
//     with an inServiceSince after startTime (the agent moves
//     inServiceSince when a unit restart completes);
//   - RestartComponent succeeds once the component is Instantiated with a
//     startTime after the operation's startTime;
//   - Repaired succeeds once the unit is Enabled and InService (target a
//     ServiceUnit) or the node is Ready and none of its units is Disabled
//     (target a Node; a ServiceUnit of the same name wins). A node with a
//     Disabled unit thus stays Running until its agent, which acts on
//     Running operations only, has repaired them;
//   - an operation whose target does not exist fails.
// SwapServiceInstance is the decision core's (controllers/group_reconciler.h);
// here it only fails when its ServiceInstance does not exist.
//
// Thread safety: pure function.
#ifndef VIGIL_CONTROLLERS_OPERATION_PROGRESS_H_
#define VIGIL_CONTROLLERS_OPERATION_PROGRESS_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "api/types.h"

namespace vigil::controllers {

// The objects an operation may name (null when absent).
struct OperationTargets {
  const api::ServiceInstance* instance = nullptr;
  const api::ServiceUnit* unit = nullptr;
  const api::Component* component = nullptr;
  const api::Node* node = nullptr;
  // With `node`: the units placed on that node.
  std::vector<const api::ServiceUnit*> node_units;
};

// True once the operation has succeeded or failed.
bool OperationFinished(const api::Operation& op);

// The operation's next status at `now`, or nullopt when it stays as it is
// (finished, or a swap whose ServiceInstance exists).
std::optional<api::OperationStatus> NextOperationStatus(const api::Operation& op,
                                                        const OperationTargets& targets,
                                                        absl::Time now);

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_OPERATION_PROGRESS_H_
