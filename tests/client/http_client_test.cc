// HttpClient against a real server: it must behave like the in-process
// Registry, errors (with field causes) included.
#include "client/http_client.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "client/connection_pool.h"

#include "api/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace vigil::client {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using server::testing::Json;
using server::testing::ServiceGroup;

constexpr std::chrono::milliseconds kWait{3000};

HttpClientOptions PlainOptions(const std::string& server, std::chrono::milliseconds timeout) {
  HttpClientOptions options;
  options.server = server;
  options.timeout = timeout;
  return options;
}

class HttpClientTest : public server::testing::ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    client_ = std::make_unique<HttpClient>(PlainOptions(url_, std::chrono::seconds(5)));
  }
  void TearDown() override {
    client_.reset();
    ServerFixture::TearDown();
  }
  HttpClient& client() { return *client_; }

  WatchEvent MustNext(WatchStream& stream) {
    absl::StatusOr<std::optional<WatchEvent>> event = stream.Next(kWait);
    EXPECT_TRUE(event.ok()) << event.status();
    if (!event.ok() || !event->has_value()) {
      ADD_FAILURE() << "no event";
      return {};
    }
    return **event;
  }

  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, CrudRoundTrip) {
  absl::StatusOr<Json> created = client().Create(ServiceGroup("vlc"), {false, "dave"});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["spec"]["autoRepair"], true);
  EXPECT_THAT(AuditLines().back(), HasSubstr("user=dave verb=create"));
  EXPECT_EQ(client().Get("sg", "vlc").value(), *created);

  Json edit = *created;
  edit["spec"]["redundancyModel"] = "N+M";
  absl::StatusOr<Json> updated = client().Update(edit);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);

  Json status = *updated;
  status["status"] = {{"activeUnits", 2}};
  absl::StatusOr<Json> with_status = client().UpdateStatus(status);
  ASSERT_TRUE(with_status.ok()) << with_status.status();
  EXPECT_EQ((*with_status)["status"]["activeUnits"], 2);

  absl::StatusOr<Json> patched =
      client().Patch("ServiceGroup", "vlc", {{"status", {{"standbyUnits", 1}}}}, true);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["status"]["standbyUnits"], 1);

  absl::StatusOr<ObjectList> list = client().List("servicegroups");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->resource_version, store().CurrentRevision());

  ASSERT_TRUE(client().Delete("sg", "vlc").ok());
  EXPECT_TRUE(absl::IsNotFound(client().Get("sg", "vlc").status()));
}

TEST_F(HttpClientTest, ErrorsMapBackToTheSameCodes) {
  ASSERT_TRUE(client().Create(ServiceGroup("vlc")).ok());
  absl::Status exists = client().Create(ServiceGroup("vlc")).status();
  EXPECT_TRUE(absl::IsAlreadyExists(exists)) << exists;
  EXPECT_EQ(exists.message(), registry().Create(ServiceGroup("vlc")).status().message());

  absl::Status missing = client().Get("sg", "nope").status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_EQ(missing.message(), "servicegroups.vigil.io \"nope\" not found");

  EXPECT_TRUE(absl::IsAborted(client().Delete("sg", "vlc", 999).status()));
  EXPECT_TRUE(absl::IsNotFound(client().Get("widget", "x").status()));
  EXPECT_TRUE(api::IsMalformedRequest(client().List("sg", {"a in b", 0}).status()));
}

TEST_F(HttpClientTest, InvalidObjectKeepsItsCauses) {
  Json sg = ServiceGroup("vlc", "3N");
  sg["spec"]["preferredActiveUnits"] = 0;
  absl::Status over_http = client().Create(sg).status();
  absl::Status in_process = registry().Create(sg).status();
  ASSERT_TRUE(absl::IsInvalidArgument(over_http)) << over_http;
  EXPECT_FALSE(api::IsMalformedRequest(over_http));
  EXPECT_EQ(over_http.message(), in_process.message());
  EXPECT_EQ(api::CausesOf(over_http), api::CausesOf(in_process));
  EXPECT_THAT(api::CausesOf(over_http),
              Contains(Field(&api::FieldError::field, "spec.redundancyModel")));
}

TEST_F(HttpClientTest, DryRunAndListAtRevision) {
  ASSERT_TRUE(client().Create(ServiceGroup("a")).ok());
  const int64_t after_a = store().CurrentRevision();
  ASSERT_TRUE(client().Create(ServiceGroup("b")).ok());
  ASSERT_TRUE(client().Create(ServiceGroup("c"), {true, ""}).ok());
  EXPECT_TRUE(absl::IsNotFound(client().Get("sg", "c").status()));
  absl::StatusOr<ObjectList> past = client().List("sg", {"", after_a});
  ASSERT_TRUE(past.ok()) << past.status();
  EXPECT_EQ(past->items.size(), 1u);
  EXPECT_EQ(past->resource_version, after_a);
}

TEST_F(HttpClientTest, WatchFromNowAndFromARevision) {
  ASSERT_TRUE(client().Create(ServiceGroup("a")).ok());
  const int64_t after_a = store().CurrentRevision();
  auto from_now = client().Watch("sg");
  ASSERT_TRUE(from_now.ok()) << from_now.status();
  ASSERT_TRUE(client().Create(ServiceGroup("b")).ok());
  WatchEvent event = MustNext(**from_now);
  EXPECT_EQ(event.type, WatchEvent::Type::kAdded);
  EXPECT_EQ(api::NameOf(event.object), "b");

  auto replay = client().Watch("sg", {"", after_a});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(api::NameOf(MustNext(**replay).object), "b");
  ASSERT_TRUE(client().Delete("sg", "a").ok());
  event = MustNext(**replay);
  EXPECT_EQ(event.type, WatchEvent::Type::kDeleted);
  EXPECT_EQ(api::NameOf(event.object), "a");
}

TEST_F(HttpClientTest, WatchErrors) {
  EXPECT_TRUE(absl::IsNotFound(client().Watch("widgets").status()));
  EXPECT_TRUE(api::IsMalformedRequest(client().Watch("sg", {"a in b", 0}).status()));
  ASSERT_TRUE(client().Create(ServiceGroup("a")).ok());
  ASSERT_TRUE(client().Create(ServiceGroup("b")).ok());
  ASSERT_TRUE(store().Compact(store().CurrentRevision()).ok());
  auto expired = client().Watch("sg", {"", 1});
  ASSERT_TRUE(expired.ok()) << expired.status();
  absl::StatusOr<std::optional<WatchEvent>> next = (*expired)->Next(kWait);
  EXPECT_TRUE(absl::IsOutOfRange(next.status())) << next.status();
}

TEST_F(HttpClientTest, CancelUnblocksNextPromptly) {
  auto watch = client().Watch("sg");
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (*watch)->Cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::optional<WatchEvent>> next = (*watch)->Next(std::chrono::seconds(10));
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(next.status())) << next.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  watch->reset();  // joins the reader thread
}

TEST_F(HttpClientTest, ServerStopIsUnavailableToAWatcher) {
  auto watch = client().Watch("sg");
  ASSERT_TRUE(watch.ok()) << watch.status();
  server_->Stop();
  absl::StatusOr<std::optional<WatchEvent>> next = (*watch)->Next(kWait);
  EXPECT_TRUE(absl::IsUnavailable(next.status())) << next.status();
  EXPECT_TRUE(absl::IsUnavailable(client().Get("sg", "a").status()));
}

TEST_F(HttpClientTest, TablesAndPaths) {
  ASSERT_TRUE(client().Create(ServiceGroup("a")).ok());
  absl::StatusOr<Json> table = client().GetTable("sg", "");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)["kind"], "Table");
  EXPECT_EQ((*table)["rows"][0]["cells"][0], "a");
  absl::StatusOr<Json> one = client().GetTable("sg", "a");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ((*one)["rows"].size(), 1u);
  absl::StatusOr<Json> discovery = client().GetPath("/apis/vigil.io/v1");
  ASSERT_TRUE(discovery.ok()) << discovery.status();
  EXPECT_EQ((*discovery)["kind"], "APIResourceList");
  EXPECT_TRUE(absl::IsNotFound(client().GetPath("/nope").status()));
}

TEST_F(HttpClientTest, ConcurrentCallsShareKeptConnections) {
  ASSERT_TRUE(client().Create(ServiceGroup("a")).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!client().Get("sg", "a").ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(HttpClientTest, PoolReusesAConnectionThatServedACall) {
  ConnectionPool pool(PlainOptions(url_, std::chrono::seconds(5)));
  bool reused = true;
  std::unique_ptr<httplib::Client> http = pool.Acquire(&reused);
  EXPECT_FALSE(reused);
  httplib::Result result = http->Get("/healthz");
  ASSERT_TRUE(result);
  pool.Release(std::move(http));
  http = pool.Acquire(&reused);
  EXPECT_TRUE(reused);
  result = http->Get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body, "ok");
}

TEST_F(HttpClientTest, UnreachableServerIsUnavailable) {
  HttpClient nowhere(PlainOptions("http://127.0.0.1:1", std::chrono::seconds(1)));
  absl::Status status = nowhere.Get("sg", "a").status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace vigil::client
