// HTTP watch streams: `GET /apis/vigil.io/v1/<plural>?watch=true` answered
// with a chunked body of newline-separated {"type", "object"} events
// (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), as the Kubernetes API does.
//
// Thread safety: WatchSessions is safe for concurrent use; each stream is
// served by the thread of its connection.
#ifndef VIGIL_SERVER_WATCH_HANDLER_H_
#define VIGIL_SERVER_WATCH_HANDLER_H_

#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <httplib.h>

#include "absl/time/time.h"
#include "client/client.h"
#include "server/event_line_cache.h"
#include "server/field_selector.h"
#include "server/registry.h"
#include "server/tables.h"

namespace vigil::server {

// The watches a server is streaming, so that Stop() can end them all.
class WatchSessions {
 public:
  // Registers a running stream. Returns false (and cancels the stream) once
  // CancelAll() has run: the server is stopping.
  bool Add(client::WatchStream* stream);
  void Remove(client::WatchStream* stream);
  // Cancels every registered stream and refuses new ones.
  void CancelAll();
  size_t size() const;

  // Serialized event lines shared by every stream of the server.
  EventLineCache& lines() { return lines_; }

 private:
  EventLineCache lines_;
  mutable std::mutex mu_;
  std::set<client::WatchStream*> streams_;  // GUARDED_BY(mu_)
  bool closed_ = false;                     // GUARDED_BY(mu_)
};

struct WatchRequest {
  const api::KindInfo* kind = nullptr;
  client::ListOptions options;  // label selector; start revision (0 = now)
  // Begin with a synthetic ADDED event per existing object (Kubernetes does
  // this when resourceVersion is unset or "0").
  bool initial_events = false;
  // After them, a BOOKMARK annotated "k8s.io/initial-events-end" (asked for
  // with sendInitialEvents=true, as client-go's streaming list does).
  bool initial_events_end = false;
  bool bookmarks = false;  // allowWatchBookmarks
  FieldSelector fields;
  absl::Duration timeout = absl::InfiniteDuration();  // timeoutSeconds
  std::optional<TableOptions> table;  // events carry Tables (kubectl get -w)
  // How often an idle stream writes a blank line, so that a vanished client
  // is noticed (the write fails) and its watch released.
  absl::Duration heartbeat = absl::Seconds(5);
};


// Starts the stream of `request` on `res`. Errors found before streaming
// (unknown kind, bad selector) are written as a Status response; an expired
// start revision is reported, as Kubernetes does, as an ERROR event (code
// 410) on a 200 stream.
void ServeWatch(Registry& registry, WatchSessions& sessions,
                WatchRequest request, httplib::Response& res);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_WATCH_HANDLER_H_
