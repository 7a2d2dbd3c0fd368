#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/validation.h"

namespace vigil::api {
namespace {

TEST(Smoke, ValidatesServiceGroup) {
  auto docs = ParseYaml(R"(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vlc}
spec:
  redundancyModel: 3N
  preferredActiveUnits: 0
)", "sg.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  Json obj = (*docs)[0].value;
  ApplyDefaults(obj);
  absl::Status status = ValidateObject(obj);
  EXPECT_EQ(status.message(),
            "ServiceGroup.vigil.io \"vlc\" is invalid: [spec.redundancyModel: "
            "Unsupported value: \"3N\": supported values: \"2N\", \"N+M\", "
            "\"N-Way\", \"N-Way-Active\", \"No-Redundancy\", "
            "spec.preferredActiveUnits: Invalid value: 0: must be greater than "
            "or equal to 1]");
  std::cout << ToYaml(obj);
}

}  // namespace
}  // namespace vigil::api
