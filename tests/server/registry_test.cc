// Registry semantics on a real RocksDbStore: validation, the status split,
// patches, finalizers, dry-run, selectors, watches and the audit log.
#include "server/registry.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "api/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace vigil::server {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using testing::Json;
using testing::Node;
using testing::ServiceGroup;
using testing::ServiceInstance;

constexpr std::chrono::milliseconds kWait{2000};

class RegistryTest : public testing::ServerFixture {
 protected:
  Json MustCreate(const Json& obj, const client::WriteOptions& options = {}) {
    absl::StatusOr<Json> created = registry().Create(obj, options);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(Json());
  }

  client::WatchEvent MustNext(client::WatchStream& stream) {
    absl::StatusOr<std::optional<client::WatchEvent>> event = stream.Next(kWait);
    EXPECT_TRUE(event.ok()) << event.status();
    if (!event.ok() || !event->has_value()) {
      ADD_FAILURE() << "no watch event within " << kWait.count() << " ms";
      return {};
    }
    return **event;
  }
};

TEST_F(RegistryTest, CreateAppliesDefaultsAndDropsStatus) {
  Json sg = ServiceGroup("vlc");
  sg["status"] = {{"activeUnits", 3}};
  Json created = MustCreate(sg, {false, "alice"});
  EXPECT_FALSE(created.contains("status"));
  EXPECT_EQ(created["spec"]["autoRepair"], true);
  EXPECT_EQ(created["metadata"]["generation"], 1);
  EXPECT_FALSE(api::ResourceVersionOf(created).empty());
  ASSERT_EQ(AuditLines().size(), 1u);
  EXPECT_THAT(AuditLines()[0], HasSubstr("user=alice verb=create kind=ServiceGroup "
                                         "name=vlc resourceVersion=" +
                                         api::ResourceVersionOf(created)));
}

TEST_F(RegistryTest, CreateRejectsInvalidObjectWithEveryCauseAndStoresNothing) {
  Json sg = ServiceGroup("vlc", "3N");
  sg["spec"]["preferredActiveUnits"] = 0;
  absl::StatusOr<Json> created = registry().Create(sg);
  ASSERT_TRUE(absl::IsInvalidArgument(created.status())) << created.status();
  EXPECT_FALSE(api::IsMalformedRequest(created.status()));
  std::vector<api::FieldError> causes = api::CausesOf(created.status());
  EXPECT_THAT(causes, Contains(Field(&api::FieldError::field, "spec.redundancyModel")));
  EXPECT_THAT(causes, Contains(Field(&api::FieldError::field, "spec.preferredActiveUnits")));
  EXPECT_TRUE(absl::IsNotFound(registry().Get("sg", "vlc").status()));
  EXPECT_TRUE(AuditLines().empty());
}

TEST_F(RegistryTest, CreateTwiceIsAlreadyExists) {
  MustCreate(ServiceGroup("vlc"));
  absl::StatusOr<Json> again = registry().Create(ServiceGroup("vlc"));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status()));
  EXPECT_EQ(again.status().message(), "servicegroups.vigil.io \"vlc\" already exists");
}

TEST_F(RegistryTest, UnknownKindIsNotFoundListingKnownKinds) {
  absl::StatusOr<Json> got = registry().Get("Widget", "x");
  ASSERT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_THAT(got.status().message(), HasSubstr("\"Widget\""));
  EXPECT_THAT(got.status().message(), HasSubstr("ServiceGroup"));
  EXPECT_THAT(got.status().message(), HasSubstr("ServiceInstance"));
  Json widget = ServiceGroup("x");
  widget["kind"] = "Widget";
  EXPECT_TRUE(absl::IsNotFound(registry().Create(widget).status()));
}

TEST_F(RegistryTest, GetAcceptsAnyNameOfTheKind) {
  MustCreate(ServiceGroup("vlc"));
  for (const char* kind : {"sg", "servicegroup", "servicegroups", "ServiceGroup"}) {
    EXPECT_TRUE(registry().Get(kind, "vlc").ok()) << kind;
  }
  absl::StatusOr<Json> missing = registry().Get("sg", "nope");
  EXPECT_EQ(missing.status().message(), "servicegroups.vigil.io \"nope\" not found");
}

TEST_F(RegistryTest, UpdateKeepsStoredStatusAndBumpsGenerationOnSpecChange) {
  MustCreate(ServiceGroup("vlc"));
  Json with_status = ServiceGroup("vlc");
  with_status["status"] = {{"activeUnits", 1}};
  ASSERT_TRUE(registry().UpdateStatus(with_status).ok());

  Json edit = ServiceGroup("vlc", "N+M");
  edit["status"] = {{"activeUnits", 42}};
  absl::StatusOr<Json> updated = registry().Update(edit);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["spec"]["redundancyModel"], "N+M");
  EXPECT_EQ((*updated)["status"]["activeUnits"], 1);
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
}

TEST_F(RegistryTest, UpdateWithStaleResourceVersionConflicts) {
  Json created = MustCreate(ServiceGroup("vlc"));
  Json first = created;
  first["spec"]["preferredStandbyUnits"] = 2;
  ASSERT_TRUE(registry().Update(first).ok());
  Json stale = created;
  stale["spec"]["preferredStandbyUnits"] = 3;
  absl::StatusOr<Json> second = registry().Update(stale);
  ASSERT_TRUE(absl::IsAborted(second.status())) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("the object has been modified"));
}

TEST_F(RegistryTest, UpdateThatChangesNothingWritesNothing) {
  Json created = MustCreate(ServiceGroup("vlc"));
  const int64_t revision = store().CurrentRevision();
  absl::StatusOr<Json> same = registry().Update(ServiceGroup("vlc"));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(api::ResourceVersionOf(*same), api::ResourceVersionOf(created));
  EXPECT_EQ(store().CurrentRevision(), revision);
  EXPECT_EQ(AuditLines().size(), 1u);
}

TEST_F(RegistryTest, UpdateCannotChangeTheKind) {
  MustCreate(ServiceGroup("vlc"));
  Json other = ServiceInstance("vlc", "vlc");
  EXPECT_TRUE(absl::IsNotFound(registry().Update(other).status()));
}

TEST_F(RegistryTest, UpdateStatusKeepsSpecAndMetadata) {
  MustCreate(ServiceGroup("vlc"));
  Json edit = ServiceGroup("vlc", "N-Way");
  edit["metadata"]["labels"] = {{"app", "other"}};
  edit["status"] = {{"activeUnits", 2}, {"observedGeneration", 1}};
  absl::StatusOr<Json> updated = registry().UpdateStatus(edit, {false, "controller"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["spec"]["redundancyModel"], "2N");
  EXPECT_EQ((*updated)["metadata"]["labels"]["app"], "demo");
  EXPECT_EQ((*updated)["metadata"]["generation"], 1);
  EXPECT_EQ((*updated)["status"]["activeUnits"], 2);
  EXPECT_THAT(AuditLines().back(), HasSubstr("user=controller verb=update-status"));
}

TEST_F(RegistryTest, UpdateStatusValidatesTheStatus) {
  MustCreate(ServiceGroup("vlc"));
  Json edit = ServiceGroup("vlc");
  edit["status"] = {{"activeUnits", "many"}};
  absl::StatusOr<Json> updated = registry().UpdateStatus(edit);
  ASSERT_TRUE(absl::IsInvalidArgument(updated.status())) << updated.status();
  EXPECT_THAT(api::CausesOf(updated.status()),
              Contains(Field(&api::FieldError::field, "status.activeUnits")));
}

TEST_F(RegistryTest, MergePatchChangesAndRemovesFields) {
  MustCreate(ServiceGroup("vlc"));
  Json patch = {{"metadata", {{"labels", {{"app", nullptr}, {"tier", "web"}}}}},
                {"spec", {{"preferredStandbyUnits", 2}}}};
  absl::StatusOr<Json> patched = registry().Patch("sg", "vlc", patch);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["metadata"]["labels"], Json({{"tier", "web"}}));
  EXPECT_EQ((*patched)["spec"]["preferredStandbyUnits"], 2);
  EXPECT_EQ((*patched)["spec"]["redundancyModel"], "2N");
  EXPECT_THAT(AuditLines().back(), HasSubstr("verb=patch"));
}

TEST_F(RegistryTest, MergePatchWithStaleResourceVersionConflicts) {
  Json created = MustCreate(ServiceGroup("vlc"));
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"spec", {{"autoRepair", false}}}}).ok());
  Json stale = {{"metadata", {{"resourceVersion", api::ResourceVersionOf(created)}}},
                {"spec", {{"autoRepair", true}}}};
  EXPECT_TRUE(absl::IsAborted(registry().Patch("sg", "vlc", stale).status()));
}

TEST_F(RegistryTest, PatchCannotRename) {
  MustCreate(ServiceGroup("vlc"));
  absl::StatusOr<Json> patched =
      registry().Patch("sg", "vlc", {{"metadata", {{"name", "other"}}}});
  ASSERT_TRUE(absl::IsInvalidArgument(patched.status()));
  EXPECT_THAT(api::CausesOf(patched.status()),
              Contains(Field(&api::FieldError::field, "metadata.name")));
}

TEST_F(RegistryTest, InvalidPatchIsRejectedAndNothingChanges) {
  Json created = MustCreate(ServiceGroup("vlc"));
  absl::StatusOr<Json> patched =
      registry().Patch("sg", "vlc", {{"spec", {{"redundancyModel", "3N"}}}});
  ASSERT_TRUE(absl::IsInvalidArgument(patched.status()));
  EXPECT_EQ(registry().Get("sg", "vlc").value(), created);
}

TEST_F(RegistryTest, StatusPatchOnlyTouchesStatus) {
  MustCreate(ServiceGroup("vlc"));
  Json patch = {{"spec", {{"redundancyModel", "N+M"}}}, {"status", {{"activeUnits", 1}}}};
  absl::StatusOr<Json> patched = registry().Patch("sg", "vlc", patch, /*status=*/true);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["spec"]["redundancyModel"], "2N");
  EXPECT_EQ((*patched)["status"]["activeUnits"], 1);
}

TEST_F(RegistryTest, JsonPatchAppliesAndFailedTestIsMalformed) {
  MustCreate(ServiceGroup("vlc"));
  Json ops = Json::array({{{"op", "replace"}, {"path", "/spec/preferredStandbyUnits"}, {"value", 4}}});
  absl::StatusOr<Json> patched =
      registry().ApplyPatch("sg", "vlc", PatchType::kJsonPatch, ops, false, {});
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["spec"]["preferredStandbyUnits"], 4);
  Json failing = Json::array({{{"op", "test"}, {"path", "/spec/redundancyModel"}, {"value", "N+M"}}});
  absl::StatusOr<Json> failed =
      registry().ApplyPatch("sg", "vlc", PatchType::kJsonPatch, failing, false, {});
  EXPECT_TRUE(api::IsMalformedRequest(failed.status())) << failed.status();
}

TEST_F(RegistryTest, ConcurrentPatchesWithoutResourceVersionAllApply) {
  MustCreate(ServiceGroup("vlc"));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Json patch = {{"metadata", {{"labels", {{"t" + std::to_string(t), std::to_string(i)}}}}}};
        if (!registry().Patch("sg", "vlc", patch).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  Json labels = registry().Get("sg", "vlc").value()["metadata"]["labels"];
  for (int t = 0; t < 8; ++t) EXPECT_EQ(labels["t" + std::to_string(t)], "9");
}

TEST_F(RegistryTest, DeleteWithFinalizersMarksUntilTheLastFinalizerGoes) {
  Json sg = ServiceGroup("vlc");
  sg["metadata"]["finalizers"] = {"vigil.io/cleanup"};
  MustCreate(sg);
  absl::StatusOr<Json> marked = registry().Delete("sg", "vlc");
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_TRUE((*marked)["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(registry().Get("sg", "vlc").ok());
  // A second delete changes nothing.
  EXPECT_EQ(registry().Delete("sg", "vlc").value(), *marked);

  Json no_finalizers = *marked;
  no_finalizers["metadata"]["finalizers"] = Json::array();
  absl::StatusOr<Json> gone = registry().Update(no_finalizers);
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_TRUE(absl::IsNotFound(registry().Get("sg", "vlc").status()));
}

TEST_F(RegistryTest, UpdateCannotSetOrClearDeletionTimestamp) {
  Json sg = ServiceGroup("vlc");
  sg["metadata"]["deletionTimestamp"] = "2020-01-01T00:00:00Z";
  Json created = MustCreate(sg);
  EXPECT_FALSE(created["metadata"].contains("deletionTimestamp"));
  Json edit = created;
  edit["metadata"]["deletionTimestamp"] = "2020-01-01T00:00:00Z";
  edit["spec"]["autoRepair"] = false;
  absl::StatusOr<Json> updated = registry().Update(edit);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_FALSE((*updated)["metadata"].contains("deletionTimestamp"));
}

TEST_F(RegistryTest, DeleteWithStaleResourceVersionConflicts) {
  Json created = MustCreate(ServiceGroup("vlc"));
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"spec", {{"autoRepair", false}}}}).ok());
  const int64_t stale = std::stoll(api::ResourceVersionOf(created));
  EXPECT_TRUE(absl::IsAborted(registry().Delete("sg", "vlc", stale).status()));
  absl::StatusOr<Json> deleted = registry().Delete("sg", "vlc", std::nullopt, {false, "bob"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_THAT(AuditLines().back(), HasSubstr("user=bob verb=delete kind=ServiceGroup name=vlc"));
  EXPECT_TRUE(absl::IsNotFound(registry().Delete("sg", "vlc").status()));
}

TEST_F(RegistryTest, DryRunReturnsTheResultAndStoresNothing) {
  const client::WriteOptions dry{true, "alice"};
  absl::StatusOr<Json> created = registry().Create(ServiceGroup("vlc"), dry);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)["spec"]["autoRepair"], true);
  EXPECT_EQ(store().CurrentRevision(), 0);
  EXPECT_TRUE(absl::IsNotFound(registry().Get("sg", "vlc").status()));

  MustCreate(ServiceGroup("vlc"));
  const int64_t revision = store().CurrentRevision();
  EXPECT_TRUE(absl::IsAlreadyExists(registry().Create(ServiceGroup("vlc"), dry).status()));
  absl::StatusOr<Json> updated = registry().Update(ServiceGroup("vlc", "N+M"), dry);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);
  EXPECT_TRUE(registry().Delete("sg", "vlc", std::nullopt, dry).ok());
  EXPECT_TRUE(registry().Patch("sg", "vlc", {{"spec", {{"autoRepair", false}}}}, false, dry).ok());
  EXPECT_EQ(store().CurrentRevision(), revision);
  EXPECT_EQ(registry().Get("sg", "vlc").value()["spec"]["redundancyModel"], "2N");
  EXPECT_EQ(AuditLines().size(), 1u);
}

TEST_F(RegistryTest, ListFiltersByLabelSelectorAndReadsPastRevisions) {
  Json a = ServiceGroup("a");
  Json b = ServiceGroup("b");
  b["metadata"]["labels"] = {{"app", "other"}};
  MustCreate(a);
  MustCreate(b);
  const int64_t before = store().CurrentRevision();
  MustCreate(ServiceGroup("c"));
  absl::StatusOr<client::ObjectList> demo = registry().List("sg", {"app=demo", 0});
  ASSERT_TRUE(demo.ok()) << demo.status();
  ASSERT_EQ(demo->items.size(), 2u);
  EXPECT_EQ(api::NameOf(demo->items[0]), "a");
  EXPECT_EQ(api::NameOf(demo->items[1]), "c");
  EXPECT_EQ(demo->resource_version, store().CurrentRevision());
  absl::StatusOr<client::ObjectList> past = registry().List("sg", {"", before});
  ASSERT_TRUE(past.ok()) << past.status();
  EXPECT_EQ(past->items.size(), 2u);
  absl::StatusOr<client::ObjectList> bad = registry().List("sg", {"app in demo", 0});
  EXPECT_TRUE(api::IsMalformedRequest(bad.status())) << bad.status();
}

TEST_F(RegistryTest, ListAheadOfTheStoreIsABadRequest) {
  MustCreate(ServiceGroup("a"));
  absl::Status ahead = registry().List("sg", {"", 1000}).status();
  EXPECT_TRUE(api::IsMalformedRequest(ahead)) << ahead;
}

TEST_F(RegistryTest, WatchSeesOnlyItsKindFromNow) {
  MustCreate(ServiceGroup("old"));
  auto watch = registry().Watch("sg", {});
  ASSERT_TRUE(watch.ok()) << watch.status();
  MustCreate(Node("n1"));
  MustCreate(ServiceGroup("vlc"));
  client::WatchEvent event = MustNext(**watch);
  EXPECT_EQ(event.type, client::WatchEvent::Type::kAdded);
  EXPECT_EQ(api::NameOf(event.object), "vlc");
  ASSERT_TRUE(registry().Delete("sg", "vlc").ok());
  event = MustNext(**watch);
  EXPECT_EQ(event.type, client::WatchEvent::Type::kDeleted);
  absl::StatusOr<std::optional<client::WatchEvent>> none =
      (*watch)->Next(std::chrono::milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(RegistryTest, WatchWithSelectorReportsObjectsLeavingAndEnteringIt) {
  MustCreate(ServiceGroup("vlc"));
  auto watch = registry().Watch("sg", {"app=demo", 0});
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"metadata", {{"labels", {{"app", "x"}}}}}}).ok());
  EXPECT_EQ(MustNext(**watch).type, client::WatchEvent::Type::kDeleted);
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"spec", {{"autoRepair", false}}}}).ok());
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"metadata", {{"labels", {{"app", "demo"}}}}}}).ok());
  EXPECT_EQ(MustNext(**watch).type, client::WatchEvent::Type::kAdded);
  ASSERT_TRUE(registry().Patch("sg", "vlc", {{"spec", {{"autoRepair", true}}}}).ok());
  EXPECT_EQ(MustNext(**watch).type, client::WatchEvent::Type::kModified);
}

TEST_F(RegistryTest, WatchReplaysFromARevisionAndExpiresBelowCompaction) {
  MustCreate(ServiceGroup("a"));
  const int64_t after_a = store().CurrentRevision();
  MustCreate(ServiceGroup("b"));
  MustCreate(ServiceGroup("c"));
  auto watch = registry().Watch("sg", {"", after_a});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(api::NameOf(MustNext(**watch).object), "b");
  EXPECT_EQ(api::NameOf(MustNext(**watch).object), "c");
  ASSERT_TRUE(store().Compact(store().CurrentRevision()).ok());
  EXPECT_TRUE(absl::IsOutOfRange(registry().Watch("sg", {"", after_a}).status()));
}

TEST_F(RegistryTest, CancelUnblocksNext) {
  auto watch = registry().Watch("sg", {});
  ASSERT_TRUE(watch.ok());
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (*watch)->Cancel();
  });
  absl::StatusOr<std::optional<client::WatchEvent>> next =
      (*watch)->Next(std::chrono::seconds(10));
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(next.status())) << next.status();
}

class RegistryBookmarkTest : public RegistryTest {
 protected:
  store::RocksDbStoreOptions StoreOptions() override {
    store::RocksDbStoreOptions options = RegistryTest::StoreOptions();
    options.bookmark_interval = std::chrono::milliseconds(50);
    return options;
  }
};

TEST_F(RegistryBookmarkTest, BookmarksPassThrough) {
  MustCreate(ServiceGroup("vlc"));
  auto watch = registry().Watch("sg", {"app=demo", 0});
  ASSERT_TRUE(watch.ok());
  client::WatchEvent event = MustNext(**watch);
  EXPECT_EQ(event.type, client::WatchEvent::Type::kBookmark);
  EXPECT_EQ(api::ResourceVersionOf(event.object), std::to_string(store().CurrentRevision()));
}

}  // namespace
}  // namespace vigil::server
