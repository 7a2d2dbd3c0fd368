// The Store conformance suite, part 2: watches (replay, live, hand-over,
// filtering, bookmarks, Stop, slow consumers) and compaction.
#include <atomic>
#include <thread>

#include <gmock/gmock.h>

#include "tests/store/store_conformance.h"

namespace vigil::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::unique_ptr<Watch> MustWatch(Store& store, const std::string& kind,
                                 int64_t after) {
  absl::StatusOr<std::unique_ptr<Watch>> watch = store.Watch(kind, after);
  EXPECT_TRUE(watch.ok()) << watch.status();
  return watch.ok() ? *std::move(watch) : nullptr;
}

// Waits (bounded) for `condition`, re-checking it as events are written.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST_P(StoreConformanceTest, WatchReplaysHistoryThenStreamsLive) {
  Json a1 = *store().Create(MakeObject("Node", "a"));             // 1
  Json a2 = *store().Update(MakeObject("Node", "a", {{"v", 2}}));  // 2
  Json b3 = *store().Create(MakeObject("Node", "b"));              // 3
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 1);
  ASSERT_NE(watch, nullptr);
  std::vector<Event> replayed = CollectEvents(*watch, 2);
  ASSERT_THAT(RevisionsOf(replayed), ElementsAre(2, 3));
  EXPECT_EQ(replayed[0].type, Event::Type::kModified);
  EXPECT_EQ(replayed[0].object, a2);
  EXPECT_EQ(replayed[1].type, Event::Type::kAdded);
  EXPECT_EQ(replayed[1].object, b3);

  Json deleted = *store().Delete("Node", "a");  // 4
  std::vector<Event> live = CollectEvents(*watch, 1);
  ASSERT_THAT(RevisionsOf(live), ElementsAre(4));
  EXPECT_EQ(live[0].type, Event::Type::kDeleted);
  EXPECT_EQ(live[0].object, deleted);
  EXPECT_EQ(RevisionOf(live[0].object), 4);
}

TEST_P(StoreConformanceTest, WatchFromZeroStartsNow) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "old")).ok());
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 0);
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(store().Create(MakeObject("Node", "new")).ok());
  std::vector<Event> events = CollectEvents(*watch, 1);
  ASSERT_THAT(RevisionsOf(events), ElementsAre(2));
  EXPECT_EQ(events[0].object["metadata"]["name"], "new");
}

TEST_P(StoreConformanceTest, WatchFiltersByKindAndEmptyKindSeesAll) {
  std::unique_ptr<Watch> nodes = MustWatch(store(), "Node", 0);
  std::unique_ptr<Watch> all = MustWatch(store(), "", 0);
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "s")).ok());  // 1
  ASSERT_TRUE(store().Create(MakeObject("Node", "n")).ok());          // 2
  ASSERT_TRUE(store().Delete("ServiceGroup", "s").ok());              // 3
  ASSERT_TRUE(store().Update(MakeObject("Node", "n", {{"x", 1}})).ok());  // 4
  EXPECT_THAT(RevisionsOf(CollectEvents(*nodes, 2)), ElementsAre(2, 4));
  EXPECT_THAT(RevisionsOf(CollectEvents(*all, 4)), ElementsAre(1, 2, 3, 4));
  // Replay filters the same way.
  std::unique_ptr<Watch> replayed_nodes = MustWatch(store(), "Node", 1);
  EXPECT_THAT(RevisionsOf(CollectEvents(*replayed_nodes, 2)), ElementsAre(2, 4));
}

// Writers keep writing while watches start at every revision a List returns:
// each must see exactly the revisions after its start, with no gap and no
// duplicate across the replay/live hand-over.
TEST_P(StoreConformanceTest, WatchHandOverHasNoGapsOrDuplicates) {
  constexpr int kWrites = 200;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      EXPECT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
    }
    done = true;
  });
  std::vector<std::pair<int64_t, std::unique_ptr<Watch>>> watches;
  while (!done && watches.size() < 40) {
    // Start some watches at the listed revision and some behind it, so that
    // both the live path and replay hand over while writes go on.
    int64_t listed = store().List("Node")->revision;
    int64_t behind = listed - int64_t(watches.size() % 4) * 10;
    int64_t start = behind >= 1 ? behind : listed;  // 0 would mean "from now"
    watches.emplace_back(start, MustWatch(store(), "Node", start));
    std::this_thread::sleep_for(200us);  // spread starts over the write stream
  }
  writer.join();
  ASSERT_FALSE(watches.empty());
  for (auto& [start, watch] : watches) {
    ASSERT_NE(watch, nullptr);
    std::vector<Event> events = CollectEvents(*watch, kWrites - start);
    std::vector<int64_t> expected;
    for (int64_t r = start + 1; r <= kWrites; ++r) expected.push_back(r);
    EXPECT_EQ(RevisionsOf(events), expected) << "watch from " << start;
  }
}

TEST_P(StoreConformanceTest, WatchSendsBookmarksWhenIdle) {
  ConformanceOptions options;
  options.bookmark_interval = 50ms;
  Open(options);
  ASSERT_TRUE(store().Create(MakeObject("Node", "a")).ok());
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "s")).ok());
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 0);
  ASSERT_NE(watch, nullptr);
  auto started = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<Event>> next = watch->Next(5s);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 45ms);
  ASSERT_EQ(next->size(), 1u);
  const Event& bookmark = (*next)[0];
  EXPECT_EQ(bookmark.type, Event::Type::kBookmark);
  EXPECT_EQ(bookmark.revision, 2);
  EXPECT_EQ(bookmark.object["kind"], "Node");
  EXPECT_EQ(bookmark.object["metadata"]["resourceVersion"], "2");

  // A bookmark reports the current revision, including other kinds' writes.
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "t")).ok());
  bool saw_new_bookmark = false;
  for (int i = 0; i < 100 && !saw_new_bookmark; ++i) {
    next = watch->Next(1s);
    ASSERT_TRUE(next.ok());
    for (const Event& event : *next) {
      ASSERT_EQ(event.type, Event::Type::kBookmark);
      saw_new_bookmark = event.revision == 3;
    }
  }
  EXPECT_TRUE(saw_new_bookmark);
}

TEST_P(StoreConformanceTest, NextReturnsEmptyOnTimeoutBeforeBookmark) {
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 0);
  absl::StatusOr<std::vector<Event>> next = watch->Next(10ms);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->empty());
}

TEST_P(StoreConformanceTest, StopUnblocksNextWithCancelled) {
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 0);
  ASSERT_NE(watch, nullptr);
  absl::Status result;
  std::atomic<bool> returned{false};
  std::thread consumer([&] {
    result = watch->Next(60s).status();
    returned = true;
  });
  std::this_thread::sleep_for(20ms);  // let the consumer block in Next
  EXPECT_FALSE(returned);
  auto stopped_at = std::chrono::steady_clock::now();
  watch->Stop();
  consumer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 1s);
  EXPECT_EQ(result.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(watch->Next(1ms).status().code(), absl::StatusCode::kCancelled);
  // The store goes on without the stopped watch.
  EXPECT_TRUE(store().Create(MakeObject("Node", "a")).ok());
}

TEST_P(StoreConformanceTest, WatchOutlivingItsStoreIsCancelled) {
  ASSERT_TRUE(store().Create(MakeObject("Node", "a")).ok());
  ASSERT_TRUE(store().Create(MakeObject("Node", "b")).ok());
  std::unique_ptr<Watch> replaying = MustWatch(store(), "Node", 1);
  std::unique_ptr<Watch> live = MustWatch(store(), "", 0);
  store_.reset();
  EXPECT_EQ(live->Next(1s).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(replaying->Next(1s).status().code(), absl::StatusCode::kCancelled);
}

TEST_P(StoreConformanceTest, SlowConsumerIsEndedResourceExhausted) {
  ConformanceOptions options;
  options.watch_buffer_events = 10;
  Open(options);
  std::unique_ptr<Watch> slow = MustWatch(store(), "Node", 0);
  std::unique_ptr<Watch> other_kind = MustWatch(store(), "ServiceGroup", 0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
  }
  size_t received = 0;
  absl::Status status;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (status.ok() && std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<Event>> next = slow->Next(100ms);
    status = next.status();
    if (next.ok()) received += next->size();
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LT(received, 100u);
  // A watch of a kind that was not written is unaffected.
  ASSERT_TRUE(store().Create(MakeObject("ServiceGroup", "s")).ok());
  EXPECT_THAT(RevisionsOf(CollectEvents(*other_kind, 1)), ElementsAre(101));
}

TEST_P(StoreConformanceTest, CompactionExpiresOlderListsAndWatches) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(store().Compact(4).ok());
  EXPECT_EQ(store().CompactedRevision(), 4);
  absl::StatusOr<ListResult> list = store().List("Node", 3);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(list.status().message()),
              HasSubstr("expired: requested revision 3 is older than the "
                        "compacted revision 4"));
  absl::StatusOr<std::unique_ptr<Watch>> watch = store().Watch("Node", 3);
  EXPECT_EQ(watch.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(watch.status().message()), HasSubstr("expired"));
  // At the compacted revision itself, history is still complete.
  EXPECT_EQ(store().List("Node", 4)->items.size(), 4u);
  std::unique_ptr<Watch> from_four = MustWatch(store(), "Node", 4);
  EXPECT_THAT(RevisionsOf(CollectEvents(*from_four, 2)), ElementsAre(5, 6));
  // From now and the current state are never expired.
  EXPECT_NE(MustWatch(store(), "Node", 0), nullptr);
  EXPECT_EQ(store().List("Node")->items.size(), 6u);
}

TEST_P(StoreConformanceTest, CompactIsMonotonicAndBoundedByCurrent) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
  }
  EXPECT_FALSE(store().Compact(4).ok());
  EXPECT_EQ(store().CompactedRevision(), 0);
  ASSERT_TRUE(store().Compact(2).ok());
  ASSERT_TRUE(store().Compact(1).ok());  // already compacted further
  EXPECT_EQ(store().CompactedRevision(), 2);
  ASSERT_TRUE(store().Compact(3).ok());
  EXPECT_EQ(store().CompactedRevision(), 3);
  EXPECT_EQ(store().List("Node", 3)->items.size(), 3u);
}

TEST_P(StoreConformanceTest, ReplayInProgressSurvivesCompaction) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
  }
  std::unique_ptr<Watch> watch = MustWatch(store(), "Node", 1);
  ASSERT_TRUE(store().Compact(5).ok());
  EXPECT_THAT(RevisionsOf(CollectEvents(*watch, 4)), ElementsAre(2, 3, 4, 5));
}

TEST_P(StoreConformanceTest, AutomaticCompactionKeepsRetainedRevisions) {
  ConformanceOptions options;
  options.retained_revisions = 10;
  Open(options);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(store().Create(MakeObject("Node", "n" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(Eventually([&] { return store().CompactedRevision() > 0; }));
  int64_t compacted = store().CompactedRevision();
  EXPECT_LE(compacted, 40 - 10);
  EXPECT_EQ(store().List("Node", 30)->items.size(), 30u);
  EXPECT_NE(MustWatch(store(), "Node", 30), nullptr);
  EXPECT_EQ(store().Watch("Node", compacted - 1).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace vigil::store::testing
