// Fan-out of committed events to watches, with replay from the event log.
//
// The committer hands each committed batch to Publish(), which only queues
// it: a dispatcher thread appends the events to the buffer of every matching
// watch, so writers never wait on watchers. Each watch has its own lock and
// condition variable; delivery shares events (shared_ptr), it does not copy
// them.
//
// Hand-over from replay to live without gap or duplicate: Register() adds the
// watch under the hub lock and returns P, the last revision delivered to
// watches. Every later batch (revisions > P) reaches the watch's live buffer.
// The caller then attaches an EventReplay covering (after_revision, P], read
// from a log snapshot taken after P was published; Next() drains the replay
// before the live buffer. Events at or below the watch's start revision are
// dropped, so a start revision ahead of P is honoured too.
//
// Thread safety: thread-safe.
#ifndef VIGIL_STORE_WATCH_HUB_H_
#define VIGIL_STORE_WATCH_HUB_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace vigil::store {

// A committed event as fanned out: shared by every watch that receives it.
struct PublishedEvent {
  std::string kind;
  Event event;
};
using PublishedEventPtr = std::shared_ptr<const PublishedEvent>;

// Reads logged events for a watch's replay.
// Thread safety: used by one thread at a time.
class EventReplay {
 public:
  virtual ~EventReplay() = default;

  // Appends to `out` the events of `kind` ("" = all) with revision in
  // (after, up_to], oldest first, examining at most `max_records` log
  // records. Returns the revision of the last record examined (up_to once
  // the range is exhausted). Errors: Internal/DataLoss on a storage error.
  virtual absl::StatusOr<int64_t> Read(const std::string& kind, int64_t after,
                                       int64_t up_to, size_t max_records,
                                       std::vector<Event>* out) = 0;
};

struct WatchHubOptions {
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(10)};
  size_t buffer_events = 100000;
};

class Watcher;

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  // Returns the store's committed revision. Called under the hub lock: it
  // must not block on anything that publishes.
  using RevisionFunction = std::function<int64_t()>;

  // `published_revision`: the store revision at open (nothing to deliver).
  static std::shared_ptr<WatchHub> Create(const WatchHubOptions& options,
                                          int64_t published_revision,
                                          RevisionFunction committed_revision);
  ~WatchHub();

  // Queues one committed batch for delivery. REQUIRES: batches are published
  // in revision order.
  void Publish(std::vector<PublishedEventPtr> batch);

  // Registers a watch of `kind` ("" = all) for revisions > start_revision
  // (0 = from now: after the committed revision, which every write already
  // acknowledged has reached). Sets *published to P (see the file comment). The watch is live at once; attach any replay with
  // Watcher::AttachReplay before handing it out.
  std::unique_ptr<Watch> Register(const std::string& kind,
                                  int64_t start_revision, int64_t* published,
                                  std::shared_ptr<Watcher>* watcher);

  // Ends every watch (their Next() returns Cancelled) and stops delivery.
  // Called before the event log closes; idempotent.
  void Close();

  int64_t published_revision() const { return published_.load(); }

  void Unregister(const std::shared_ptr<Watcher>& watcher);

 private:
  WatchHub(const WatchHubOptions& options, int64_t published,
           RevisionFunction committed_revision);
  void DispatchLoop();
  void Deliver(const std::vector<PublishedEventPtr>& batch);

  const WatchHubOptions options_;
  const RevisionFunction committed_revision_;
  std::atomic<int64_t> published_;

  std::mutex watchers_mu_;  // held while delivering a batch
  std::unordered_set<std::shared_ptr<Watcher>> watchers_;  // GUARDED_BY(watchers_mu_)

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::vector<PublishedEventPtr>> queue_;  // GUARDED_BY(queue_mu_)
  bool closing_ = false;                              // GUARDED_BY(queue_mu_)
  std::thread dispatcher_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_WATCH_HUB_H_
