#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/errors.h"
#include "api/object.h"

namespace vigil::api {
namespace {

using ::testing::ElementsAre;

TEST(AllKinds, StableOrderAndNames) {
  std::vector<std::string> names;
  for (const KindInfo& info : AllKinds()) {
    names.push_back(info.kind + "/" + info.plural + "/" + info.singular + "/" +
                    (info.short_names.empty() ? "-" : info.short_names.at(0)));
    EXPECT_TRUE(info.has_status);
    EXPECT_FALSE(info.description.empty());
  }
  EXPECT_THAT(names, ElementsAre("Node/nodes/node/node",
                                 "ServiceGroup/servicegroups/servicegroup/sg",
                                 "ServiceUnit/serviceunits/serviceunit/su",
                                 "Component/components/component/comp",
                                 "ServiceInstance/serviceinstances/serviceinstance/si",
                                 "Operation/operations/operation/op",
                                 "Lease/leases/lease/-",
                                 "Incident/incidents/incident/inc"));
}

TEST(FindKind, AnyNameAnyCase) {
  for (const char* name : {"sg", "SG", "ServiceGroup", "servicegroup", "servicegroups",
                           "SERVICEGROUPS"}) {
    const KindInfo* info = FindKind(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->kind, "ServiceGroup");
  }
  EXPECT_EQ(FindKind("comp")->kind, "Component");
  EXPECT_EQ(FindKind("si")->kind, "ServiceInstance");
  EXPECT_EQ(FindKind("su")->kind, "ServiceUnit");
  EXPECT_EQ(FindKind("nodes")->kind, "Node");
  EXPECT_EQ(FindKind("op")->kind, "Operation");
  EXPECT_EQ(FindKind("Operations")->kind, "Operation");
  EXPECT_EQ(FindKind("pods"), nullptr);
  EXPECT_EQ(FindKind(""), nullptr);
}

TEST(Accessors, NeverThrow) {
  Json obj = Json::parse(R"({"kind": "Node", "metadata": {"name": "a",
      "resourceVersion": "12", "generation": 3}})");
  EXPECT_EQ(KindOf(obj), "Node");
  EXPECT_EQ(NameOf(obj), "a");
  EXPECT_EQ(ResourceVersionOf(obj), "12");
  EXPECT_EQ(GenerationOf(obj), 3);
  for (const Json& odd : {Json(), Json(3), Json::array(), Json::parse(R"({"kind": 1,
        "metadata": {"name": [], "resourceVersion": 12, "generation": "3"}})"),
                          Json::parse(R"({"metadata": "x"})")}) {
    EXPECT_EQ(KindOf(odd), "");
    EXPECT_EQ(NameOf(odd), "");
    EXPECT_EQ(ResourceVersionOf(odd), "");
    EXPECT_EQ(GenerationOf(odd), 0);
  }
}

TEST(NowRfc3339, SecondPrecisionUtc) {
  EXPECT_TRUE(std::regex_match(NowRfc3339(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << NowRfc3339();
}

TEST(FieldError, ToStringLikeKubectl) {
  EXPECT_EQ((FieldError{"FieldValueRequired", "spec.node", "Required value"}).ToString(),
            "spec.node: Required value");
  EXPECT_EQ((FieldError{"FieldValueInvalid", "", "Invalid value: 3: bad"}).ToString(),
            "Invalid value: 3: bad");
}

TEST(InvalidObject, MessageAndCauses) {
  std::vector<FieldError> errors = {
      {"FieldValueNotSupported", "spec.redundancyModel", "Unsupported value: \"3N\""},
      {"FieldValueRequired", "spec.csis[0].csType", "Required value"}};
  absl::Status status = InvalidObject("ServiceInstance", "s-1", errors);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "ServiceInstance.vigil.io \"s-1\" is invalid: [spec.redundancyModel: "
            "Unsupported value: \"3N\", spec.csis[0].csType: Required value]");
  EXPECT_EQ(CausesOf(status), errors);
  EXPECT_FALSE(IsMalformedRequest(status));
  EXPECT_EQ(InvalidObject("Node", "n", {errors[1]}).message(),
            "Node.vigil.io \"n\" is invalid: spec.csis[0].csType: Required value");
}

TEST(CausesOf, EmptyForOtherStatuses) {
  EXPECT_TRUE(CausesOf(absl::OkStatus()).empty());
  EXPECT_TRUE(CausesOf(absl::InvalidArgumentError("x")).empty());
  EXPECT_TRUE(CausesOf(MalformedRequest("x")).empty());
}

TEST(MalformedRequest, IsMarked) {
  absl::Status status = MalformedRequest("bad YAML");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad YAML");
  EXPECT_TRUE(IsMalformedRequest(status));
  EXPECT_FALSE(IsMalformedRequest(absl::InvalidArgumentError("bad YAML")));
  EXPECT_FALSE(IsMalformedRequest(absl::OkStatus()));
  EXPECT_FALSE(IsMalformedRequest(absl::NotFoundError("x")));
}

}  // namespace
}  // namespace vigil::api
