#include "cli/merge.h"

#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

using api::Json;

TEST(LastAppliedConfiguration, EncodesLikeKubectl) {
  Json manifest = Json::parse(R"({"kind":"ServiceGroup","apiVersion":"vigil.io/v1",
      "metadata":{"name":"web"},"spec":{"redundancyModel":"2N"}})");
  EXPECT_EQ(LastAppliedConfiguration(manifest),
            "{\"apiVersion\":\"vigil.io/v1\",\"kind\":\"ServiceGroup\",\"metadata\":"
            "{\"annotations\":{},\"name\":\"web\"},\"spec\":{\"redundancyModel\":"
            "\"2N\"}}\n");
}

TEST(LastAppliedConfiguration, EscapesHtmlAndDropsItsOwnAnnotation) {
  Json manifest = Json::parse(R"({"metadata":{"name":"vm","annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"old","note":"a&b"}},
      "spec":{"xml":"<domain/>"}})");
  EXPECT_EQ(LastAppliedConfiguration(manifest),
            "{\"metadata\":{\"annotations\":{\"note\":\"a\\u0026b\"},\"name\":\"vm\"},"
            "\"spec\":{\"xml\":\"\\u003cdomain/\\u003e\"}}\n");
}

TEST(LastAppliedOf, RoundTripsWithWithLastApplied) {
  Json manifest = Json::parse(R"({"metadata":{"name":"a"},"spec":{"rank":1}})");
  Json modified = WithLastApplied(manifest);
  std::optional<Json> original = LastAppliedOf(modified);
  ASSERT_TRUE(original.has_value());
  EXPECT_EQ((*original)["spec"], manifest["spec"]);
  EXPECT_FALSE(LastAppliedOf(manifest).has_value());
}

TEST(ThreeWayMergePatch, EmptyWhenLiveMatchesIncludingServerDefaults) {
  Json manifest = WithLastApplied(Json::parse(
      R"({"metadata":{"name":"a"},"spec":{"redundancyModel":"2N"}})"));
  Json live = manifest;
  live["spec"]["autoRepair"] = true;  // defaulted by the server
  live["metadata"]["resourceVersion"] = "7";
  live["status"] = {{"activeUnits", 1}};
  EXPECT_EQ(ThreeWayMergePatch(*LastAppliedOf(manifest), manifest, live), Json::object());
}

TEST(ThreeWayMergePatch, RemovesFieldsDroppedFromTheManifest) {
  Json original = Json::parse(R"({"metadata":{"name":"a","labels":{"x":"1","y":"2"}},
      "spec":{"autoAdjust":{"enabled":true},"rank":1}})");
  Json modified = Json::parse(R"({"metadata":{"name":"a","labels":{"x":"1"}},
      "spec":{"rank":1}})");
  Json live = original;
  live["metadata"]["labels"]["z"] = "kept";  // set by someone else
  Json patch = ThreeWayMergePatch(original, modified, live);
  EXPECT_EQ(patch, Json::parse(R"({"metadata":{"labels":{"y":null}},
      "spec":{"autoAdjust":null}})"));
  Json result = ApplyMergePatch(live, patch);
  EXPECT_EQ(result["metadata"]["labels"], Json::parse(R"({"x":"1","z":"kept"})"));
  EXPECT_FALSE(result["spec"].contains("autoAdjust"));
}

TEST(ThreeWayMergePatch, ReplacesChangedValuesAndWholeLists) {
  Json original = Json::parse(R"({"spec":{"csTypes":["a","b"],"rank":1}})");
  Json modified = Json::parse(R"({"spec":{"csTypes":["a"],"rank":2}})");
  Json patch = ThreeWayMergePatch(original, modified, original);
  EXPECT_EQ(patch, Json::parse(R"({"spec":{"csTypes":["a"],"rank":2}})"));
}

TEST(ThreeWayMergePatch, WithoutOriginalOnlyAddsAndChanges) {
  Json modified = Json::parse(R"({"spec":{"rank":2}})");
  Json live = Json::parse(R"({"spec":{"rank":1,"node":"n"}})");
  EXPECT_EQ(ThreeWayMergePatch(Json(), modified, live),
            Json::parse(R"({"spec":{"rank":2}})"));
}

TEST(ApplyMergePatch, FollowsRfc7386) {
  Json target = Json::parse(R"({"a":"b","c":{"d":"e","f":"g"}})");
  Json patch = Json::parse(R"({"a":"z","c":{"f":null},"n":{"m":1}})");
  EXPECT_EQ(ApplyMergePatch(target, patch),
            Json::parse(R"({"a":"z","c":{"d":"e"},"n":{"m":1}})"));
}

}  // namespace
}  // namespace vigil::cli
