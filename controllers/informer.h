// Informer: a local, read-only cache of one kind kept current by list + watch
// through a Client, with change notifications for controllers.
//
// The cache holds immutable snapshots (shared_ptr<const Json>, made by
// Client::Share, so informers of one process may share them): callers never
// mutate cached objects; they copy before writing. After a watch error
// (compaction, a broken connection) the informer re-lists, diffs against its
// cache and notifies the differences, so no change is ever missed for good.
//
// Thread safety: Get/List/HasSynced may be called from any thread. Handlers
// run on the informer's own thread, one at a time; they should only enqueue
// keys (see WorkQueue) and return.
#ifndef VIGIL_CONTROLLERS_INFORMER_H_
#define VIGIL_CONTROLLERS_INFORMER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "client/client.h"

namespace vigil::controllers {

using ObjectPtr = std::shared_ptr<const api::Json>;

class Informer {
 public:
  // Called with (old, new): old is null for an add, new is null for a delete.
  using Handler = std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)>;

  // REQUIRES: client outlives the informer.
  Informer(client::Client* client, std::string kind);
  ~Informer();  // Stops if running.

  // REQUIRES: called before Start().
  void AddHandler(Handler handler);

  // Starts the list + watch thread.
  void Start();
  // Ends the watch and joins the thread; no handler runs after it returns.
  void Stop();

  // Blocks until the first list has been loaded (true) or timeout (false).
  bool WaitForSync(std::chrono::milliseconds timeout);
  bool HasSynced() const { return synced_.load(); }

  // The cached object, or null.
  ObjectPtr Get(const std::string& name) const;
  // Every cached object, sorted by name.
  std::vector<ObjectPtr> List() const;
  const std::string& kind() const { return kind_; }

 private:
  void Run();
  // Lists and replaces the cache; returns the list revision or an error.
  absl::StatusOr<int64_t> Relist();
  // Streams changes after `revision` until an error or Stop().
  absl::Status WatchFrom(int64_t revision);
  void Apply(client::WatchEvent event);
  void Notify(const ObjectPtr& old_obj, const ObjectPtr& new_obj);

  client::Client* const client_;
  const std::string kind_;
  std::vector<Handler> handlers_;

  mutable std::mutex mu_;
  std::map<std::string, ObjectPtr> cache_;  // GUARDED_BY(mu_)
  std::unique_ptr<client::WatchStream> stream_;  // GUARDED_BY(mu_)
  std::condition_variable synced_cv_;
  std::atomic<bool> synced_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Starts each informer in turn and waits up to `timeout` for its first
// list. Errors: DeadlineExceeded naming the kind that did not sync (the
// informers started so far keep running: the caller stops them).
absl::Status StartInformers(std::initializer_list<Informer*> informers,
                            std::chrono::milliseconds timeout);

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_INFORMER_H_
