// The Store conformance suite, part 3: concurrent writers.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>

#include "tests/store/store_conformance.h"

namespace vigil::store::testing {
namespace {

// Starts `count` threads running fn(index) at (nearly) the same moment.
template <typename Fn>
void RunConcurrently(int count, Fn fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go) std::this_thread::yield();
      fn(i);
    });
  }
  while (ready < count) std::this_thread::yield();
  go = true;
  for (std::thread& thread : threads) thread.join();
}

TEST_P(StoreConformanceTest, ConcurrentCreatesGetDistinctConsecutiveRevisions) {
  constexpr int kThreads = 16, kPerThread = 40;
  std::mutex mu;
  std::vector<int64_t> revisions;
  RunConcurrently(kThreads, [&](int thread) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string name = "t" + std::to_string(thread) + "-" + std::to_string(i);
      absl::StatusOr<Json> created = store().Create(MakeObject("Node", name));
      ASSERT_TRUE(created.ok()) << created.status();
      std::lock_guard lock(mu);
      revisions.push_back(RevisionOf(*created));
    }
  });
  std::sort(revisions.begin(), revisions.end());
  std::vector<int64_t> expected(kThreads * kPerThread);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = i + 1;
  EXPECT_EQ(revisions, expected);
  EXPECT_EQ(store().CurrentRevision(), kThreads * kPerThread);
  EXPECT_EQ(store().List("Node")->items.size(), size_t{kThreads * kPerThread});
}

TEST_P(StoreConformanceTest, ConcurrentCompareAndSwapLosesNoUpdate) {
  constexpr int kThreads = 8, kIncrements = 25;
  ASSERT_TRUE(store().Create(MakeObject("Node", "counter", {{"count", 0}})).ok());
  std::atomic<int> conflicts{0};
  RunConcurrently(kThreads, [&](int) {
    for (int done = 0; done < kIncrements;) {
      absl::StatusOr<Json> current = store().Get("Node", "counter");
      ASSERT_TRUE(current.ok());
      (*current)["spec"]["count"] = (*current)["spec"]["count"].get<int>() + 1;
      absl::StatusOr<Json> updated = store().Update(*current);
      if (updated.ok()) {
        ++done;
      } else {
        ASSERT_EQ(updated.status().code(), absl::StatusCode::kAborted);
        ++conflicts;
      }
    }
  });
  absl::StatusOr<Json> counter = store().Get("Node", "counter");
  EXPECT_EQ((*counter)["spec"]["count"], kThreads * kIncrements);
  EXPECT_EQ(RevisionOf(*counter), 1 + kThreads * kIncrements);
  EXPECT_EQ((*counter)["metadata"]["generation"], 1 + kThreads * kIncrements);
}

TEST_P(StoreConformanceTest, CompareAndSwapUnderContentionHasOneWinner) {
  constexpr int kThreads = 32;
  absl::StatusOr<Json> created = store().Create(MakeObject("Node", "x"));
  ASSERT_TRUE(created.ok());
  std::atomic<int> winners{0}, conflicts{0};
  RunConcurrently(kThreads, [&](int thread) {
    Json change = *created;
    change["spec"]["writer"] = thread;
    absl::StatusOr<Json> updated = store().Update(change);
    if (updated.ok()) ++winners;
    if (updated.status().code() == absl::StatusCode::kAborted) ++conflicts;
  });
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
  EXPECT_EQ(store().CurrentRevision(), 2);
}

TEST_P(StoreConformanceTest, ConcurrentDeletesHaveOneWinner) {
  constexpr int kThreads = 16;
  ASSERT_TRUE(store().Create(MakeObject("Node", "x")).ok());
  std::atomic<int> winners{0}, not_found{0};
  RunConcurrently(kThreads, [&](int) {
    absl::StatusOr<Json> deleted = store().Delete("Node", "x", 1);
    if (deleted.ok()) ++winners;
    if (deleted.status().code() == absl::StatusCode::kNotFound) ++not_found;
  });
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(not_found, kThreads - 1);
}

// Watchers see the same single order as the revisions writers were given.
TEST_P(StoreConformanceTest, WatchersSeeConcurrentWritesInRevisionOrder) {
  constexpr int kThreads = 8, kPerThread = 25;
  absl::StatusOr<std::unique_ptr<Watch>> watch = store().Watch("", 0);
  ASSERT_TRUE(watch.ok());
  RunConcurrently(kThreads, [&](int thread) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string kind = thread % 2 == 0 ? "Node" : "ServiceGroup";
      std::string name = "t" + std::to_string(thread) + "-" + std::to_string(i);
      ASSERT_TRUE(store().Create(MakeObject(kind, name)).ok());
    }
  });
  std::vector<Event> events = CollectEvents(**watch, kThreads * kPerThread);
  ASSERT_EQ(events.size(), size_t{kThreads * kPerThread});
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].revision, static_cast<int64_t>(i + 1));
    EXPECT_EQ(RevisionOf(events[i].object), events[i].revision);
  }
}

}  // namespace
}  // namespace vigil::store::testing
