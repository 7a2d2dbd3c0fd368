// RegistryWatchStream: a client::WatchStream over a store::Watch, filtered by
// a label selector the way Kubernetes filters watches: an object entering
// the selector is ADDED, one leaving it is DELETED.
//
// Thread safety: Next() from one thread at a time; Cancel() from any thread.
#ifndef VIGIL_SERVER_WATCH_STREAM_H_
#define VIGIL_SERVER_WATCH_STREAM_H_

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "api/labels.h"
#include "client/client.h"
#include "store/store.h"

namespace vigil::server {

class RegistryWatchStream : public client::WatchStream {
 public:
  // `selector` empty: every event passes. Otherwise `matching` holds the
  // names of the objects that matched it at the watch's start revision.
  RegistryWatchStream(std::unique_ptr<store::Watch> watch,
                      api::LabelSelector selector,
                      std::set<std::string> matching);
  ~RegistryWatchStream() override;

  absl::StatusOr<std::optional<client::WatchEvent>> Next(
      std::chrono::milliseconds timeout) override;
  void Cancel() override;

 private:
  // Converts and filters one store event, queueing what the client sees.
  void Accept(store::Event event);
  void Emit(client::WatchEvent::Type type, api::Json object);

  std::unique_ptr<store::Watch> watch_;
  const api::LabelSelector selector_;
  std::set<std::string> matching_;            // used only with a selector
  std::deque<client::WatchEvent> pending_;    // converted, not yet returned
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_WATCH_STREAM_H_
