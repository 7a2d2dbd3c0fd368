#include "api/validation.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/api/test_objects.h"

namespace vigil::api {
namespace {

using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using testing::ParseOne;

std::vector<std::string> ErrorStrings(const Json& obj) {
  std::vector<std::string> out;
  for (const FieldError& error : Validate(obj)) out.push_back(error.ToString());
  return out;
}

TEST(Validate, AcceptsMinimalObjectsOfEveryKind) {
  for (const char* yaml : {testing::kNodeYaml, testing::kServiceGroupYaml,
                           testing::kServiceUnitYaml, testing::kComponentYaml,
                           testing::kServiceInstanceYaml, testing::kOperationYaml}) {
    Json obj = ParseOne(yaml);
    EXPECT_THAT(ErrorStrings(obj), IsEmpty()) << yaml;
    ApplyDefaults(obj);
    EXPECT_THAT(ErrorStrings(obj), IsEmpty()) << "after defaults:\n" << yaml;
  }
}

TEST(Validate, ReportsEveryProblemInKubernetesWords) {
  Json obj = ParseOne(R"(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vlc}
spec: {redundancyModel: 3N, preferredActiveUnits: 0}
)");
  absl::Status status = ValidateObject(obj);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "ServiceGroup.vigil.io \"vlc\" is invalid: [spec.redundancyModel: "
            "Unsupported value: \"3N\": supported values: \"2N\", \"N+M\", "
            "\"N-Way\", \"N-Way-Active\", \"No-Redundancy\", "
            "spec.preferredActiveUnits: Invalid value: 0: must be greater than "
            "or equal to 1]");
  std::vector<FieldError> causes = CausesOf(status);
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].type, "FieldValueNotSupported");
  EXPECT_EQ(causes[0].field, "spec.redundancyModel");
  EXPECT_EQ(causes[1].type, "FieldValueInvalid");
  EXPECT_EQ(causes[1].field, "spec.preferredActiveUnits");
}

TEST(Validate, SingleErrorHasNoBrackets) {
  Json obj = ParseOne("apiVersion: vigil.io/v1\nkind: ServiceGroup\n"
                      "metadata: {name: vlc}\nspec: {}\n");
  EXPECT_EQ(ValidateObject(obj).message(),
            "ServiceGroup.vigil.io \"vlc\" is invalid: spec.redundancyModel: "
            "Required value");
}

TEST(Validate, CauseTypes) {
  struct Case {
    std::string spec_yaml;
    std::string type;
  };
  const std::vector<Case> cases = {
      {"{redundancyModel: 2N, rank: 1}", "FieldValueUnknown"},
      {"{redundancyModel: 2N, autoRepair: 1}", "FieldValueTypeInvalid"},
      {"{}", "FieldValueRequired"},
      {"{redundancyModel: x}", "FieldValueNotSupported"},
      {"{redundancyModel: 2N, preferredStandbyUnits: -1}", "FieldValueInvalid"},
  };
  for (const Case& c : cases) {
    Json obj = ParseOne("apiVersion: vigil.io/v1\nkind: ServiceGroup\n"
                        "metadata: {name: vlc}\nspec: " + c.spec_yaml + "\n");
    std::vector<FieldError> errors = Validate(obj);
    ASSERT_EQ(errors.size(), 1u) << c.spec_yaml;
    EXPECT_EQ(errors[0].type, c.type) << c.spec_yaml;
  }
}

TEST(Validate, OperationNeedsAKnownActionAndATarget) {
  Json obj = ParseOne("apiVersion: vigil.io/v1\nkind: Operation\n"
                      "metadata: {name: op-1}\nspec: {action: Reboot}\n");
  EXPECT_EQ(ValidateObject(obj).message(),
            "Operation.vigil.io \"op-1\" is invalid: [spec.action: Unsupported "
            "value: \"Reboot\": supported values: \"SwapServiceInstance\", "
            "\"RestartUnit\", \"RestartComponent\", \"Repaired\", "
            "spec.target: Required value]");
  obj["status"] = {{"phase", "Done"}};
  ASSERT_EQ(ValidateStatus(obj).size(), 1u);
  EXPECT_EQ(ValidateStatus(obj)[0].field, "status.phase");
}

struct ValidationCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> errors;
};

void PrintTo(const ValidationCase& c, std::ostream* os) { *os << c.name; }

std::string CaseName(const ::testing::TestParamInfo<ValidationCase>& info) {
  return info.param.name;
}

class ValidationTable : public ::testing::TestWithParam<ValidationCase> {};

TEST_P(ValidationTable, ReportsExactlyTheseErrors) {
  EXPECT_THAT(ErrorStrings(ParseOne(GetParam().yaml)),
              ElementsAreArray(GetParam().errors))
      << GetParam().yaml;
}

std::string Sg(const std::string& spec) {
  return "apiVersion: vigil.io/v1\nkind: ServiceGroup\nmetadata: {name: vlc}\n"
         "spec: " + spec + "\n";
}
std::string Su(const std::string& spec) {
  return "apiVersion: vigil.io/v1\nkind: ServiceUnit\nmetadata: {name: su}\n"
         "spec: " + spec + "\n";
}
std::string Comp(const std::string& spec) {
  return "apiVersion: vigil.io/v1\nkind: Component\nmetadata: {name: c}\n"
         "spec: " + spec + "\n";
}
std::string CompExec(const std::string& exec) {
  return Comp("{serviceUnit: su, csTypes: [t], exec: " + exec + "}");
}
std::string Si(const std::string& spec) {
  return "apiVersion: vigil.io/v1\nkind: ServiceInstance\nmetadata: {name: si}\n"
         "spec: " + spec + "\n";
}
std::string SiCsis(const std::string& csis) {
  return Si("{serviceGroup: sg, csis: " + csis + "}");
}
std::string Node(const std::string& spec) {
  return "apiVersion: vigil.io/v1\nkind: Node\nmetadata: {name: n}\nspec: " +
         spec + "\n";
}
std::string WithMetadata(const std::string& metadata) {
  return "apiVersion: vigil.io/v1\nkind: Node\nmetadata: " + metadata +
         "\nspec: {}\n";
}

const char kSubdomainMessage[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

INSTANTIATE_TEST_SUITE_P(
    TopLevel, ValidationTable,
    ::testing::Values(
        ValidationCase{"WrongApiVersion",
                       "apiVersion: vigil.io/v2\nkind: Node\nmetadata: {name: n}\n",
                       {"apiVersion: Unsupported value: \"vigil.io/v2\": "
                        "supported values: \"vigil.io/v1\""}},
        ValidationCase{"MissingApiVersionAndKind", "metadata: {name: n}\n",
                       {"apiVersion: Required value", "kind: Required value"}},
        ValidationCase{"UnknownKind",
                       "apiVersion: vigil.io/v1\nkind: Pod\nmetadata: {name: n}\n",
                       {"kind: Unsupported value: \"Pod\": supported values: "
                        "\"Node\", \"ServiceGroup\", \"ServiceUnit\", "
                        "\"Component\", \"ServiceInstance\", \"Operation\", \"Lease\", \"Incident\""}},
        ValidationCase{"KindIsCaseSensitive",
                       "apiVersion: vigil.io/v1\nkind: node\nmetadata: {name: n}\n",
                       {"kind: Unsupported value: \"node\": supported values: "
                        "\"Node\", \"ServiceGroup\", \"ServiceUnit\", "
                        "\"Component\", \"ServiceInstance\", \"Operation\", \"Lease\", \"Incident\""}},
        ValidationCase{"UnknownTopLevelField", Node("{}") + "specs: {}\n",
                       {"specs: unknown field"}},
        ValidationCase{"SpecNotAnObject", Node("[1, 2]"),
                       {"spec: Invalid value: [1,2]: spec in body must be of "
                        "type object"}},
        ValidationCase{"NullFieldsAreAbsent", Node("{hypervisor: null}"), {}},
        ValidationCase{"MissingSpecChecksRequiredFields",
                       "apiVersion: vigil.io/v1\nkind: ServiceUnit\n"
                       "metadata: {name: su}\n",
                       {"spec.serviceGroup: Required value",
                        "spec.node: Required value"}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Metadata, ValidationTable,
    ::testing::Values(
        ValidationCase{"MissingMetadata",
                       "apiVersion: vigil.io/v1\nkind: Node\nspec: {}\n",
                       {"metadata: Required value"}},
        ValidationCase{"MissingName", WithMetadata("{labels: {a: b}}"),
                       {"metadata.name: Required value: name "
                        "is required"}},
        ValidationCase{"EmptyName", WithMetadata("{name: ''}"),
                       {"metadata.name: Required value: name "
                        "is required"}},
        ValidationCase{"UppercaseName", WithMetadata("{name: VLC}"),
                       {std::string("metadata.name: Invalid value: \"VLC\": ") +
                        kSubdomainMessage}},
        ValidationCase{"NameNotAString", WithMetadata("{name: 12}"),
                       {"metadata.name: Invalid value: 12: metadata.name in "
                        "body must be of type string"}},
        ValidationCase{"NameTooLong", WithMetadata("{name: " + std::string(254, 'a') + "}"),
                       {"metadata.name: Invalid value: \"" + std::string(80, 'a') +
                        "...\": must be no more than 253 characters"}},
        ValidationCase{"DottedNameIsFine", WithMetadata("{name: a.b-c.d}"), {}},
        ValidationCase{
            "BadLabelKeyAndValue",
            WithMetadata("{name: n, labels: {'bad key': ok, good: '-bad'}}"),
            {"metadata.labels: Invalid value: \"bad key\": name part must "
             "consist of alphanumeric characters, '-', '_' or '.', and must "
             "start and end with an alphanumeric character (e.g. 'MyName',  or "
             "'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
             "metadata.labels: Invalid value: \"-bad\": a valid label must be "
             "an empty string or consist of alphanumeric characters, '-', '_' "
             "or '.', and must start and end with an alphanumeric character "
             "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
             "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}},
        ValidationCase{"LabelValueNotAString",
                       WithMetadata("{name: n, labels: {replicas: 3}}"),
                       {"metadata.labels[replicas]: Invalid value: 3: "
                        "metadata.labels[replicas] in body must be of type "
                        "string"}},
        ValidationCase{"PrefixedLabelKeys",
                       WithMetadata("{name: n, labels: {vigil.io/role: db, "
                                    "app.kubernetes.io/name: x}}"),
                       {}},
        ValidationCase{"LabelKeyTooLong",
                       WithMetadata("{name: n, labels: {" + std::string(64, 'k') +
                                    ": v}}"),
                       {"metadata.labels: Invalid value: \"" + std::string(64, 'k') +
                        "\": name part must be no more than 63 characters"}},
        ValidationCase{"AnnotationsAreChecked",
                       WithMetadata("{name: n, annotations: {'a b': x, "
                                    "kubectl.kubernetes.io/last-applied-configuration: '{}'}}"),
                       {"metadata.annotations: Invalid value: \"a b\": name part "
                        "must consist of alphanumeric characters, '-', '_' or "
                        "'.', and must start and end with an alphanumeric "
                        "character (e.g. 'MyName',  or 'my.name',  or "
                        "'123-abc', regex used for validation is "
                        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}},
        ValidationCase{"UnknownMetadataFieldsArePreserved",
                       WithMetadata("{name: n, managedFields: [], namespace: ''}"),
                       {}},
        ValidationCase{"MetadataTimestamps",
                       WithMetadata("{name: n, creationTimestamp: yesterday}"),
                       {"metadata.creationTimestamp: Invalid value: "
                        "\"yesterday\": must be an RFC 3339 timestamp such as "
                        "2026-11-25T10:00:00Z"}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    ServiceGroup, ValidationTable,
    ::testing::Values(
        ValidationCase{"UnknownFieldSuggestsCloseName", Sg("{redundancyMode: 2N}"),
                       {"spec.redundancyModel: Required value",
                        "spec.redundancyMode: unknown field (did you mean "
                        "\"redundancyModel\"?)"}},
        ValidationCase{"EmptyEnumIsRequired", Sg("{redundancyModel: ''}"),
                       {"spec.redundancyModel: Required value"}},
        ValidationCase{"BooleanAsString", Sg("{redundancyModel: 2N, autoRepair: 'yes'}"),
                       {"spec.autoRepair: Invalid value: \"yes\": "
                        "spec.autoRepair in body must be of type boolean"}},
        ValidationCase{"NegativeCount",
                       Sg("{redundancyModel: N+M, recovery: {componentRestartMax: -1}}"),
                       {"spec.recovery.componentRestartMax: Invalid value: -1: "
                        "must be greater than or equal to 0"}},
        ValidationCase{"BadDurationUnit",
                       Sg("{redundancyModel: 2N, autoAdjust: {probation: 10x}}"),
                       {"spec.autoAdjust.probation: Invalid value: \"10x\": "
                        "unknown unit \"x\" (expected ms, s, m or h); a duration "
                        "looks like 500ms, 10s, 2m or 1h30m"}},
        ValidationCase{"DurationWithoutUnit",
                       Sg("{redundancyModel: 2N, autoAdjust: {probation: '10'}}"),
                       {"spec.autoAdjust.probation: Invalid value: \"10\": "
                        "missing unit (one of ms, s, m, h); a duration looks "
                        "like 500ms, 10s, 2m or 1h30m"}},
        ValidationCase{"DurationAsNumber",
                       Sg("{redundancyModel: 2N, autoAdjust: {probation: 10}}"),
                       {"spec.autoAdjust.probation: Invalid value: 10: "
                        "spec.autoAdjust.probation in body must be of type string"}},
        ValidationCase{"ZeroDuration",
                       Sg("{redundancyModel: 2N, autoAdjust: {minInterval: 0s}}"),
                       {"spec.autoAdjust.minInterval: Invalid value: \"0s\": "
                        "must be greater than 0"}},
        ValidationCase{"NestedUnknownField",
                       Sg("{redundancyModel: 2N, autoAdjust: {enable: true}}"),
                       {"spec.autoAdjust.enable: unknown field (did you mean "
                        "\"enabled\"?)"}},
        ValidationCase{"ObjectAsScalar", Sg("{redundancyModel: 2N, recovery: 3}"),
                       {"spec.recovery: Invalid value: 3: spec.recovery in body "
                        "must be of type object"}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    ServiceUnitAndNode, ValidationTable,
    ::testing::Values(
        ValidationCase{"RankNotAnInteger", Su("{serviceGroup: g, node: n, rank: abc}"),
                       {"spec.rank: Invalid value: \"abc\": spec.rank in body "
                        "must be of type integer"}},
        ValidationCase{"RankFloat", Su("{serviceGroup: g, node: n, rank: 1.5}"),
                       {"spec.rank: Invalid value: 1.5: spec.rank in body must "
                        "be of type integer"}},
        ValidationCase{"ReferenceIsAnObjectName", Su("{serviceGroup: G_1, node: n}"),
                       {std::string("spec.serviceGroup: Invalid value: \"G_1\": ") +
                        kSubdomainMessage}},
        ValidationCase{"AdminStateEnum",
                       Su("{serviceGroup: g, node: n, adminState: Up}"),
                       {"spec.adminState: Unsupported value: \"Up\": supported "
                        "values: \"Unlocked\", \"Locked\", \"LockedInstantiation\", "
                        "\"ShuttingDown\""}},
        ValidationCase{"NodeDurationAsInteger", Node("{unitFailoverProbation: 5}"),
                       {"spec.unitFailoverProbation: Invalid value: 5: "
                        "spec.unitFailoverProbation in body must be of type string"}},
        ValidationCase{"NodeAllFields",
                       Node("{adminState: Locked, hypervisor: 'qemu+ssh://h/system', "
                            "hostedBy: vm-si, unitFailoverMax: 0, "
                            "unitFailoverProbation: 1h30m, autoRepair: false}"),
                       {}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Component, ValidationTable,
    ::testing::Values(
        ValidationCase{"NoImplementation", Comp("{serviceUnit: su, csTypes: [t]}"),
                       {"spec: Required value: exactly one of exec, saAware, "
                        "virtualMachine must be set"}},
        ValidationCase{"TwoImplementations",
                       Comp("{serviceUnit: su, csTypes: [t], exec: {instantiate: "
                            "[a]}, saAware: {command: [b]}}"),
                       {"spec.saAware: Forbidden: may not be set together with "
                        "exec (exactly one of exec, saAware, virtualMachine)"}},
        ValidationCase{"EmptyCsTypes", Comp("{serviceUnit: su, csTypes: [], "
                                            "virtualMachine: {domainName: d}}"),
                       {"spec.csTypes: Required value: must have at least 1 item"}},
        ValidationCase{"CsTypeItemType", Comp("{serviceUnit: su, csTypes: [1], "
                                              "virtualMachine: {domainName: d}}"),
                       {"spec.csTypes[0]: Invalid value: 1: spec.csTypes[0] in "
                        "body must be of type string"}},
        ValidationCase{"RecoveryEnum",
                       Comp("{serviceUnit: su, csTypes: [t], recovery: Restart, "
                            "virtualMachine: {domainName: d}}"),
                       {"spec.recovery: Unsupported value: \"Restart\": supported "
                        "values: \"ComponentRestart\", \"ComponentFailover\", "
                        "\"UnitRestart\", \"UnitFailover\", \"NodeFailover\""}},
        ValidationCase{"ExecInstantiateRequired", CompExec("{cleanup: [x]}"),
                       {"spec.exec.instantiate: Required value"}},
        ValidationCase{"ExecEnvValuesAreStrings",
                       CompExec("{instantiate: [a], env: {PORT: 8554}}"),
                       {"spec.exec.env[PORT]: Invalid value: 8554: "
                        "spec.exec.env[PORT] in body must be of type string"}},
        ValidationCase{"HealthCheckNeedsAProbe",
                       CompExec("{instantiate: [a], healthCheck: {period: 1s}}"),
                       {"spec.exec.healthCheck: Required value: exactly one of "
                        "exec, tcp, http must be set"}},
        ValidationCase{"HealthCheckTwoProbes",
                       CompExec("{instantiate: [a], healthCheck: {tcp: {port: 1}, "
                                "http: {port: 2}}}"),
                       {"spec.exec.healthCheck.http: Forbidden: may not be set "
                        "together with tcp (exactly one of exec, tcp, http)"}},
        ValidationCase{"PortRange",
                       CompExec("{instantiate: [a], healthCheck: {tcp: {port: 70000}}}"),
                       {"spec.exec.healthCheck.tcp.port: Invalid value: 70000: "
                        "must be less than or equal to 65535"}},
        ValidationCase{"PortRequired",
                       CompExec("{instantiate: [a], healthCheck: {http: {path: /x}}}"),
                       {"spec.exec.healthCheck.http.port: Required value"}},
        ValidationCase{"HttpScheme",
                       CompExec("{instantiate: [a], healthCheck: {http: {port: 80, "
                                "scheme: ftp}}}"),
                       {"spec.exec.healthCheck.http.scheme: Unsupported value: "
                        "\"ftp\": supported values: \"http\", \"https\""}},
        ValidationCase{"ExecProbeCommand",
                       CompExec("{instantiate: [a], healthCheck: {exec: {command: []}, "
                                "failureThreshold: 0}}"),
                       {"spec.exec.healthCheck.exec.command: Required value: "
                        "must have at least 1 item",
                        "spec.exec.healthCheck.failureThreshold: Invalid value: "
                        "0: must be greater than or equal to 1"}},
        ValidationCase{"InstantiationAttempts",
                       CompExec("{instantiate: [a], instantiation: {attempts: 0, "
                                "delay: 1}}"),
                       {"spec.exec.instantiation.attempts: Invalid value: 0: must "
                        "be greater than or equal to 1",
                        "spec.exec.instantiation.delay: Invalid value: 1: "
                        "spec.exec.instantiation.delay in body must be of type "
                        "string"}},
        ValidationCase{"SaAwareFields",
                       Comp("{serviceUnit: su, csTypes: [t], saAware: {command: [x], "
                            "healthCheck: {invoker: Agent, period: 100ms}, "
                            "timeouts: {csiSet: 2s, quiesce: 1s}}}"),
                       {"spec.saAware.timeouts.quiesce: unknown field",
                        "spec.saAware.healthCheck.invoker: Unsupported value: "
                        "\"Agent\": supported values: \"Component\", \"Framework\""}},
        ValidationCase{"VmBothDomains",
                       Comp("{serviceUnit: su, csTypes: [t], virtualMachine: "
                            "{domainXML: '<domain/>', domainName: d}}"),
                       {"spec.virtualMachine.domainName: Forbidden: may not be "
                        "set together with domainXML (exactly one of domainXML, "
                        "domainName)"}},
        ValidationCase{"VmNoDomain",
                       Comp("{serviceUnit: su, csTypes: [t], virtualMachine: "
                            "{guestAgentPing: 1s}}"),
                       {"spec.virtualMachine: Required value: exactly one of "
                        "domainXML, domainName must be set"}},
        ValidationCase{"VmMigrationNeedsAUuid",
                       Comp("{serviceUnit: su, csTypes: [t], virtualMachine: "
                            "{domainXML: '<domain><name>d</name></domain>', "
                            "allowMigration: true}}"),
                       {"spec.virtualMachine.domainXML: Invalid value: \"(no <uuid>)\": "
                        "with allowMigration the domain XML must carry a <uuid>, the same "
                        "on every unit's component, so the domain keeps its identity from "
                        "node to node"}},
        ValidationCase{"ServiceUnitRequired",
                       Comp("{csTypes: [t], virtualMachine: {domainName: d}}"),
                       {"spec.serviceUnit: Required value"}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    ServiceInstance, ValidationTable,
    ::testing::Values(
        ValidationCase{"CsisRequired", Si("{serviceGroup: sg}"),
                       {"spec.csis: Required value"}},
        ValidationCase{"CsisEmpty", SiCsis("[]"),
                       {"spec.csis: Required value: must have at least 1 item"}},
        ValidationCase{"CsiFieldsRequired", SiCsis("[{attributes: {}}]"),
                       {"spec.csis[0].name: Required value",
                        "spec.csis[0].csType: Required value"}},
        ValidationCase{"DuplicateCsiNames",
                       SiCsis("[{name: a, csType: t}, {name: b, csType: t}, "
                              "{name: a, csType: u}]"),
                       {"spec.csis[2].name: Duplicate value: \"a\""}},
        ValidationCase{"CsiDependsOnUnknown",
                       SiCsis("[{name: a, csType: t, dependsOn: [x]}]"),
                       {"spec.csis[0].dependsOn[0]: Invalid value: \"x\": no CSI "
                        "of this name in spec.csis"}},
        ValidationCase{"CsiDependsOnItself",
                       SiCsis("[{name: a, csType: t, dependsOn: [a]}]"),
                       {"spec.csis[0].dependsOn[0]: Invalid value: \"a\": a CSI "
                        "may not depend on itself"}},
        ValidationCase{"CsiCycle",
                       SiCsis("[{name: a, csType: t, dependsOn: [b]}, {name: b, "
                              "csType: t, dependsOn: [c]}, {name: c, csType: t, "
                              "dependsOn: [a]}]"),
                       {"spec.csis: Invalid value: \"a -> b -> c -> a\": CSI "
                        "dependencies must not form a cycle"}},
        ValidationCase{"CsiChainIsFine",
                       SiCsis("[{name: a, csType: t, dependsOn: [b, c]}, {name: b, "
                              "csType: t, dependsOn: [c]}, {name: c, csType: t}]"),
                       {}},
        ValidationCase{"CsiAttributesAreStrings",
                       SiCsis("[{name: a, csType: t, attributes: {PORT: 8554}}]"),
                       {"spec.csis[0].attributes[PORT]: Invalid value: 8554: "
                        "spec.csis[0].attributes[PORT] in body must be of type "
                        "string"}},
        ValidationCase{"AdminStateOnlyUnlockedOrLocked",
                       Si("{serviceGroup: sg, adminState: ShuttingDown, csis: "
                          "[{name: a, csType: t}]}"),
                       {"spec.adminState: Unsupported value: \"ShuttingDown\": "
                        "supported values: \"Unlocked\", \"Locked\""}},
        ValidationCase{"DependsOnItself",
                       Si("{serviceGroup: sg, csis: [{name: a, csType: t}], "
                          "dependsOn: [{serviceInstance: other}, "
                          "{serviceInstance: si}]}"),
                       {"spec.dependsOn[1].serviceInstance: Invalid value: "
                        "\"si\": a service instance may not depend on itself"}},
        ValidationCase{"DependsOnDuplicates",
                       Si("{serviceGroup: sg, csis: [{name: a, csType: t}], "
                          "dependsOn: [{serviceInstance: x}, {serviceInstance: x, "
                          "toleranceTime: 0s}]}"),
                       {"spec.dependsOn[1].serviceInstance: Duplicate value: \"x\""}},
        ValidationCase{"ToleranceTimeNegative",
                       Si("{serviceGroup: sg, csis: [{name: a, csType: t}], "
                          "dependsOn: [{serviceInstance: x, toleranceTime: -1s}]}"),
                       {"spec.dependsOn[0].toleranceTime: Invalid value: \"-1s\": "
                        "must not be negative; a duration looks like 500ms, 10s, "
                        "2m or 1h30m"}},
        ValidationCase{"RankedUnits",
                       Si("{serviceGroup: sg, csis: [{name: a, csType: t}], "
                          "rankedUnits: [{unit: u1, rank: 0}, {unit: u1, rank: 2}, "
                          "{rank: 3}]}"),
                       {"spec.rankedUnits[0].rank: Invalid value: 0: must be "
                        "greater than or equal to 1",
                        "spec.rankedUnits[2].unit: Required value",
                        "spec.rankedUnits[1].unit: Duplicate value: \"u1\""}},
        ValidationCase{"PreferredAssignments",
                       Si("{serviceGroup: sg, csis: [{name: a, csType: t}], "
                          "preferredActiveAssignments: 0, "
                          "preferredStandbyAssignments: -1}"),
                       {"spec.preferredActiveAssignments: Invalid value: 0: must "
                        "be greater than or equal to 1",
                        "spec.preferredStandbyAssignments: Invalid value: -1: "
                        "must be greater than or equal to 0"}}),
    CaseName);

TEST(Validate, AnnotationsTotalSize) {
  Json obj = ParseOne(testing::kNodeYaml);
  obj["metadata"]["annotations"] = {{"big", std::string(256 * 1024, 'x')}};
  EXPECT_THAT(ErrorStrings(obj),
              ElementsAreArray({"metadata.annotations: Too long: must have at "
                                "most 262144 bytes"}));
}

TEST(Validate, NonObjectDocument) {
  std::vector<FieldError> errors = Validate(Json::array());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "FieldValueTypeInvalid");
  EXPECT_EQ(errors[0].ToString(), "Invalid value: []: body must be of type object");
}

TEST(Validate, StatusIsNotValidatedBySpecValidation) {
  Json obj = ParseOne(testing::kServiceGroupYaml);
  obj["status"] = {{"activeUnits", "many"}};
  EXPECT_THAT(ErrorStrings(obj), IsEmpty());
}

TEST(ValidateStatus, ChecksStatusAgainstStatusSchema) {
  Json obj = ParseOne(testing::kServiceInstanceYaml);
  obj["status"] = ParseOne(R"(
assignmentState: Assigned
assignments:
- {unit: a, node: n, haState: Active, since: "2026-11-25T10:00:00.123Z", confirmed: true}
- {unit: b, haState: Primary, confirmed: "yes"}
conditions:
- {type: Assigned, status: Maybe}
extra: 1
)");
  std::vector<std::string> errors;
  for (const FieldError& error : ValidateStatus(obj)) errors.push_back(error.ToString());
  EXPECT_THAT(errors,
              ElementsAreArray(
                  {"status.conditions[0].status: Unsupported value: \"Maybe\": "
                   "supported values: \"True\", \"False\", \"Unknown\"",
                   "status.assignmentState: Unsupported value: \"Assigned\": "
                   "supported values: \"Unassigned\", \"PartiallyAssigned\", "
                   "\"FullyAssigned\"",
                   "status.assignments[1].haState: Unsupported value: "
                   "\"Primary\": supported values: \"Active\", \"Standby\", "
                   "\"Quiescing\", \"Quiesced\"",
                   "status.assignments[1].confirmed: Invalid value: \"yes\": "
                   "status.assignments[1].confirmed in body must be of type "
                   "boolean",
                   "status.extra: unknown field"}));
}

TEST(ValidateStatus, AcceptsAbsentStatusAndRejectsUnknownKinds) {
  EXPECT_THAT(ValidateStatus(ParseOne(testing::kNodeYaml)), IsEmpty());
  Json obj = ParseOne(testing::kNodeYaml);
  obj["kind"] = "Pod";
  EXPECT_EQ(ValidateStatus(obj).size(), 1u);
}

TEST(ValidateObject, OkForValidObjects) {
  EXPECT_TRUE(ValidateObject(ParseOne(testing::kComponentYaml)).ok());
}

}  // namespace
}  // namespace vigil::api
