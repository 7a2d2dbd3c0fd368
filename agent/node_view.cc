#include "agent/node_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

template <typename T, typename Keep>
void ReadAll(const std::vector<controllers::ObjectPtr>& objects, std::map<std::string, T>& out,
             std::vector<std::string>& unreadable, Keep keep) {
  for (const controllers::ObjectPtr& obj : objects) {
    if (obj == nullptr) continue;
    absl::StatusOr<T> typed = api::FromJson<T>(*obj);
    if (!typed.ok()) {
      unreadable.push_back(
          absl::StrCat(api::KindOf(*obj), "/", api::NameOf(*obj), ": ", typed.status().message()));
      continue;
    }
    if (!typed->metadata.deletion_timestamp.empty() || !keep(*typed)) continue;
    std::string name = typed->metadata.name;
    out.emplace(std::move(name), *std::move(typed));
  }
}

bool Finished(const api::Operation& op) {
  return op.status.phase == api::OperationPhase::kSucceeded ||
         op.status.phase == api::OperationPhase::kFailed;
}

bool TargetsView(const NodeView& view, const api::Operation& op, const std::string& node) {
  switch (op.spec.action) {
    case api::OperationAction::kRestartUnit:
      return view.units.contains(op.spec.target);
    case api::OperationAction::kRestartComponent:
      return view.components.contains(op.spec.target);
    case api::OperationAction::kRepaired:
      return view.units.contains(op.spec.target) || op.spec.target == node;
    case api::OperationAction::kSwapServiceInstance:
      return false;
  }
  return false;
}

}  // namespace

NodeView ReadNodeView(const std::string& node, const NodeViewSources& sources) {
  NodeView view;
  std::map<std::string, api::Node> nodes;
  ReadAll(sources.nodes, nodes, view.unreadable,
          [&](const api::Node& n) { return n.metadata.name == node; });
  if (auto it = nodes.find(node); it != nodes.end()) view.node = it->second;
  ReadAll(sources.units, view.units, view.unreadable,
          [&](const api::ServiceUnit& u) { return u.spec.node == node; });
  ReadAll(sources.groups, view.groups, view.unreadable, [&](const api::ServiceGroup& g) {
    return std::any_of(view.units.begin(), view.units.end(), [&](const auto& u) {
      return u.second.spec.service_group == g.metadata.name;
    });
  });
  ReadAll(sources.components, view.components, view.unreadable,
          [&](const api::Component& c) { return view.units.contains(c.spec.service_unit); });
  ReadAll(sources.instances, view.instances, view.unreadable, [&](const api::ServiceInstance& si) {
    return std::any_of(si.status.assignments.begin(), si.status.assignments.end(),
                       [&](const api::Assignment& a) { return view.units.contains(a.unit); });
  });
  for (const auto& [name, si] : view.instances) {
    for (const api::Assignment& a : si.status.assignments) {
      if (!view.units.contains(a.unit)) continue;
      view.assignments[a.unit].push_back({name, a.ha_state, a.successor});
    }
  }
  std::map<std::string, api::Operation> operations;
  ReadAll(sources.operations, operations, view.unreadable,
          [&](const api::Operation& op) { return !Finished(op) && TargetsView(view, op, node); });
  for (auto& [name, op] : operations) view.operations.push_back(std::move(op));
  return view;
}

std::map<std::string, std::vector<CsiAssignment>> ComponentAssignments(const NodeView& view) {
  std::map<std::string, std::vector<CsiAssignment>> out;
  for (const auto& [name, component] : view.components) {
    std::vector<CsiAssignment>& csis = out[name];
    auto assigned = view.assignments.find(component.spec.service_unit);
    if (assigned == view.assignments.end()) continue;
    for (const UnitAssignment& a : assigned->second) {
      const api::ServiceInstance& si = view.instances.at(a.service_instance);
      for (const api::Csi& csi : si.spec.csis) {
        const auto& types = component.spec.cs_types;
        if (std::find(types.begin(), types.end(), csi.cs_type) == types.end()) continue;
        csis.push_back({.service_instance = a.service_instance,
                        .csi = csi,
                        .ha_state = a.ha_state,
                        .successor = a.successor});
      }
    }
  }
  return out;
}

bool InstantiationAllowed(const NodeView& view, const api::ServiceUnit& unit) {
  // Assignments still held are handed over first (the controller quiesces
  // them, as for a lock); stopping the components now would turn that
  // graceful switchover into a failover.
  if (view.assignments.contains(unit.metadata.name)) return true;
  const auto locked = api::AdminState::kLockedInstantiation;
  if (unit.spec.admin_state == locked) return false;
  if (view.node.has_value() && view.node->spec.admin_state == locked) return false;
  auto group = view.groups.find(unit.spec.service_group);
  return group == view.groups.end() || group->second.spec.admin_state != locked;
}

}  // namespace vigil::agent
