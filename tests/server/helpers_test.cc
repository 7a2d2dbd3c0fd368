// The pure helpers of the server: negotiation, selectors, paths, patches,
// ages, the event line cache, the connection task queue and the kubeconfig.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/connection_task_queue.h"
#include "server/event_line_cache.h"
#include "server/field_selector.h"
#include "server/http_util.h"
#include "server/kubeconfig.h"
#include "server/merge_patch.h"
#include "server/resource_handlers.h"
#include "server/tables.h"

namespace vigil::server {
namespace {

using api::Json;
using ::testing::HasSubstr;

TEST(NegotiateFormat, PicksJsonOrTableAndRefusesTheUnservable) {
  EXPECT_FALSE(NegotiateFormat("")->table);
  EXPECT_FALSE(NegotiateFormat("application/json")->table);
  EXPECT_FALSE(NegotiateFormat("*/*")->table);
  auto table = NegotiateFormat(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
      "v=v1beta1;g=meta.k8s.io,application/json");
  ASSERT_TRUE(table.has_value());
  EXPECT_TRUE(table->table);
  EXPECT_EQ(table->table_version, "v1");
  EXPECT_FALSE(NegotiateFormat("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;"
                               "v=v1,application/json")
                   ->table);
  EXPECT_FALSE(NegotiateFormat("application/vnd.kubernetes.protobuf").has_value());
  EXPECT_FALSE(NegotiateFormat("application/yaml").has_value());
}

TEST(FieldSelector, MatchesMetadataNameOnly) {
  Json obj = {{"metadata", {{"name", "vlc"}}}};
  EXPECT_TRUE(FieldSelector::Parse("").value().Matches(obj));
  EXPECT_TRUE(FieldSelector::Parse("metadata.name=vlc").value().Matches(obj));
  EXPECT_TRUE(FieldSelector::Parse("metadata.name==vlc").value().Matches(obj));
  EXPECT_FALSE(FieldSelector::Parse("metadata.name!=vlc").value().Matches(obj));
  EXPECT_FALSE(FieldSelector::Parse("metadata.name=a,metadata.name=vlc").value().Matches(obj));
  EXPECT_TRUE(api::IsMalformedRequest(FieldSelector::Parse("spec.x=1").status()));
  EXPECT_TRUE(api::IsMalformedRequest(FieldSelector::Parse("metadata.name").status()));
  EXPECT_TRUE(api::IsMalformedRequest(FieldSelector::Parse("metadata.name!x").status()));
}

TEST(ParseResourcePath, NamesKindObjectAndStatus) {
  ResourcePath collection = ParseResourcePath("servicegroups").value();
  EXPECT_EQ(collection.kind->kind, "ServiceGroup");
  EXPECT_EQ(collection.name, "");
  ResourcePath status = ParseResourcePath("serviceinstances/si-1/status").value();
  EXPECT_EQ(status.kind->kind, "ServiceInstance");
  EXPECT_EQ(status.name, "si-1");
  EXPECT_TRUE(status.status);
  EXPECT_TRUE(absl::IsNotFound(ParseResourcePath("widgets").status()));
  EXPECT_THAT(ParseResourcePath("sg").status().message(), HasSubstr("servicegroups"));
  EXPECT_TRUE(absl::IsNotFound(ParseResourcePath("servicegroups/a/scale").status()));
  EXPECT_TRUE(absl::IsNotFound(ParseResourcePath("servicegroups/a/status/x").status()));
}

TEST(ApplyPatchDocument, MergePatchFollowsRfc7386) {
  Json target = {{"a", 1}, {"b", {{"c", 2}, {"d", 3}}}, {"e", {1, 2}}};
  Json patch = {{"a", nullptr}, {"b", {{"c", 5}}}, {"e", {3}}, {"f", "new"}};
  Json expected = {{"b", {{"c", 5}, {"d", 3}}}, {"e", {3}}, {"f", "new"}};
  EXPECT_EQ(ApplyPatchDocument(target, PatchType::kMerge, patch).value(), expected);
  EXPECT_TRUE(api::IsMalformedRequest(
      ApplyPatchDocument(target, PatchType::kMerge, Json::array()).status()));
}

TEST(ApplyPatchDocument, JsonPatchFollowsRfc6902) {
  Json target = {{"spec", {{"n", 1}}}};
  Json ops = Json::parse(R"([{"op":"add","path":"/spec/m","value":2},
                             {"op":"remove","path":"/spec/n"}])");
  EXPECT_EQ(ApplyPatchDocument(target, PatchType::kJsonPatch, ops).value(),
            Json({{"spec", {{"m", 2}}}}));
  Json bad = Json::parse(R"([{"op":"remove","path":"/nope"}])");
  EXPECT_TRUE(api::IsMalformedRequest(
      ApplyPatchDocument(target, PatchType::kJsonPatch, bad).status()));
}

TEST(HumanAge, ReadsLikeKubectl) {
  EXPECT_EQ(HumanAge(absl::Seconds(45)), "45s");
  EXPECT_EQ(HumanAge(absl::Seconds(119)), "119s");
  EXPECT_EQ(HumanAge(absl::Seconds(330)), "5m30s");
  EXPECT_EQ(HumanAge(absl::Minutes(45)), "45m");
  EXPECT_EQ(HumanAge(absl::Hours(5) + absl::Minutes(3)), "5h3m");
  EXPECT_EQ(HumanAge(absl::Hours(30)), "30h");
  EXPECT_EQ(HumanAge(absl::Hours(76)), "3d4h");
  EXPECT_EQ(HumanAge(absl::Hours(24 * 400)), "400d");
  EXPECT_EQ(HumanAge(absl::Seconds(-5)), "0s");
}

TEST(EventLineCache, SerializesEachEventOnce) {
  EventLineCache cache(2);
  Json obj = {{"kind", "ServiceGroup"}, {"metadata", {{"name", "a"}, {"resourceVersion", "7"}}}};
  auto first = cache.Line("ADDED", obj);
  EXPECT_EQ(*first, "{\"type\":\"ADDED\",\"object\":" + obj.dump() + "}\n");
  EXPECT_EQ(cache.Line("ADDED", obj).get(), first.get());
  EXPECT_NE(cache.Line("DELETED", obj).get(), first.get());
  Json other = obj;
  other["metadata"]["resourceVersion"] = "8";
  cache.Line("ADDED", other);  // evicts the oldest line
  EXPECT_NE(cache.Line("ADDED", obj).get(), first.get());
  EXPECT_EQ(*cache.Line("ADDED", obj), *first);
}

TEST(ConnectionTaskQueue, RunsEachTaskOnItsOwnThreadAndJoinsOnShutdown) {
  ConnectionTaskQueue queue;
  std::atomic<int> running{0}, done{0};
  std::atomic<bool> release{false};
  for (int i = 0; i < 20; ++i) {
    queue.enqueue([&] {
      ++running;
      while (!release) std::this_thread::yield();
      ++done;
    });
  }
  // All 20 block at once: none waits for a free worker.
  while (running < 20) std::this_thread::yield();
  EXPECT_EQ(queue.active(), 20u);
  release = true;
  queue.shutdown();
  EXPECT_EQ(done, 20);
  EXPECT_EQ(queue.active(), 0u);
}

TEST(Kubeconfig, WritesAClusterUserAndCurrentContext) {
  char pattern[] = "/tmp/vigil-kubeconfig-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string path = std::string(pattern) + "/kubeconfig";
  ASSERT_TRUE(WriteKubeconfig(path, "http://127.0.0.1:8443").ok());
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("server: http://127.0.0.1:8443"));
  EXPECT_THAT(text.str(), HasSubstr("current-context: vigil"));
  EXPECT_THAT(text.str(), HasSubstr("user: vigil-admin"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  absl::Status failed = WriteKubeconfig(std::string(pattern) + "/no/such/dir/kc", "x");
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.message(), HasSubstr("no/such/dir"));
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace vigil::server
