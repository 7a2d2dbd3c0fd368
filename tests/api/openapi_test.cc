#include "api/openapi.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/schema.h"

namespace vigil::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::vector<std::string> kKinds = {"Node", "ServiceGroup", "ServiceUnit",
                                         "Component", "ServiceInstance",
                                         "Operation", "Lease", "Incident"};

// Every dotted path below `schema` ("redundancyModel", "recovery.unitRestartMax",
// "csis[].name").
void CollectPaths(const FieldSchema& schema, const std::string& prefix,
                  std::set<std::string>& out) {
  if (schema.type == SchemaType::kArray && schema.items != nullptr) {
    CollectPaths(*schema.items, prefix + "[]", out);
  }
  for (const Property& property : schema.properties) {
    std::string path = prefix.empty() ? property.name : prefix + "." + property.name;
    out.insert(path);
    CollectPaths(property.schema, path, out);
  }
}

std::set<std::string> Paths(const FieldSchema* schema) {
  std::set<std::string> out;
  if (schema != nullptr) CollectPaths(*schema, "", out);
  return out;
}

const std::set<std::string> kConditionPaths = {
    "conditions", "conditions[].type", "conditions[].status",
    "conditions[].observedGeneration", "conditions[].lastTransitionTime",
    "conditions[].reason", "conditions[].message"};

std::set<std::string> StatusPaths(std::set<std::string> own) {
  own.insert("observedGeneration");
  own.insert(kConditionPaths.begin(), kConditionPaths.end());
  return own;
}

// The field list of docs/resource-model.md, spelled out: the schema must hold
// exactly these fields.
TEST(Schema, CoversTheResourceModelExactly) {
  EXPECT_EQ(Paths(SpecSchema("Node")),
            (std::set<std::string>{"adminState", "hypervisor", "hostedBy",
                                   "unitFailoverMax", "unitFailoverProbation",
                                   "autoRepair", "fencing", "fencing.command",
                                   "fencing.hypervisor", "fencing.timeout",
                                   "fencing.policy", "liveMigration",
                                   "liveMigration.hypervisor",
                                   "liveMigration.address"}));
  EXPECT_EQ(Paths(StatusSchema("Node")),
            StatusPaths({"operState", "readiness", "agent", "agent.version",
                         "agent.lastHeartbeat", "fencing", "fencing.phase", "fencing.outage",
                         "fencing.method", "fencing.message", "fencing.time",
                         "fencing.attempts"}));
  EXPECT_EQ(Paths(SpecSchema("ServiceGroup")),
            (std::set<std::string>{
                "redundancyModel", "adminState", "preferredActiveUnits",
                "preferredStandbyUnits", "preferredInServiceUnits",
                "maxActiveInstancesPerUnit", "maxStandbyInstancesPerUnit",
                "autoRepair", "autoAdjust", "autoAdjust.enabled",
                "autoAdjust.probation", "autoAdjust.minInterval", "recovery",
                "recovery.componentRestartMax", "recovery.componentRestartProbation",
                "recovery.unitRestartMax", "recovery.unitRestartProbation"}));
  EXPECT_EQ(Paths(StatusSchema("ServiceGroup")),
            StatusPaths({"assignedUnits", "activeUnits", "standbyUnits",
                         "spareUnits", "assignedInstances", "totalInstances",
                         "lastAdjustment", "message"}));
  EXPECT_EQ(Paths(SpecSchema("ServiceUnit")),
            (std::set<std::string>{"serviceGroup", "node", "rank", "adminState",
                                   "failover"}));
  EXPECT_EQ(Paths(StatusSchema("ServiceUnit")),
            StatusPaths({"presenceState", "operState", "readinessState",
                         "activeAssignments", "standbyAssignments", "restartCount",
                         "lastFailure", "lastFailure.reason", "lastFailure.time",
                         "inServiceSince", "haStates", "haStates[].serviceInstance",
                         "haStates[].haState", "preInstantiable"}));
  EXPECT_EQ(Paths(SpecSchema("ServiceInstance")),
            (std::set<std::string>{
                "serviceGroup", "rank", "adminState", "preferredActiveAssignments",
                "preferredStandbyAssignments", "csis", "csis[].name",
                "csis[].csType", "csis[].attributes", "csis[].dependsOn",
                "dependsOn", "dependsOn[].serviceInstance",
                "dependsOn[].toleranceTime", "rankedUnits", "rankedUnits[].unit",
                "rankedUnits[].rank"}));
  EXPECT_EQ(Paths(StatusSchema("ServiceInstance")),
            StatusPaths({"assignmentState", "assignments", "assignments[].unit",
                         "assignments[].node", "assignments[].haState",
                         "assignments[].since", "assignments[].confirmed",
                         "assignments[].successor", "assignments[].successor.unit",
                         "assignments[].successor.node",
                         "assignments[].successor.liveMigration",
                         "assignments[].successor.liveMigration.hypervisor",
                         "assignments[].successor.liveMigration.address",
                         "activeUnits", "standbyUnits", "message", "incidents",
                         "incidents.total", "incidents.open", "incidents.last",
                         "incidents.lastFailureTime", "incidents.lastOutage", "availability",
                         "availability.since", "availability.observed",
                         "availability.unassigned", "availability.partiallyAssigned",
                         "availability.availability", "availability.target",
                         "availability.downtimeBudget", "availability.budgetRemaining"}));
  EXPECT_EQ(Paths(SpecSchema("op")), (std::set<std::string>{"action", "target"}));
  EXPECT_EQ(Paths(StatusSchema("Operation")),
            StatusPaths({"phase", "message", "startTime", "completionTime",
                         "fromUnit"}));
}

TEST(Schema, CoversTheComponentModelExactly) {
  std::set<std::string> expected = {
      "serviceUnit", "csTypes", "recovery", "disableRestart", "exec",
      "exec.instantiate", "exec.terminate", "exec.cleanup", "exec.env",
      "exec.workingDir", "exec.timeouts", "exec.timeouts.instantiate",
      "exec.timeouts.terminate", "exec.timeouts.cleanup", "exec.instantiation",
      "exec.instantiation.attempts", "exec.instantiation.delay",
      "exec.healthCheck", "exec.healthCheck.exec", "exec.healthCheck.exec.command",
      "exec.healthCheck.tcp", "exec.healthCheck.tcp.host",
      "exec.healthCheck.tcp.port", "exec.healthCheck.http",
      "exec.healthCheck.http.host", "exec.healthCheck.http.port",
      "exec.healthCheck.http.path", "exec.healthCheck.http.scheme",
      "exec.healthCheck.period", "exec.healthCheck.timeout",
      "exec.healthCheck.failureThreshold", "saAware", "saAware.command",
      "saAware.env", "saAware.workingDir", "saAware.timeouts",
      "saAware.timeouts.instantiate", "saAware.timeouts.csiSet",
      "saAware.timeouts.terminate", "saAware.timeouts.cleanup",
      "saAware.instantiation", "saAware.instantiation.attempts",
      "saAware.instantiation.delay", "saAware.healthCheck",
      "saAware.healthCheck.invoker", "saAware.healthCheck.period",
      "saAware.healthCheck.maxDuration", "virtualMachine",
      "virtualMachine.domainXML", "virtualMachine.domainName",
      "virtualMachine.shutdownTimeout", "virtualMachine.guestAgentPing",
      "virtualMachine.startTimeout", "virtualMachine.allowMigration",
      "virtualMachine.migrationTimeout"};
  EXPECT_EQ(Paths(SpecSchema("Component")), expected);
  EXPECT_EQ(Paths(StatusSchema("comp")),
            StatusPaths({"presenceState", "operState", "haState", "pid",
                         "startTime", "restartCount", "lastFailure",
                         "lastFailure.reason", "lastFailure.time",
                         "lastFailure.source", "domain", "domain.id",
                         "domain.name", "domain.qemuPid", "domain.state"}));
}

void ExpectDescribed(const Json& schema, const std::string& path) {
  if (schema.contains("$ref") || schema.contains("allOf")) return;
  EXPECT_TRUE(schema.contains("description") &&
              !schema["description"].get<std::string>().empty())
      << path;
  if (schema.contains("properties")) {
    for (const auto& [name, child] : schema["properties"].items()) {
      ExpectDescribed(child, path + "." + name);
    }
  }
  if (schema.contains("items")) ExpectDescribed(schema["items"], path + "[]");
}

TEST(KindSchema, EveryFieldHasADescription) {
  for (const std::string& kind : kKinds) {
    Json schema = KindSchema(kind);
    ASSERT_TRUE(schema.is_object()) << kind;
    ExpectDescribed(schema["properties"]["spec"], kind + ".spec");
    ExpectDescribed(schema["properties"]["status"], kind + ".status");
  }
}

TEST(KindSchema, IsStructuralLikeACrd) {
  Json schema = KindSchema("sg");
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["properties"]["metadata"], Json({{"type", "object"}}));
  EXPECT_EQ(schema["properties"]["apiVersion"]["type"], "string");
  EXPECT_EQ(schema["properties"]["kind"]["type"], "string");
  const Json& spec = schema["properties"]["spec"];
  EXPECT_EQ(spec["required"], Json({"redundancyModel"}));
  const Json& model = spec["properties"]["redundancyModel"];
  EXPECT_EQ(model["enum"],
            Json({"2N", "N+M", "N-Way", "N-Way-Active", "No-Redundancy"}));
  const Json& active = spec["properties"]["preferredActiveUnits"];
  EXPECT_EQ(active["type"], "integer");
  EXPECT_EQ(active["minimum"], 1);
  EXPECT_EQ(active["default"], 1);
  EXPECT_EQ(active["description"],
            "Units assigned active (N of N+M; active units of N-Way-Active). "
            "Defaults to 1.");
  const Json& probation = spec["properties"]["autoAdjust"]["properties"]["probation"];
  EXPECT_EQ(probation["default"], "10s");
  EXPECT_EQ(probation["format"], "duration");
  EXPECT_EQ(spec["properties"]["autoAdjust"]["default"], Json::object());
  EXPECT_TRUE(KindSchema("Pod").is_null());
}

TEST(KindSchema, ListsMapsAndOneOf) {
  const Json si = KindSchema("ServiceInstance")["properties"]["spec"];
  const Json& csis = si["properties"]["csis"];
  EXPECT_EQ(csis["type"], "array");
  EXPECT_EQ(csis["minItems"], 1);
  EXPECT_EQ(csis["x-kubernetes-list-type"], "map");
  EXPECT_EQ(csis["x-kubernetes-list-map-keys"], Json({"name"}));
  EXPECT_EQ(csis["items"]["required"], Json({"name", "csType"}));
  EXPECT_EQ(csis["items"]["properties"]["attributes"],
            Json::parse(R"({"type": "object", "additionalProperties": {"type": "string"},
                "description": "Attributes passed to the component (as environment variables for exec components)."})"));
  const Json comp = KindSchema("Component")["properties"]["spec"];
  EXPECT_EQ(comp["oneOf"], Json::parse(R"([{"required": ["exec"]},
      {"required": ["saAware"]}, {"required": ["virtualMachine"]}])"));
}

TEST(KindSchema, DefaultsAreInTheSchema) {
  const Json comp = KindSchema("Component")["properties"]["spec"]["properties"];
  EXPECT_EQ(comp["recovery"]["default"], "ComponentRestart");
  EXPECT_EQ(comp["exec"]["properties"]["timeouts"]["properties"]["instantiate"]["default"],
            "10s");
  EXPECT_EQ(comp["saAware"]["properties"]["healthCheck"]["properties"]["period"]["default"],
            "100ms");
  EXPECT_EQ(comp["exec"]["properties"]["healthCheck"]["properties"]["tcp"]
                ["properties"]["host"]["default"],
            "127.0.0.1");
  const Json node = KindSchema("Node")["properties"]["spec"]["properties"];
  EXPECT_EQ(node["hypervisor"]["default"], "qemu:///system");
  EXPECT_EQ(node["autoRepair"]["default"], true);
  EXPECT_EQ(node["adminState"]["default"], "Unlocked");
}

void CollectRefs(const Json& value, std::set<std::string>& refs) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (key == "$ref" && child.is_string()) refs.insert(child.get<std::string>());
      CollectRefs(child, refs);
    }
  } else if (value.is_array()) {
    for (const Json& child : value) CollectRefs(child, refs);
  }
}

TEST(OpenApiGroupDocument, HasEveryKindWithItsGroupVersionKind) {
  const Json doc = OpenApiGroupDocument();
  EXPECT_EQ(doc["openapi"], "3.0.0");
  const Json& schemas = doc["components"]["schemas"];
  for (const std::string& kind : kKinds) {
    for (const std::string& name : {kind, kind + "List"}) {
      const std::string key = "io.vigil.v1." + name;
      ASSERT_TRUE(schemas.contains(key)) << key;
      EXPECT_EQ(schemas[key]["x-kubernetes-group-version-kind"],
                Json::array({{{"group", "vigil.io"}, {"version", "v1"}, {"kind", name}}}))
          << key;
    }
    EXPECT_EQ(schemas["io.vigil.v1." + kind]["properties"]["metadata"]["allOf"],
              Json::array({{{"$ref", "#/components/schemas/"
                                     "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}}));
    EXPECT_EQ(schemas["io.vigil.v1." + kind + "List"]["properties"]["items"]["items"],
              Json({{"$ref", "#/components/schemas/io.vigil.v1." + kind}}));
  }
  const Json& meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  for (const char* field : {"name", "uid", "labels", "annotations", "resourceVersion",
                            "generation", "creationTimestamp", "deletionTimestamp",
                            "finalizers"}) {
    EXPECT_TRUE(meta["properties"].contains(field)) << field;
  }
  std::set<std::string> refs;
  CollectRefs(doc, refs);
  for (const std::string& ref : refs) {
    ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
    EXPECT_TRUE(schemas.contains(ref.substr(21))) << ref;
  }
}

TEST(OpenApiGroupDocument, PathsCarryTheGvkKubectlLooksFor) {
  const Json doc = OpenApiGroupDocument();
  const Json& paths = doc["paths"];
  const Json gvk = {{"group", "vigil.io"}, {"version", "v1"}, {"kind", "ServiceGroup"}};
  const std::string base = "/apis/vigil.io/v1/servicegroups";
  EXPECT_EQ(paths[base]["get"]["x-kubernetes-group-version-kind"], gvk);
  EXPECT_EQ(paths[base]["get"]["x-kubernetes-action"], "list");
  EXPECT_EQ(paths[base]["post"]["x-kubernetes-action"], "post");
  for (const char* method : {"get", "put", "patch", "delete"}) {
    EXPECT_EQ(paths[base + "/{name}"][method]["x-kubernetes-group-version-kind"], gvk)
        << method;
  }
  for (const char* method : {"get", "put", "patch"}) {
    EXPECT_TRUE(paths[base + "/{name}/status"].contains(method)) << method;
  }
  EXPECT_FALSE(paths[base + "/{name}/status"].contains("delete"));
  EXPECT_EQ(paths.size(), kKinds.size() * 3);
}

TEST(OpenApiGroupDocument, PatchIsMergePatchWithServerSideFieldValidation) {
  const Json doc = OpenApiGroupDocument();
  for (const auto& [path, item] : doc["paths"].items()) {
    if (!item.contains("patch")) continue;
    const Json& patch = item["patch"];
    const Json& content = patch["requestBody"]["content"];
    EXPECT_TRUE(content.contains("application/merge-patch+json")) << path;
    // Listing strategic-merge-patch would make kubectl apply send one.
    EXPECT_FALSE(content.contains("application/strategic-merge-patch+json")) << path;
    bool has_field_validation = false;
    for (const Json& parameter : patch["parameters"]) {
      has_field_validation |= parameter["name"] == "fieldValidation";
    }
    EXPECT_TRUE(has_field_validation) << path;
  }
}

}  // namespace
}  // namespace vigil::api
