// Builders of API objects for the assignment controller tests, and a tiny
// in-memory world that plays the store and the agents around the pure
// ReconcileGroup (for tests that need no Registry).
#ifndef VIGIL_TESTS_CONTROLLERS_CONTROLLER_OBJECTS_H_
#define VIGIL_TESTS_CONTROLLERS_CONTROLLER_OBJECTS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "api/object.h"
#include "controllers/group_reconciler.h"
#include "controllers/snapshot.h"

namespace vigil::controllers::testing {

using api::Json;

inline absl::Time T0() { return absl::FromUnixSeconds(1'767'225'600); }  // 2026-01-01

inline Json Obj(const std::string& kind, const std::string& name, Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}, {"generation", 1}, {"resourceVersion", "1"}}},
          {"spec", std::move(spec)}};
}

inline Json Group(const std::string& name, const std::string& model, Json extra = {}) {
  Json spec = {{"redundancyModel", model}};
  if (extra.is_object()) spec.update(extra);
  return Obj("ServiceGroup", name, spec);
}

inline Json ReadyNode(const std::string& name, bool ready = true,
                      const std::string& admin = "Unlocked") {
  Json node = Obj("Node", name, {{"adminState", admin}});
  node["status"] = {{"conditions", {{{"type", "Ready"},
                                     {"status", ready ? "True" : "False"}}}}};
  return node;
}

inline Json InServiceStatus(absl::Time since) {
  return {{"presenceState", "Instantiated"},
          {"operState", "Enabled"},
          {"readinessState", "InService"},
          {"inServiceSince", Rfc3339Millis(since)}};
}

inline Json Unit(const std::string& name, const std::string& group,
                 const std::string& node, int rank, Json status = nullptr) {
  Json unit = Obj("ServiceUnit", name,
                  {{"serviceGroup", group}, {"node", node}, {"rank", rank}});
  if (!status.is_null()) unit["status"] = std::move(status);
  return unit;
}

inline Json Instance(const std::string& name, const std::string& group,
                     Json extra = {}) {
  Json spec = {{"serviceGroup", group},
               {"csis", {{{"name", "main"}, {"csType", "main"}}}}};
  if (extra.is_object()) spec.update(extra);
  return Obj("ServiceInstance", name, spec);
}

inline Json SwapOp(const std::string& name, const std::string& si,
                   const std::string& created = "2026-01-01T00:00:00Z") {
  Json op = Obj("Operation", name, {{"action", "SwapServiceInstance"}, {"target", si}});
  op["metadata"]["creationTimestamp"] = created;
  return op;
}

inline ObjectPtr Ptr(const Json& obj) { return std::make_shared<const Json>(obj); }

// One group's objects in memory: reconcile, write back, confirm as agents.
class MiniWorld {
 public:
  void Put(const Json& obj) {
    objects_[api::KindOf(obj)][api::NameOf(obj)] = obj;
  }
  Json& Get(const std::string& kind, const std::string& name) {
    return objects_[kind][name];
  }
  GroupObjects ObjectsOf(const std::string& group) {
    GroupObjects out;
    out.group = Ptr(Get("ServiceGroup", group));
    for (auto& [name, obj] : objects_["ServiceUnit"]) out.units.push_back(Ptr(obj));
    for (auto& [name, obj] : objects_["ServiceInstance"]) out.instances.push_back(Ptr(obj));
    for (auto& [name, obj] : objects_["Node"]) out.nodes.push_back(Ptr(obj));
    for (auto& [name, obj] : objects_["Operation"]) out.operations.push_back(Ptr(obj));
    return out;
  }
  // Reconciles once at `now` and stores every write.
  GroupReconcile Reconcile(const std::string& group, absl::Time now) {
    absl::StatusOr<GroupReconcile> result = ReconcileGroup(ObjectsOf(group), now);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    for (const Json& w : result->operation_writes) Put(w);
    if (result->group_write) Put(*result->group_write);
    for (const Json& w : result->instance_writes) Put(w);
    return *result;
  }
  // Every unit reports exactly the HA states its SIs' assignments ask for.
  void ConfirmAll() {
    std::map<std::string, Json> reached;
    for (auto& [si, obj] : objects_["ServiceInstance"]) {
      for (const Json& a : obj["status"].value("assignments", Json::array())) {
        reached[a["unit"]].push_back({{"serviceInstance", si}, {"haState", a["haState"]}});
      }
    }
    for (auto& [name, unit] : objects_["ServiceUnit"]) {
      if (reached.count(name)) {
        unit["status"]["haStates"] = reached[name];
      } else if (unit.contains("status")) {
        unit["status"].erase("haStates");
      }
    }
  }
  // Reconciles and confirms until a reconcile writes nothing; returns the
  // changes described, in order.
  std::vector<std::string> Settle(const std::string& group, absl::Time now) {
    std::vector<std::string> log;
    for (int i = 0; i < 20; ++i) {
      GroupReconcile r = Reconcile(group, now);
      for (const AppliedChange& c : r.changes) log.push_back(DescribeChange(c));
      const bool wrote = !r.instance_writes.empty() || r.group_write ||
                         !r.operation_writes.empty();
      ConfirmAll();
      if (!wrote) return log;
    }
    ADD_FAILURE() << "no fixpoint";
    return log;
  }
  Json& Status(const std::string& kind, const std::string& name) {
    return Get(kind, name)["status"];
  }

 private:
  std::map<std::string, std::map<std::string, Json>> objects_;
};

}  // namespace vigil::controllers::testing

#endif  // VIGIL_TESTS_CONTROLLERS_CONTROLLER_OBJECTS_H_
