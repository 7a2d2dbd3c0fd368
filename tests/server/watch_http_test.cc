// HTTP watch streams: replay and live events, initial events, expiry (410),
// selectors, Table events, bookmarks, timeouts, shutdown and many watchers.
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"
#include "tests/server/watch_reader.h"

namespace vigil::server {
namespace {

using ::testing::HasSubstr;
using testing::Json;
using testing::ServiceGroup;
using testing::WatchReader;

constexpr char kGroups[] = "/apis/vigil.io/v1/servicegroups";

class WatchHttpTest : public testing::ServerFixture {
 protected:
  void CreateGroup(const std::string& name) {
    ASSERT_TRUE(registry().Create(ServiceGroup(name)).ok());
  }
  std::unique_ptr<WatchReader> Watch(const std::string& query,
                                     httplib::Headers headers = {}) {
    auto reader = std::make_unique<WatchReader>(
        port_, std::string(kGroups) + "?watch=true&" + query, std::move(headers));
    EXPECT_EQ(reader->WaitForStatus(), 200);
    return reader;
  }
  std::string Revision() { return std::to_string(store().CurrentRevision()); }
};

std::vector<std::string> TypesAndNames(const std::vector<Json>& events) {
  std::vector<std::string> out;
  for (const Json& e : events) {
    out.push_back(e.value("type", "?") + " " + api::NameOf(e.value("object", Json())));
  }
  return out;
}

TEST_F(WatchHttpTest, ReplaysFromARevisionThenStreamsLive) {
  CreateGroup("a");
  const std::string after_a = Revision();
  CreateGroup("b");
  auto reader = Watch("resourceVersion=" + after_a);
  EXPECT_EQ(reader->content_type(), "application/json;stream=watch");
  ASSERT_TRUE(registry().Patch("sg", "b", {{"spec", {{"autoRepair", false}}}}).ok());
  ASSERT_TRUE(registry().Delete("sg", "a").ok());
  std::vector<Json> events = reader->WaitFor(3);
  EXPECT_THAT(TypesAndNames(events),
              ::testing::ElementsAre("ADDED b", "MODIFIED b", "DELETED a"));
  EXPECT_EQ(events[0]["object"]["kind"], "ServiceGroup");
}

TEST_F(WatchHttpTest, WithoutResourceVersionStartsWithTheCurrentState) {
  CreateGroup("a");
  CreateGroup("b");
  auto reader = Watch("");
  CreateGroup("c");
  EXPECT_THAT(TypesAndNames(reader->WaitFor(3)),
              ::testing::ElementsAre("ADDED a", "ADDED b", "ADDED c"));
}

TEST_F(WatchHttpTest, SendInitialEventsFalseStartsFromNow) {
  CreateGroup("a");
  auto reader = Watch("sendInitialEvents=false");
  CreateGroup("b");
  EXPECT_THAT(TypesAndNames(reader->WaitFor(1)), ::testing::ElementsAre("ADDED b"));
}

TEST_F(WatchHttpTest, StreamingListEndsItsInitialEventsWithABookmark) {
  CreateGroup("a");
  auto reader = Watch(
      "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
  std::vector<Json> events = reader->WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "BOOKMARK");
  EXPECT_EQ(events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], Revision());
}

TEST_F(WatchHttpTest, ExpiredRevisionIsAnErrorEventWith410) {
  CreateGroup("a");
  CreateGroup("b");
  ASSERT_TRUE(store().Compact(store().CurrentRevision()).ok());
  auto reader = Watch("resourceVersion=1");
  std::vector<Json> events = reader->WaitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["kind"], "Status");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
  EXPECT_TRUE(reader->WaitForEnd());
}

TEST_F(WatchHttpTest, SelectorsFilterEvents) {
  auto by_label = Watch("sendInitialEvents=false&labelSelector=tier%3Dweb");
  auto by_name = Watch("sendInitialEvents=false&fieldSelector=metadata.name%3Db");
  CreateGroup("a");
  CreateGroup("b");
  ASSERT_TRUE(registry().Patch("sg", "a", {{"metadata", {{"labels", {{"tier", "web"}}}}}}).ok());
  EXPECT_THAT(TypesAndNames(by_label->WaitFor(1)), ::testing::ElementsAre("ADDED a"));
  EXPECT_THAT(TypesAndNames(by_name->WaitFor(1)), ::testing::ElementsAre("ADDED b"));
}

TEST_F(WatchHttpTest, BadSelectorOrUnknownResourceFailsBeforeStreaming) {
  WatchReader bad(port_, std::string(kGroups) + "?watch=true&labelSelector=a%20in%20b");
  EXPECT_EQ(bad.WaitForStatus(), 400);
  WatchReader unknown(port_, "/apis/vigil.io/v1/widgets?watch=true");
  EXPECT_EQ(unknown.WaitForStatus(), 404);
}

TEST_F(WatchHttpTest, TableEventsCarryColumnsOnlyInTheFirst) {
  CreateGroup("a");
  auto reader = Watch("resourceVersion=" + Revision(),
                      {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}});
  CreateGroup("b");
  ASSERT_TRUE(registry().Patch("sg", "b", {{"spec", {{"redundancyModel", "N+M"}}}}).ok());
  std::vector<Json> events = reader->WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  const Json& first = events[0]["object"];
  EXPECT_EQ(first["kind"], "Table");
  EXPECT_FALSE(first["columnDefinitions"].empty());
  ASSERT_EQ(first["rows"].size(), 1u);
  EXPECT_EQ(first["rows"][0]["cells"][0], "b");
  EXPECT_EQ(first["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  const Json& second = events[1]["object"];
  EXPECT_TRUE(second["columnDefinitions"].empty());
  EXPECT_EQ(second["rows"][0]["cells"][1], "N+M");
}

TEST_F(WatchHttpTest, TimeoutSecondsEndsTheStream) {
  auto reader = Watch("timeoutSeconds=1");
  EXPECT_TRUE(reader->WaitForEnd(std::chrono::seconds(3)));
}

TEST_F(WatchHttpTest, StopEndsOpenWatchesPromptly) {
  auto reader = Watch("");
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(reader->WaitForEnd());
}

TEST_F(WatchHttpTest, ManyIdleWatchersDoNotStarveRequests) {
  std::vector<std::unique_ptr<WatchReader>> watchers;
  for (int i = 0; i < 100; ++i) watchers.push_back(Watch("sendInitialEvents=false"));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    httplib::Result result = Http()->Get((std::string(kGroups)).c_str());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  CreateGroup("fanout");
  for (auto& watcher : watchers) {
    EXPECT_THAT(TypesAndNames(watcher->WaitFor(1)), ::testing::ElementsAre("ADDED fanout"));
  }
}

class WatchHeartbeatTest : public WatchHttpTest {
 protected:
  ApiServerOptions ServerOptions() override {
    ApiServerOptions options = WatchHttpTest::ServerOptions();
    options.watch_heartbeat = std::chrono::milliseconds(50);
    return options;
  }
};

TEST_F(WatchHeartbeatTest, WatchesOfVanishedClientsAreReleased) {
  {
    auto a = Watch("sendInitialEvents=false");
    auto b = Watch("sendInitialEvents=false");
    EXPECT_EQ(server_->ActiveWatches(), 2u);
  }  // both clients close their connections
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (server_->ActiveWatches() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->ActiveWatches(), 0u);
}

class WatchBookmarkHttpTest : public WatchHttpTest {
 protected:
  store::RocksDbStoreOptions StoreOptions() override {
    store::RocksDbStoreOptions options = WatchHttpTest::StoreOptions();
    options.bookmark_interval = std::chrono::milliseconds(50);
    return options;
  }
};

TEST_F(WatchBookmarkHttpTest, BookmarksOnlyWhenAllowed) {
  CreateGroup("a");
  auto with = Watch("sendInitialEvents=false&allowWatchBookmarks=true");
  auto without = Watch("sendInitialEvents=false");
  std::vector<Json> events = with->WaitFor(1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["type"], "BOOKMARK");
  EXPECT_EQ(events[0]["object"]["kind"], "ServiceGroup");
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], Revision());
  CreateGroup("b");
  EXPECT_THAT(TypesAndNames(without->WaitFor(1)), ::testing::ElementsAre("ADDED b"));
}

}  // namespace
}  // namespace vigil::server
