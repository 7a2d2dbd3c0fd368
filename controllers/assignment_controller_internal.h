// Internal to the AssignmentController: JSON helpers for the event handlers
// and the overlay of statuses written but not yet seen by the informers.
//
// Thread safety: the helpers are pure; the Overlay is guarded by the
// controller's decide_mu_.
#ifndef VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_INTERNAL_H_
#define VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_INTERNAL_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "api/object.h"
#include "controllers/assignment_controller.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {
namespace internal {

// Work-queue keys of operations ("operation:NAME"); group names cannot
// contain ':' (DNS-1123), so the two never collide.
inline constexpr std::string_view kOperationKeyPrefix = "operation:";

// obj.spec[field] as a string, or "".
std::string SpecString(const api::Json& obj, const char* field);

// The names in obj.spec.dependsOn[].serviceInstance.
std::vector<std::string> SponsorNames(const api::Json& obj);

// Whether a Node update changes what the controller sees: its spec, its
// deletion, its Ready condition, or its fencing verdict (heartbeats alone
// do not).
bool NodeMatters(const api::Json& old_obj, const api::Json& new_obj);

// CPU time (user + system) of the calling thread so far.
absl::Duration ThreadCpu();

// metadata.resourceVersion as a number (0 if absent or malformed).
int64_t RevisionOf(const api::Json& obj);

}  // namespace internal

// Statuses the worker wrote, by "Kind/name", kept until the informer's copy
// is at least as new (reads prefer the newer of the two); and the typed
// views of what it read.
struct AssignmentController::Overlay {
  std::map<std::string, ObjectPtr> written;
  ViewCache views;  // typed views of the objects reconciles read
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_INTERNAL_H_
