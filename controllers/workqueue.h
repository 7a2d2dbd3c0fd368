// WorkQueue: a client-go style queue of reconcile keys.
//
// Handlers only enqueue keys; workers Get() a key, reconcile it, then call
// Done(). Guarantees:
//   - a key is handed to at most one worker at a time ("one key in flight");
//   - adding a key already waiting is a no-op (events coalesce);
//   - adding a key while it is being processed re-queues it once after Done();
//   - AddRateLimited delays a key by per-key exponential backoff
//     (base_delay * 2^failures, capped at max_delay) until Forget() resets it;
//   - AddAfter delays a key; an earlier pending deadline for it wins.
//
// Thread safety: every method may be called from any thread.
#ifndef VIGIL_CONTROLLERS_WORKQUEUE_H_
#define VIGIL_CONTROLLERS_WORKQUEUE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace vigil::controllers {

struct WorkQueueOptions {
  std::chrono::milliseconds base_delay{5};
  std::chrono::milliseconds max_delay{std::chrono::seconds(30)};
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(WorkQueueOptions options = {});

  // Marks `key` as needing reconciliation now.
  void Add(const std::string& key);
  // Adds `key` once `delay` has passed (at once if delay <= 0).
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Adds `key` after its backoff and counts one more failure for it.
  void AddRateLimited(const std::string& key);
  // Resets the failure count of `key` (call after a successful reconcile).
  void Forget(const std::string& key);
  // Number of failures counted for `key` since the last Forget.
  int Failures(const std::string& key) const;

  // Blocks until a key is ready or the queue is shut down (then nullopt).
  // The caller must call Done(key) when finished with it.
  std::optional<std::string> Get();
  // Like Get but gives up after `timeout` (nullopt; the queue may still run).
  std::optional<std::string> GetFor(std::chrono::milliseconds timeout);
  // Ends processing of `key`; re-queues it if it was added meanwhile.
  void Done(const std::string& key);

  // Wakes every Get() with nullopt; further adds are ignored.
  void ShutDown();
  bool ShuttingDown() const;
  // Keys ready now (not counting delayed or in-flight keys).
  size_t Len() const;

 private:
  std::optional<std::string> GetUntil(std::optional<Clock::time_point> give_up);
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);
  std::optional<Clock::time_point> NextDeadlineLocked() const;

  const WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;                 // GUARDED_BY(mu_)
  std::unordered_set<std::string> dirty_;         // GUARDED_BY(mu_) queued or to requeue
  std::unordered_set<std::string> processing_;    // GUARDED_BY(mu_)
  std::multimap<Clock::time_point, std::string> delayed_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string, Clock::time_point> delayed_at_;  // GUARDED_BY(mu_)
  std::unordered_map<std::string, int> failures_;  // GUARDED_BY(mu_)
  bool shutting_down_ = false;                     // GUARDED_BY(mu_)
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_WORKQUEUE_H_
