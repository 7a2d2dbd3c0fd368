// The Store conformance suite, part 1: helpers and the object operations
// (create, get, update, delete, store-owned metadata, revisions, list).
#include "tests/store/store_conformance.h"

#include <stdlib.h>

#include <filesystem>
#include <regex>

#include <gmock/gmock.h>

namespace vigil::store::testing {

void PrintTo(const StoreImplementation& implementation, std::ostream* os) {
  *os << implementation.name;
}

std::string StoreImplementationName(
    const ::testing::TestParamInfo<StoreImplementation>& info) {
  return info.param.name;
}

TempDir::TempDir() {
  std::string pattern = ::testing::TempDir() + "vigil-store-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void StoreConformanceTest::SetUp() { Open(options_); }

void StoreConformanceTest::Open(const ConformanceOptions& options) {
  options_ = options;
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> opened =
      GetParam().open(dir_.path(), options_);
  if (!opened.ok()) {
    ADD_FAILURE() << "cannot open store: " << opened.status();
    // Abort the test rather than dereference a null store.
    throw std::runtime_error("store did not open");
  }
  store_ = *std::move(opened);
}

void StoreConformanceTest::Reopen() {
  store_.reset();
  Open(options_);
}

Json MakeObject(const std::string& kind, const std::string& name, Json spec) {
  return Json{{"apiVersion", "vigil.io/v1"},
              {"kind", kind},
              {"metadata", {{"name", name}}},
              {"spec", std::move(spec)}};
}

int64_t RevisionOf(const Json& obj) {
  try {
    return std::stoll(obj.at("metadata").at("resourceVersion").get<std::string>());
  } catch (const std::exception&) {
    return -1;
  }
}

std::vector<Event> CollectEvents(Watch& watch, size_t count,
                                 std::chrono::milliseconds timeout) {
  std::vector<Event> events;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<Event>> next =
        watch.Next(std::chrono::milliseconds(100));
    if (!next.ok()) {
      ADD_FAILURE() << "Next: " << next.status();
      break;
    }
    for (Event& event : *next) {
      if (event.type != Event::Type::kBookmark) events.push_back(std::move(event));
    }
  }
  return events;
}

std::vector<int64_t> RevisionsOf(const std::vector<Event>& events) {
  std::vector<int64_t> revisions;
  for (const Event& event : events) revisions.push_back(event.revision);
  return revisions;
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

bool IsUuidV4(const std::string& text) {
  static const std::regex uuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(text, uuid);
}

bool IsRfc3339Utc(const std::string& text) {
  static const std::regex timestamp(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  return std::regex_match(text, timestamp);
}

std::vector<std::string> NamesOf(const ListResult& list) {
  std::vector<std::string> names;
  for (const Json& item : list.items) names.push_back(item["metadata"]["name"]);
  return names;
}

TEST_P(StoreConformanceTest, CreateSetsStoreOwnedMetadata) {
  Json obj = MakeObject("Node", "hv1", {{"cpus", 4}});
  obj["metadata"]["uid"] = "caller-uid";
  obj["metadata"]["generation"] = 7;
  obj["metadata"]["resourceVersion"] = "99";
  obj["metadata"]["creationTimestamp"] = "1999-01-01T00:00:00Z";
  obj["metadata"]["labels"] = {{"rack", "r1"}};

  absl::StatusOr<Json> created = store().Create(obj);
  ASSERT_TRUE(created.ok()) << created.status();
  const Json& metadata = (*created)["metadata"];
  EXPECT_EQ(metadata["resourceVersion"], "1");
  EXPECT_EQ(metadata["generation"], 1);
  EXPECT_TRUE(IsUuidV4(metadata["uid"])) << metadata["uid"];
  EXPECT_TRUE(IsRfc3339Utc(metadata["creationTimestamp"]));
  EXPECT_NE(metadata["creationTimestamp"], "1999-01-01T00:00:00Z");
  EXPECT_EQ(metadata["labels"]["rack"], "r1");
  EXPECT_EQ((*created)["spec"]["cpus"], 4);
  EXPECT_EQ(store().CurrentRevision(), 1);
}

TEST_P(StoreConformanceTest, CreateGivesEachObjectItsOwnUid) {
  absl::StatusOr<Json> a = store().Create(MakeObject("Node", "a"));
  absl::StatusOr<Json> b = store().Create(MakeObject("Node", "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)["metadata"]["uid"], (*b)["metadata"]["uid"]);
}

TEST_P(StoreConformanceTest, CreateOfExistingObjectIsAlreadyExists) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  absl::StatusOr<Json> again = store().Create(MakeObject("Node", "hv1"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store().CurrentRevision(), 1) << "a failed write uses no revision";
  // The same name in another kind is another object.
  EXPECT_TRUE(store().Create(MakeObject("ServiceGroup", "hv1")).ok());
}

TEST_P(StoreConformanceTest, CreateWithoutKindOrNameIsInvalidArgument) {
  Json no_kind = MakeObject("Node", "x");
  no_kind.erase("kind");
  Json no_name = MakeObject("Node", "x");
  no_name["metadata"].erase("name");
  EXPECT_EQ(store().Create(no_kind).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().Create(no_name).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().Create(Json::array()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store().CurrentRevision(), 0);
}

TEST_P(StoreConformanceTest, GetReturnsTheStoredObject) {
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(created.ok());
  absl::StatusOr<Json> got = store().Get("Node", "hv1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *created);
}

TEST_P(StoreConformanceTest, GetOfMissingObjectIsNotFound) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  EXPECT_EQ(store().Get("Node", "hv2").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Get("ServiceGroup", "hv1").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, UpdateWithCurrentResourceVersionSucceeds) {
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(created.ok());
  Json change = *created;
  change["spec"]["cpus"] = 8;
  absl::StatusOr<Json> updated = store().Update(change);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(RevisionOf(*updated), 2);
  EXPECT_EQ((*updated)["spec"]["cpus"], 8);
  EXPECT_EQ(*store().Get("Node", "hv1"), *updated);
}

TEST_P(StoreConformanceTest, UpdateWithStaleResourceVersionIsAborted) {
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(created.ok());
  Json first = *created;
  first["spec"]["cpus"] = 1;
  ASSERT_TRUE(store().Update(first).ok());
  Json stale = *created;  // still carries resourceVersion 1
  stale["spec"]["cpus"] = 2;
  absl::StatusOr<Json> conflict = store().Update(stale);
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ((*store().Get("Node", "hv1"))["spec"]["cpus"], 1);
  EXPECT_EQ(store().CurrentRevision(), 2);
}

TEST_P(StoreConformanceTest, UpdateWithoutResourceVersionIsUnconditional) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  ASSERT_TRUE(store().Update(MakeObject("Node", "hv1", {{"cpus", 1}})).ok());
  Json empty_version = MakeObject("Node", "hv1", {{"cpus", 2}});
  empty_version["metadata"]["resourceVersion"] = "";
  absl::StatusOr<Json> updated = store().Update(empty_version);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(RevisionOf(*updated), 3);
  EXPECT_EQ((*updated)["spec"]["cpus"], 2);
}

TEST_P(StoreConformanceTest, UpdateOfMissingObjectIsNotFound) {
  EXPECT_EQ(store().Update(MakeObject("Node", "ghost")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().CurrentRevision(), 0);
}

TEST_P(StoreConformanceTest, GenerationGrowsOnlyWhenSpecChanges) {
  absl::StatusOr<Json> obj = store().Create(MakeObject("Node", "hv1", {{"cpus", 1}}));
  ASSERT_TRUE(obj.ok());
  Json status_only = *obj;
  status_only["status"] = {{"ready", true}};
  status_only["metadata"]["labels"] = {{"a", "b"}};
  status_only["metadata"]["generation"] = 42;  // ignored: the store owns it
  obj = store().Update(status_only);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)["metadata"]["generation"], 1);
  Json spec_change = *obj;
  spec_change["spec"]["cpus"] = 2;
  obj = store().Update(spec_change);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)["metadata"]["generation"], 2);
  Json same_spec = *obj;
  same_spec["status"] = {{"ready", false}};
  obj = store().Update(same_spec);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)["metadata"]["generation"], 2);
  Json spec_removed = *obj;
  spec_removed.erase("spec");
  obj = store().Update(spec_removed);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)["metadata"]["generation"], 3);
}

TEST_P(StoreConformanceTest, UpdateKeepsUidAndCreationTimestamp) {
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(created.ok());
  Json forged = *created;
  forged["metadata"]["uid"] = "forged";
  forged["metadata"]["creationTimestamp"] = "2000-01-01T00:00:00Z";
  absl::StatusOr<Json> updated = store().Update(forged);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["metadata"]["uid"], (*created)["metadata"]["uid"]);
  EXPECT_EQ((*updated)["metadata"]["creationTimestamp"],
            (*created)["metadata"]["creationTimestamp"]);
  Json omitted = MakeObject("Node", "hv1");  // no uid, no timestamp
  updated = store().Update(omitted);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)["metadata"]["uid"], (*created)["metadata"]["uid"]);
  EXPECT_EQ((*updated)["metadata"]["creationTimestamp"],
            (*created)["metadata"]["creationTimestamp"]);
}

TEST_P(StoreConformanceTest, UpdateKeepsOtherFieldsAsGiven) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  Json obj = MakeObject("Node", "hv1");
  obj["metadata"]["finalizers"] = {"vigil.io/cleanup"};
  obj["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z";
  obj["status"] = {{"phase", "Ready"}};
  absl::StatusOr<Json> updated = store().Update(obj);
  ASSERT_TRUE(updated.ok());
  absl::StatusOr<Json> got = store().Get("Node", "hv1");
  EXPECT_EQ((*got)["metadata"]["finalizers"], obj["metadata"]["finalizers"]);
  EXPECT_EQ((*got)["metadata"]["deletionTimestamp"], "2030-01-01T00:00:00Z");
  EXPECT_EQ((*got)["status"]["phase"], "Ready");
}

TEST_P(StoreConformanceTest, DeleteReturnsObjectAtDeletionRevision) {
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(created.ok());
  absl::StatusOr<Json> deleted = store().Delete("Node", "hv1");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(RevisionOf(*deleted), 2);
  EXPECT_EQ((*deleted)["metadata"]["uid"], (*created)["metadata"]["uid"]);
  EXPECT_EQ(store().CurrentRevision(), 2);
  EXPECT_EQ(store().Get("Node", "hv1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store().Delete("Node", "hv1").status().code(),
            absl::StatusCode::kNotFound);
  // The name is free again; the new object is a new one.
  absl::StatusOr<Json> recreated = store().Create(MakeObject("Node", "hv1"));
  ASSERT_TRUE(recreated.ok());
  EXPECT_NE((*recreated)["metadata"]["uid"], (*created)["metadata"]["uid"]);
}

TEST_P(StoreConformanceTest, DeleteWithPreconditionChecksResourceVersion) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  ASSERT_TRUE(store().Update(MakeObject("Node", "hv1", {{"x", 1}})).ok());
  absl::StatusOr<Json> stale = store().Delete("Node", "hv1", 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(store().Get("Node", "hv1").ok());
  EXPECT_EQ(store().CurrentRevision(), 2);
  absl::StatusOr<Json> deleted = store().Delete("Node", "hv1", 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(RevisionOf(*deleted), 3);
}

TEST_P(StoreConformanceTest, EveryWriteBumpsTheOneRevisionAcrossKinds) {
  EXPECT_EQ(store().CurrentRevision(), 0);
  EXPECT_EQ(RevisionOf(*store().Create(MakeObject("Node", "a"))), 1);
  EXPECT_EQ(RevisionOf(*store().Create(MakeObject("ServiceGroup", "a"))), 2);
  EXPECT_EQ(RevisionOf(*store().Update(MakeObject("Node", "a", {{"x", 1}}))), 3);
  EXPECT_EQ(store().Create(MakeObject("Node", "a")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RevisionOf(*store().Delete("ServiceGroup", "a")), 4);
  EXPECT_EQ(RevisionOf(*store().Create(MakeObject("Component", "c"))), 5);
  EXPECT_EQ(store().CurrentRevision(), 5);
  EXPECT_EQ(RevisionOf(*store().Get("Node", "a")), 3);
}

TEST_P(StoreConformanceTest, ListIsSortedByNameAndLimitedToItsKind) {
  for (const char* name : {"c", "a", "b"}) {
    ASSERT_TRUE(store().Create(MakeObject("Node", name)).ok());
  }
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "zz")).ok());
  absl::StatusOr<ListResult> list = store().List("Node");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(NamesOf(*list), ElementsAre("a", "b", "c"));
  EXPECT_EQ(list->revision, 4);
  EXPECT_EQ(list->items[0], *store().Get("Node", "a"));
  absl::StatusOr<ListResult> empty = store().List("Incident");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->items.empty());
  EXPECT_EQ(empty->revision, 4);
}

TEST_P(StoreConformanceTest, ListAtRevisionShowsThePastIncludingDeletes) {
  Json a1 = *store().Create(MakeObject("Node", "a", {{"v", 1}}));     // 1
  Json b2 = *store().Create(MakeObject("Node", "b"));                 // 2
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "s")).ok());  // 3
  Json a4 = *store().Update(MakeObject("Node", "a", {{"v", 2}}));     // 4
  ASSERT_TRUE(store().Delete("Node", "b").ok());                      // 5
  Json c6 = *store().Create(MakeObject("Node", "c"));                 // 6
  ASSERT_TRUE(store().Delete("Node", "a").ok());                      // 7

  auto list_at = [&](int64_t revision) {
    absl::StatusOr<ListResult> list = store().List("Node", revision);
    EXPECT_TRUE(list.ok()) << list.status();
    if (list.ok()) {
      EXPECT_EQ(list->revision, revision);
    }
    return list.ok() ? list->items : std::vector<Json>{};
  };
  EXPECT_THAT(list_at(1), ElementsAre(a1));
  EXPECT_THAT(list_at(2), ElementsAre(a1, b2));
  EXPECT_THAT(list_at(3), ElementsAre(a1, b2));
  EXPECT_THAT(list_at(4), ElementsAre(a4, b2));
  EXPECT_THAT(list_at(5), ElementsAre(a4));
  EXPECT_THAT(list_at(6), ElementsAre(a4, c6));
  EXPECT_THAT(list_at(7), ElementsAre(c6));
  EXPECT_THAT(store().List("ServiceGroup", 2)->items, ElementsAre());
}

TEST_P(StoreConformanceTest, ListAboveTheCurrentRevisionIsInvalidArgument) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "a")).ok());
  absl::StatusOr<ListResult> list = store().List("Node", 2);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ReopenRestoresObjectsAndRevisions) {
  if (!GetParam().persistent) GTEST_SKIP() << "not a persistent store";
  Json a = *store().Create(MakeObject("Node", "a", {{"v", 1}}));
  ASSERT_TRUE(store().Create(MakeObject("Node", "b")).ok());
  Json s = *store().Create(MakeObject("ServiceGroup", "s"));
  a = *store().Update(a);
  ASSERT_TRUE(store().Delete("Node", "b").ok());
  ASSERT_TRUE(store().Compact(2).ok());
  Reopen();
  EXPECT_EQ(store().CurrentRevision(), 5);
  EXPECT_EQ(store().CompactedRevision(), 2);
  EXPECT_EQ(*store().Get("Node", "a"), a);
  EXPECT_EQ(*store().Get("ServiceGroup", "s"), s);
  EXPECT_EQ(store().Get("Node", "b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(store().List("Node", 3)->items.size(), 2);
  EXPECT_EQ(store().List("Node", 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(RevisionOf(*store().Create(MakeObject("Node", "d"))), 6);
}

TEST_P(StoreConformanceTest, ErrorsSayWhatFailed) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "hv1")).ok());
  EXPECT_THAT(std::string(store().Create(MakeObject("Node", "hv1")).status().message()),
              HasSubstr("hv1"));
  EXPECT_THAT(std::string(store().Get("Node", "nope").status().message()),
              HasSubstr("nope"));
}

}  // namespace
}  // namespace vigil::store::testing
