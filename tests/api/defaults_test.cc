#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/validation.h"
#include "tests/api/test_objects.h"

namespace vigil::api {
namespace {

using testing::ParseOne;

TEST(ApplyDefaults, FillsSpecDefaultsAndApiVersion) {
  Json sg = ParseOne("kind: ServiceGroup\nmetadata: {name: vlc}\nspec: {redundancyModel: 2N}\n");
  ApplyDefaults(sg);
  EXPECT_EQ(sg, Json::parse(R"({"apiVersion": "vigil.io/v1", "kind": "ServiceGroup",
      "metadata": {"name": "vlc"},
      "spec": {"redundancyModel": "2N", "adminState": "Unlocked",
               "preferredActiveUnits": 1, "preferredStandbyUnits": 1,
               "preferredInServiceUnits": 0, "maxActiveInstancesPerUnit": 0,
               "maxStandbyInstancesPerUnit": 0, "autoRepair": true,
               "autoAdjust": {"enabled": false, "probation": "10s", "minInterval": "30s"},
               "recovery": {"componentRestartMax": 3, "componentRestartProbation": "60s",
                            "unitRestartMax": 2, "unitRestartProbation": "10m"}}})"));
}

TEST(ApplyDefaults, NeverOverwritesAndIsIdempotent) {
  Json node = ParseOne(R"yaml(kind: Node
metadata: {name: n}
spec: {autoRepair: false, unitFailoverMax: 0, hypervisor: "qemu+ssh://h/system"}
)yaml");
  ApplyDefaults(node);
  EXPECT_EQ(node["spec"]["autoRepair"], false);
  EXPECT_EQ(node["spec"]["unitFailoverMax"], 0);
  EXPECT_EQ(node["spec"]["hypervisor"], "qemu+ssh://h/system");
  EXPECT_EQ(node["spec"]["unitFailoverProbation"], "10m");
  EXPECT_FALSE(node["spec"].contains("hostedBy"));
  Json again = node;
  ApplyDefaults(again);
  EXPECT_EQ(again, node);
}

TEST(ApplyDefaults, NestedObjectsOnlyWherePresentOrDefaulted) {
  Json comp = ParseOne(testing::kComponentYaml);
  ApplyDefaults(comp);
  const Json& spec = comp["spec"];
  EXPECT_EQ(spec["recovery"], "ComponentRestart");
  EXPECT_EQ(spec["disableRestart"], false);
  EXPECT_FALSE(spec.contains("saAware"));
  EXPECT_FALSE(spec.contains("virtualMachine"));
  const Json& exec = spec["exec"];
  EXPECT_EQ(exec["timeouts"], Json::parse(R"({"instantiate": "10s", "terminate": "5s",
      "cleanup": "5s"})"));
  EXPECT_EQ(exec["instantiation"], Json::parse(R"({"attempts": 2, "delay": "1s"})"));
  EXPECT_EQ(exec["healthCheck"], Json::parse(R"({"tcp": {"port": 8554, "host": "127.0.0.1"},
      "period": "1s", "timeout": "500ms", "failureThreshold": 3})"));
  EXPECT_FALSE(exec["healthCheck"].contains("http"));
  EXPECT_TRUE(Validate(comp).empty());
}

TEST(ApplyDefaults, SaAwareHealthCheckAndArrayItems) {
  Json comp = ParseOne("kind: Component\nmetadata: {name: c}\n"
                       "spec: {serviceUnit: u, csTypes: [t], saAware: {command: [x]}}\n");
  ApplyDefaults(comp);
  EXPECT_EQ(comp["spec"]["saAware"]["healthCheck"],
            Json::parse(R"({"invoker": "Component", "period": "100ms", "maxDuration": "50ms"})"));
  EXPECT_EQ(comp["spec"]["saAware"]["timeouts"]["csiSet"], "2s");

  Json si = ParseOne("kind: ServiceInstance\nmetadata: {name: s}\nspec: {serviceGroup: g, "
                     "csis: [{name: a, csType: t}], dependsOn: [{serviceInstance: x}]}\n");
  ApplyDefaults(si);
  EXPECT_EQ(si["spec"]["dependsOn"][0]["toleranceTime"], "0s");
  EXPECT_EQ(si["spec"]["adminState"], "Unlocked");
  EXPECT_EQ(si["spec"]["preferredStandbyAssignments"], 1);
  EXPECT_FALSE(si["spec"]["csis"][0].contains("attributes"));
  EXPECT_TRUE(Validate(si).empty());
}

TEST(ApplyDefaults, NullMeansUnset) {
  Json node = ParseOne("kind: Node\nmetadata: {name: n}\nspec: {hypervisor: null, hostedBy: ~}\n");
  ApplyDefaults(node);
  EXPECT_EQ(node["spec"]["hypervisor"], "qemu:///system");
  EXPECT_FALSE(node["spec"].contains("hostedBy"));
  Json sg = ParseOne("kind: ServiceGroup\nmetadata: {name: g}\nspec:\n");
  ApplyDefaults(sg);
  EXPECT_EQ(sg["spec"]["autoRepair"], true);
}

TEST(ApplyDefaults, LeavesUnknownKindsAndWrongTypesAlone) {
  Json pod = Json::parse(R"({"kind": "Pod", "spec": {}})");
  ApplyDefaults(pod);
  EXPECT_EQ(pod, Json::parse(R"({"apiVersion": "vigil.io/v1", "kind": "Pod", "spec": {}})"));
  Json array = Json::array({1});
  ApplyDefaults(array);
  EXPECT_EQ(array, Json::array({1}));
  Json odd = Json::parse(R"({"apiVersion": "v9", "kind": "ServiceGroup", "spec": {"recovery": 3,
      "autoAdjust": null}})");
  ApplyDefaults(odd);
  EXPECT_EQ(odd["apiVersion"], "v9");
  EXPECT_EQ(odd["spec"]["recovery"], 3);
  EXPECT_EQ(odd["spec"]["autoAdjust"]["probation"], "10s");
  Json bad_spec = Json::parse(R"({"kind": "Node", "spec": [1]})");
  ApplyDefaults(bad_spec);
  EXPECT_EQ(bad_spec["spec"], Json::array({1}));
}

}  // namespace
}  // namespace vigil::api
