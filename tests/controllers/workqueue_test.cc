#include "controllers/workqueue.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::controllers {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueue, CoalescesRepeatedAddsOfAWaitingKey) {
  WorkQueue queue;
  queue.Add("a");
  queue.Add("a");
  queue.Add("b");
  EXPECT_EQ(queue.Len(), 2u);
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_EQ(queue.Get(), "b");
  EXPECT_EQ(queue.GetFor(milliseconds(1)), std::nullopt);
}

TEST(WorkQueue, RequeuesAKeyAddedWhileInFlightOnlyAfterDone) {
  WorkQueue queue;
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  queue.Add("a");
  // Still in flight: no second worker may get it.
  EXPECT_EQ(queue.GetFor(milliseconds(5)), std::nullopt);
  queue.Done("a");
  EXPECT_EQ(queue.GetFor(milliseconds(5)), "a");
  queue.Done("a");
  EXPECT_EQ(queue.GetFor(milliseconds(5)), std::nullopt);
}

TEST(WorkQueue, NeverHandsOneKeyToTwoWorkersAtOnce) {
  WorkQueue queue;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue.Get()) {
        const int now = ++in_flight;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        --in_flight;
        ++processed;
        queue.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) queue.Add("same-key");
  while (queue.Len() > 0) std::this_thread::yield();
  queue.ShutDown();
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(max_in_flight.load(), 1);
  EXPECT_GE(processed.load(), 1);
}

TEST(WorkQueue, AddAfterDeliversOnlyOnceTheDelayPassed) {
  WorkQueue queue;
  const auto start = WorkQueue::Clock::now();
  queue.AddAfter("a", milliseconds(30));
  EXPECT_EQ(queue.GetFor(milliseconds(5)), std::nullopt);
  EXPECT_EQ(queue.GetFor(milliseconds(500)), "a");
  EXPECT_GE(WorkQueue::Clock::now() - start, milliseconds(30));
}

TEST(WorkQueue, EarlierDeadlineWinsForTheSameKey) {
  WorkQueue queue;
  queue.AddAfter("a", milliseconds(10000));
  queue.AddAfter("a", milliseconds(10));
  EXPECT_EQ(queue.GetFor(milliseconds(1000)), "a");
  queue.Done("a");
  // The later deadline was dropped, not kept as a second delivery.
  EXPECT_EQ(queue.GetFor(milliseconds(50)), std::nullopt);
}

TEST(WorkQueue, RateLimitedBackoffGrowsAndForgetResetsIt) {
  WorkQueue queue({.base_delay = milliseconds(1), .max_delay = milliseconds(1000)});
  for (int i = 0; i < 3; ++i) {
    queue.AddRateLimited("a");
    ASSERT_EQ(queue.GetFor(milliseconds(1000)), "a");
    queue.Done("a");
  }
  EXPECT_EQ(queue.Failures("a"), 3);
  queue.Forget("a");
  EXPECT_EQ(queue.Failures("a"), 0);
}

TEST(WorkQueue, ShutDownWakesBlockedWorkers) {
  WorkQueue queue;
  std::thread worker([&] { EXPECT_EQ(queue.Get(), std::nullopt); });
  std::this_thread::sleep_for(milliseconds(5));
  queue.ShutDown();
  worker.join();
  queue.Add("a");
  EXPECT_EQ(queue.GetFor(milliseconds(1)), std::nullopt);
}

}  // namespace
}  // namespace vigil::controllers
