// NodeView: the slice of the cluster one node agent acts on, read from its
// informer caches at one moment, and what follows from it: which CSIs each
// of its components should hold, in which HA state.
//
// Thread safety: plain values; the functions are pure.
#ifndef VIGIL_AGENT_NODE_VIEW_H_
#define VIGIL_AGENT_NODE_VIEW_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/component_runner.h"
#include "api/types.h"
#include "controllers/informer.h"

namespace vigil::agent {

// One SI assigned to one of this node's units.
struct UnitAssignment {
  std::string service_instance;
  api::HaState ha_state = api::HaState::kNone;
  api::Successor successor{};  // Quiesced: who takes over (api::Assignment)
};

struct NodeView {
  std::optional<api::Node> node;
  std::map<std::string, api::ServiceUnit> units;                   // spec.node == this node
  std::map<std::string, api::ServiceGroup> groups;                 // of those units
  std::map<std::string, api::Component> components;                // of those units
  std::map<std::string, api::ServiceInstance> instances;           // assigned to those units
  std::map<std::string, std::vector<UnitAssignment>> assignments;  // by unit
  std::vector<api::Operation> operations;  // open ones targeting this node's objects
  std::vector<std::string> unreadable;     // "Kind/name: why"
};

struct NodeViewSources {
  std::vector<controllers::ObjectPtr> nodes, groups, units, components, instances, operations;
};

// Reads the objects that concern `node`. Objects being deleted are left out
// (their components are then stopped).
NodeView ReadNodeView(const std::string& node, const NodeViewSources& sources);

// The CSIs each component of the view should hold (by component name; a
// component of a unit with no assignment maps to an empty list): every CSI
// of every SI assigned to its unit whose csType is one of its csTypes, in the
// HA state of that assignment. CSIs come in SI order, then spec order.
std::map<std::string, std::vector<CsiAssignment>> ComponentAssignments(const NodeView& view);

// Whether the unit may have its components instantiated: not locked for
// instantiation at the node, group or unit level, or still holding
// assignments (LockedInstantiation takes effect once they are handed over).
bool InstantiationAllowed(const NodeView& view, const api::ServiceUnit& unit);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_NODE_VIEW_H_
