// One watch's state inside the WatchHub: an optional replay from the event
// log followed by a bounded buffer of live events.
//
// Thread safety: thread-safe. Deliver() is called by the hub's dispatcher;
// Next() by the watch's consumer; Stop()/Close() by anyone.
#ifndef VIGIL_STORE_WATCHER_H_
#define VIGIL_STORE_WATCHER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/watch_hub.h"

namespace vigil::store {

class Watcher {
 public:
  // Delivers events of `kind` ("" = all) with revision > start_revision.
  // `published` is the hub's last published revision (for bookmarks); it
  // must outlive the watcher's use.
  Watcher(std::string kind, int64_t start_revision,
          const WatchHubOptions& options,
          const std::atomic<int64_t>* published);

  // Makes Next() return the logged events in (after, up_to] before any live
  // event. REQUIRES: called before the watch is handed to its consumer.
  void AttachReplay(std::unique_ptr<EventReplay> replay, int64_t after,
                    int64_t up_to);

  // Appends the matching events of a committed batch to the live buffer;
  // ends the watch ResourceExhausted if the buffer is full.
  void Deliver(const std::vector<PublishedEventPtr>& batch);

  // See Watch::Next.
  absl::StatusOr<std::vector<Event>> Next(std::chrono::milliseconds timeout);

  // Ends the watch; Next() returns Cancelled with `reason`. Releases the
  // replay (and with it the log snapshot). Idempotent.
  void Stop(const char* reason);

 private:
  using Clock = std::chrono::steady_clock;

  absl::StatusOr<std::vector<Event>> NextFromReplay();
  absl::StatusOr<std::vector<Event>> TakeLive(std::unique_lock<std::mutex>& lock);
  Event Bookmark() const;
  bool Wants(const PublishedEvent& event) const;

  const std::string kind_;
  const int64_t start_revision_;
  const WatchHubOptions options_;
  const std::atomic<int64_t>* const published_;

  // Lock order: replay_mu_ before mu_.
  std::mutex replay_mu_;
  std::unique_ptr<EventReplay> replay_;  // GUARDED_BY(replay_mu_)
  int64_t replay_after_ = 0;             // GUARDED_BY(replay_mu_)
  int64_t replay_up_to_ = 0;             // GUARDED_BY(replay_mu_)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PublishedEventPtr> live_;  // GUARDED_BY(mu_)
  const char* stop_reason_ = nullptr;   // GUARDED_BY(mu_); set once stopped
  bool overflowed_ = false;             // GUARDED_BY(mu_)
  Clock::time_point last_activity_;     // GUARDED_BY(mu_)
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_WATCHER_H_
