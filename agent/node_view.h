// NodeView: the slice of the cluster one node agent acts on, read from its
// informer caches at one moment, and what follows from it: which CSIs each
// of its components should hold, in which HA state.
//
// Thread safety: plain values; the functions are pure.
#ifndef VIGIL_AGENT_NODE_VIEW_H_
#define VIGIL_AGENT_NODE_VIEW_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/component_runner.h"
#include "api/object.h"
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
  // Assigned to those units; shared with the parse cache (thousands on a
  // busy node: not copied per read).
  std::map<std::string, std::shared_ptr<const api::ServiceInstance>> instances;
  std::map<std::string, std::vector<UnitAssignment>> assignments;  // by unit
  std::vector<api::Operation> operations;  // open ones targeting this node's objects
  std::vector<std::string> unreadable;     // "Kind/name: why"
};

struct NodeViewSources {
  std::vector<controllers::ObjectPtr> nodes, groups, units, components, instances, operations;
};

// Typed copies of informer objects of one kind, kept between reads so that
// only objects that changed are parsed again: an informer never mutates a
// cached object, so the same snapshot pointer means the same content.
// Objects absent from a read are dropped.
//
// Thread safety: none; one reader at a time.
template <typename T>
class ParsedObjects {
 public:
  struct Entry {
    controllers::ObjectPtr source;
    absl::StatusOr<std::shared_ptr<const T>> typed;
  };
  // The parse of each of `objects` (null ones skipped), by name, reusing
  // the previous read's parse of every snapshot seen then.
  const std::map<std::string, Entry>& Read(const std::vector<controllers::ObjectPtr>& objects) {
    std::map<std::string, Entry> next;
    for (const controllers::ObjectPtr& obj : objects) {
      if (obj == nullptr) continue;
      std::string name = api::NameOf(*obj);
      auto old = entries_.find(name);
      if (old != entries_.end() && old->second.source == obj) {
        next.insert(next.end(), {std::move(name), std::move(old->second)});
      } else {
        next.insert(next.end(), {std::move(name), Entry{obj, Parse(*obj)}});
      }
    }
    entries_.swap(next);
    return entries_;
  }

 private:
  static absl::StatusOr<std::shared_ptr<const T>> Parse(const api::Json& obj) {
    absl::StatusOr<T> typed = api::FromJson<T>(obj);
    if (!typed.ok()) return typed.status();
    return std::make_shared<const T>(*std::move(typed));
  }

  std::map<std::string, Entry> entries_;
};

// What ReadNodeView keeps between calls of one agent.
struct NodeViewCache {
  ParsedObjects<api::Node> nodes;
  ParsedObjects<api::ServiceGroup> groups;
  ParsedObjects<api::ServiceUnit> units;
  ParsedObjects<api::Component> components;
  ParsedObjects<api::ServiceInstance> instances;
  ParsedObjects<api::Operation> operations;
};

// Reads the objects that concern `node`. Objects being deleted are left out
// (their components are then stopped). Only ServiceInstances with an
// assignment to one of the node's units are parsed; `cache` keeps the
// parses for the next call.
NodeView ReadNodeView(const std::string& node, const NodeViewSources& sources,
                      NodeViewCache& cache);

// Whether the ServiceInstance object `si` (JSON) has an assignment to a
// unit for which `is_local(unit name)` holds. Cheap: reads only
// status.assignments[].unit, so that an agent can skip the SIs of other
// nodes without parsing them.
bool AssignedToAny(const api::Json& si, const std::function<bool(const std::string&)>& is_local);

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
