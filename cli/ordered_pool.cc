#include "cli/ordered_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::cli {

void RunInOrder(size_t count, int workers,
                const std::function<void(int worker, size_t index)>& task,
                const std::function<void(size_t index)>& done) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable finished_cv;
  std::vector<char> finished(count, 0);  // guarded by mu

  auto work = [&](int worker) {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      task(worker, i);
      std::lock_guard<std::mutex> lock(mu);
      finished[i] = 1;
      finished_cv.notify_one();
    }
  };
  const int threads = static_cast<int>(
      std::min<size_t>(count, static_cast<size_t>(std::max(workers, 1))));
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int w = 0; w < threads; ++w) pool.emplace_back(work, w);

  for (size_t i = 0; i < count; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      finished_cv.wait(lock, [&] { return finished[i] != 0; });
    }
    done(i);
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace vigil::cli
