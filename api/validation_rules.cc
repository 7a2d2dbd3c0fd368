// Cross-field rules that the schemas cannot express.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/validation_internal.h"
#include "api/strings.h"

namespace vigil::api::internal {
namespace {

// The CSI dependency graph of one ServiceInstance spec: name -> dependsOn.
using CsiGraph = std::map<std::string, std::vector<std::string>>;

// Checks each csis[i].dependsOn[j] names another CSI of the instance, and
// returns the graph of the valid edges.
CsiGraph CheckCsiReferences(const Json& csis, FieldErrorCollector& errors) {
  std::set<std::string> names;
  for (const Json& csi : csis) {
    if (csi.is_object() && csi.contains("name") && csi["name"].is_string()) {
      names.insert(csi["name"].get<std::string>());
    }
  }
  CsiGraph graph;
  for (size_t i = 0; i < csis.size(); ++i) {
    const Json& csi = csis[i];
    if (!HasMember(csi, "name") || !csi["name"].is_string()) continue;
    const std::string name = csi["name"].get<std::string>();
    graph[name];
    if (!HasMember(csi, "dependsOn") || !csi["dependsOn"].is_array()) continue;
    const Json& depends_on = csi["dependsOn"];
    const std::string path = ChildPath(IndexPath("spec.csis", i), "dependsOn");
    for (size_t j = 0; j < depends_on.size(); ++j) {
      const Json& target = depends_on[j];
      if (!target.is_string()) continue;  // reported by the schema
      const std::string target_name = target.get<std::string>();
      if (target_name == name) {
        errors.Invalid(IndexPath(path, j), target, "a CSI may not depend on itself");
      } else if (names.count(target_name) == 0) {
        errors.Invalid(IndexPath(path, j), target,
                       "no CSI of this name in spec.csis");
      } else {
        graph[name].push_back(target_name);
      }
    }
  }
  return graph;
}

// Depth-first search for a cycle; on finding one, fills *cycle with its
// names, first repeated last ("a", "b", "a").
bool FindCycle(const CsiGraph& graph, const std::string& node,
               std::map<std::string, int>& state, std::vector<std::string>& stack,
               std::vector<std::string>* cycle) {
  enum { kUnvisited = 0, kOnStack = 1, kDone = 2 };
  state[node] = kOnStack;
  stack.push_back(node);
  for (const std::string& next : graph.at(node)) {
    if (state[next] == kOnStack) {
      auto start = std::find(stack.begin(), stack.end(), next);
      cycle->assign(start, stack.end());
      cycle->push_back(next);
      return true;
    }
    if (state[next] == kUnvisited && FindCycle(graph, next, state, stack, cycle)) {
      return true;
    }
  }
  stack.pop_back();
  state[node] = kDone;
  return false;
}

void CheckCsiCycles(const CsiGraph& graph, FieldErrorCollector& errors) {
  std::map<std::string, int> state;
  for (const auto& [name, ignored] : graph) {
    std::vector<std::string> stack, cycle;
    if (state[name] == 0 && FindCycle(graph, name, state, stack, &cycle)) {
      errors.Invalid("spec.csis", Json(absl::StrJoin(cycle, " -> ")),
                     "CSI dependencies must not form a cycle");
      return;
    }
  }
}

void CheckServiceInstance(std::string_view name, const Json& spec,
                          FieldErrorCollector& errors) {
  if (HasMember(spec, "csis") && spec["csis"].is_array()) {
    CheckCsiCycles(CheckCsiReferences(spec["csis"], errors), errors);
  }
  if (!HasMember(spec, "dependsOn") || !spec["dependsOn"].is_array()) return;
  const Json& depends_on = spec["dependsOn"];
  for (size_t i = 0; i < depends_on.size(); ++i) {
    const Json& sponsor = depends_on[i];
    if (!HasMember(sponsor, "serviceInstance")) continue;
    const Json& sponsor_name = sponsor["serviceInstance"];
    if (sponsor_name.is_string() && !name.empty() &&
        sponsor_name.get<std::string>() == name) {
      errors.Invalid(
          ChildPath(IndexPath("spec.dependsOn", i), "serviceInstance"),
          sponsor_name, "a service instance may not depend on itself");
    }
  }
}

// A domain keeps its identity from host to host only with a fixed <uuid>:
// without one, each unit's definition gets its own and libvirt refuses to
// migrate the domain onto a host that defined it under another.
void CheckComponent(const Json& spec, FieldErrorCollector& errors) {
  if (!HasMember(spec, "virtualMachine")) return;
  const Json& vm = spec["virtualMachine"];
  if (!HasMember(vm, "allowMigration") || vm["allowMigration"] != Json(true)) return;
  if (!HasMember(vm, "domainXML") || !vm["domainXML"].is_string()) return;
  if (vm["domainXML"].get<std::string>().find("<uuid>") == std::string::npos) {
    errors.Invalid("spec.virtualMachine.domainXML", Json("(no <uuid>)"),
                   "with allowMigration the domain XML must carry a <uuid>, the same on "
                   "every unit's component, so the domain keeps its identity from node to node");
  }
}

}  // namespace

void CheckCrossFieldRules(std::string_view kind, std::string_view name,
                          const Json& spec, FieldErrorCollector& errors) {
  if (kind == "ServiceInstance") CheckServiceInstance(name, spec, errors);
  if (kind == "Component") CheckComponent(spec, errors);
}

}  // namespace vigil::api::internal
