#include "agent/node_view.h"

#include <algorithm>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

// Copies into `out` the parsed objects that `keep` accepts, reporting the
// unreadable ones; objects being deleted are left out.
// `out` maps names to T (copies) or to shared_ptr<const T> (shared).
template <typename T, typename Out, typename Keep>
void ReadAll(const std::map<std::string, typename ParsedObjects<T>::Entry>& parsed,
             std::map<std::string, Out>& out, std::vector<std::string>& unreadable, Keep keep) {
  for (const auto& [name, entry] : parsed) {
    if (!entry.typed.ok()) {
      unreadable.push_back(absl::StrCat(api::KindOf(*entry.source), "/", name, ": ",
                                        entry.typed.status().message()));
      continue;
    }
    const std::shared_ptr<const T>& typed = *entry.typed;
    if (!typed->metadata.deletion_timestamp.empty() || !keep(*typed)) continue;
    if constexpr (std::is_same_v<Out, T>) {
      out.emplace_hint(out.end(), name, *typed);
    } else {
      out.emplace_hint(out.end(), name, typed);
    }
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

bool AssignedToAny(const api::Json& si, const std::function<bool(const std::string&)>& is_local) {
  auto status = si.find("status");
  if (status == si.end() || !status->is_object()) return false;
  auto assignments = status->find("assignments");
  if (assignments == status->end() || !assignments->is_array()) return false;
  for (const api::Json& a : *assignments) {
    auto unit = a.is_object() ? a.find("unit") : a.end();
    if (unit != a.end() && unit->is_string() && is_local(unit->get_ref<const std::string&>())) {
      return true;
    }
  }
  return false;
}

NodeView ReadNodeView(const std::string& node, const NodeViewSources& sources,
                      NodeViewCache& cache) {
  NodeView view;
  std::map<std::string, api::Node> nodes;
  ReadAll<api::Node>(cache.nodes.Read(sources.nodes), nodes, view.unreadable,
                     [&](const api::Node& n) { return n.metadata.name == node; });
  if (auto it = nodes.find(node); it != nodes.end()) view.node = it->second;
  ReadAll<api::ServiceUnit>(cache.units.Read(sources.units), view.units, view.unreadable,
                            [&](const api::ServiceUnit& u) { return u.spec.node == node; });
  std::set<std::string> local_groups;
  for (const auto& [name, unit] : view.units) local_groups.insert(unit.spec.service_group);
  ReadAll<api::ServiceGroup>(
      cache.groups.Read(sources.groups), view.groups, view.unreadable,
      [&](const api::ServiceGroup& g) { return local_groups.contains(g.metadata.name); });
  ReadAll<api::Component>(
      cache.components.Read(sources.components), view.components, view.unreadable,
      [&](const api::Component& c) { return view.units.contains(c.spec.service_unit); });
  // Most SIs of a large cluster are assigned elsewhere: they are skipped
  // before parsing.
  std::vector<controllers::ObjectPtr> assigned_here;
  const auto is_local = [&](const std::string& unit) { return view.units.contains(unit); };
  for (const controllers::ObjectPtr& si : sources.instances) {
    if (view.units.empty()) break;
    if (si != nullptr && AssignedToAny(*si, is_local)) assigned_here.push_back(si);
  }
  ReadAll<api::ServiceInstance>(cache.instances.Read(assigned_here), view.instances,
                                view.unreadable, [&](const api::ServiceInstance& si) {
    return std::any_of(si.status.assignments.begin(), si.status.assignments.end(),
                       [&](const api::Assignment& a) { return view.units.contains(a.unit); });
  });
  for (const auto& [name, si] : view.instances) {
    for (const api::Assignment& a : si->status.assignments) {
      if (!view.units.contains(a.unit)) continue;
      view.assignments[a.unit].push_back({name, a.ha_state, a.successor});
    }
  }
  std::map<std::string, api::Operation> operations;
  ReadAll<api::Operation>(cache.operations.Read(sources.operations), operations, view.unreadable,
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
      const api::ServiceInstance& si = *view.instances.at(a.service_instance);
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
