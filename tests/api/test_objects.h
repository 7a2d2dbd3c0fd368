// Minimal valid objects of every kind, for the api tests.
#ifndef VIGIL_TESTS_API_TEST_OBJECTS_H_
#define VIGIL_TESTS_API_TEST_OBJECTS_H_

#include <string>

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/object.h"

namespace vigil::api::testing {

inline constexpr char kNodeYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: Node
metadata: {name: hv1}
spec: {}
)yaml";

inline constexpr char kServiceGroupYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vlc}
spec:
  redundancyModel: 2N
)yaml";

inline constexpr char kServiceUnitYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: vlc-a}
spec: {serviceGroup: vlc, node: hv1, rank: 1}
)yaml";

inline constexpr char kComponentYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: Component
metadata: {name: vlc-a-player}
spec:
  serviceUnit: vlc-a
  csTypes: [stream]
  exec:
    instantiate: ["/usr/bin/vlc-server", "--port", "$(PORT)"]
    healthCheck: {tcp: {port: 8554}}
)yaml";

inline constexpr char kServiceInstanceYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: stream-1}
spec:
  serviceGroup: vlc
  csis:
  - {name: stream, csType: stream, attributes: {PORT: "8554"}}
)yaml";

inline constexpr char kOperationYaml[] = R"yaml(apiVersion: vigil.io/v1
kind: Operation
metadata: {name: swap-1}
spec: {action: SwapServiceInstance, target: stream-1}
)yaml";

// Parses one YAML document; fails the test on error.
inline Json ParseOne(const std::string& yaml) {
  absl::StatusOr<std::vector<Document>> docs = ParseYaml(yaml, "test.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (!docs.ok() || docs->size() != 1) {
    ADD_FAILURE() << "expected one document in:\n" << yaml;
    return Json();
  }
  return (*docs)[0].value;
}

}  // namespace vigil::api::testing

#endif  // VIGIL_TESTS_API_TEST_OBJECTS_H_
