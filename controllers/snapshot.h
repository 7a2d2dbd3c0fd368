// Snapshot conversion: from the API objects of one ServiceGroup (as the
// informer caches hold them) to the decision core's core::GroupSnapshot.
//
// The mapping follows docs/architecture.md:
//   - a unit's readiness comes from its status (written by the agent of its
//     node) and its Node's Ready condition: node not Ready or unit never
//     reported -> OutOfService; operState Disabled -> Failed; presence
//     Restarting -> Restarting; presence Instantiating -> Instantiating;
//     readinessState InService and operState Enabled -> InService since
//     status.inServiceSince; anything else -> OutOfService;
//   - an SI assignment is confirmed when its unit's status.haStates reports
//     the same HA state for that SI;
//   - a sponsor SI is active when it holds a confirmed Active assignment;
//     `since` is the lastTransitionTime of its Assigned condition (which the
//     assignment controller flips exactly when that changes);
//   - pending SwapServiceInstance Operations become swap requests (the
//     oldest per SI; fromUnit from its status).
// Shared by the live AssignmentController and the Simulator.
//
// Thread safety: plain values and pure functions.
#ifndef VIGIL_CONTROLLERS_SNAPSHOT_H_
#define VIGIL_CONTROLLERS_SNAPSHOT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "api/types.h"
#include "controllers/core_types.h"

namespace vigil::controllers {

// Same alias as controllers/informer.h (an identical redeclaration).
using ObjectPtr = std::shared_ptr<const api::Json>;

// The API objects one reconcile of a ServiceGroup reads. Never mutated.
struct GroupObjects {
  ObjectPtr group;                    // the ServiceGroup
  std::vector<ObjectPtr> units;       // ServiceUnits whose spec.serviceGroup is it
  std::vector<ObjectPtr> instances;   // ServiceInstances whose spec.serviceGroup is it
  std::vector<ObjectPtr> sponsors;    // SIs of other groups named in dependsOn
  std::vector<ObjectPtr> nodes;       // Nodes of the units (missing ones absent)
  std::vector<ObjectPtr> hosts;       // SIs of the VMs hosting those Nodes (spec.hostedBy)
  std::vector<ObjectPtr> operations;  // SwapServiceInstance Operations on its SIs
};

// The same objects read into typed views (api/types.h), keyed by name.
struct GroupView {
  api::ServiceGroup group;
  std::map<std::string, api::ServiceUnit> units;
  std::map<std::string, api::ServiceInstance> instances;
  std::map<std::string, api::ServiceInstance> sponsors;
  std::map<std::string, api::Node> nodes;
  std::map<std::string, api::ServiceInstance> hosts;
  std::vector<api::Operation> operations;  // oldest first
  // Objects that could not be read (skipped), "kind/name: why".
  std::vector<std::string> unreadable;
};

// Typed views of immutable objects, kept while the very same object (the
// same shared_ptr) comes back, so a reconcile of a group that did not change
// reads nothing twice. Holds one version per name (names of deleted objects
// linger until a new object takes the name).
// Thread safety: not thread-safe; one per worker.
class ViewCache {
 public:
  // FromJson<T>(*obj), or the view read earlier from this same object.
  template <typename T>
  absl::StatusOr<T> Read(const ObjectPtr& obj);

 private:
  template <typename T>
  struct Slot {
    ObjectPtr obj;
    T view;
  };
  template <typename T>
  std::map<std::string, Slot<T>>& Slots();

  std::map<std::string, Slot<api::ServiceGroup>> groups_;
  std::map<std::string, Slot<api::ServiceUnit>> units_;
  std::map<std::string, Slot<api::ServiceInstance>> instances_;
  std::map<std::string, Slot<api::Node>> nodes_;
  std::map<std::string, Slot<api::Operation>> operations_;
};

// Reads `objects` into typed views (through `cache` when not null). Units
// and SIs of other groups, and objects marked for deletion, are skipped.
// Unreadable members are skipped and listed in `unreadable`.
// Errors: InvalidArgument if the group itself is missing or unreadable.
absl::StatusOr<GroupView> ReadGroup(const GroupObjects& objects,
                                    ViewCache* cache = nullptr);

// RFC 3339 in UTC with milliseconds: "2026-01-01T00:00:05.010Z".
std::string Rfc3339Millis(absl::Time time);
// Parses any RFC 3339 timestamp; InfinitePast() if empty or malformed.
absl::Time ParseRfc3339(const std::string& rfc3339);

// True if the Node's Ready condition is True.
bool NodeReady(const api::Node& node);

// The lastTransitionTime of the Node's Ready condition when it is not True
// (the outage fencing is about), "" when Ready or never reported.
// REQUIRES (for fencing to work): whoever marks a node not Ready sets it.
std::string NodeOutage(const api::Node& node);

// True when the Node's agent itself reported Ready=False, reason SelfFenced:
// it stopped every component it ran (agent/node_agent_lease.cc).
bool NodeSelfFenced(const api::Node& node);

// True while the Node is not Ready (and its agent did not report that it
// fenced itself), declares fencing (spec.fencing), and
// status.fencing holds no verdict for this outage that lets recovery go on
// (Fenced, or ProceededUnfenced after the timeout): what its units ran may
// still run, so it must not be started elsewhere yet.
bool NodeAwaitsFence(const api::Node& node);

// Since when a nested Node is up as far as its host goes: InfinitePast() for
// a Node not hosted by a VM (no spec.hostedBy); for a hosted one, since when
// the hosting SI (found in `hosts`) holds a confirmed Active assignment, i.e.
// its VM runs (InfinitePast() if unknown); nullopt while it does not.
std::optional<absl::Time> HostUpSince(const api::Node& node,
                                      const std::map<std::string, api::ServiceInstance>& hosts);

// The core's readiness of `unit`, whose node is `node` (null: no such Node).
// A Node that is not Ready, or whose hosting VM lost its active assignment
// (`host_running` false), takes its units out of service at once — unless
// the node awaits its fencing (NodeAwaitsFence) and the unit is not
// pre-instantiable: then it is AwaitingFence and keeps its assignments.
core::Readiness UnitReadiness(const api::ServiceUnit& unit, const api::Node* node,
                              bool host_running = true);

// The HA state `unit` reports reached for SI `instance`, or kNone.
api::HaState ReachedState(const api::ServiceUnit& unit, const std::string& instance);

// Whether `instance` holds a confirmed Active assignment, and since when
// (its Assigned condition's lastTransitionTime; InfinitePast if unknown).
core::SponsorStatus SponsorActivity(const api::ServiceInstance& instance);

// Enum conversions between the API and the core.
core::AdminState ToCore(api::AdminState state);
core::HaState ToCore(api::HaState state);  // REQUIRES: state != kNone
core::RedundancyModel ToCore(api::RedundancyModel model);
api::HaState ToApi(core::HaState state);

// The core's view of the group at `now` (see the file comment).
core::GroupSnapshot BuildSnapshot(const GroupView& view, absl::Time now);

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_SNAPSHOT_H_
