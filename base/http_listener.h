// ListenInBackground: runs an httplib::Server's accept loop on its own thread
// so that a later stop() is sure to end it.
//
// httplib's stop() only takes effect once the accept loop has started: called
// earlier (a daemon told to stop right after starting), it is ignored and the
// listener then runs forever, so joining its thread never returns.
#ifndef VIGIL_BASE_HTTP_LISTENER_H_
#define VIGIL_BASE_HTTP_LISTENER_H_

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace vigil {

// Starts server.listen_after_bind() on a new thread and returns it once the
// accept loop runs (or has already ended, e.g. on a socket error).
// REQUIRES: the server is bound (bind_to_port / bind_to_any_port succeeded).
inline std::thread ListenInBackground(httplib::Server& server) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  std::thread listener([&server, ended] {
    server.listen_after_bind();
    *ended = true;
  });
  while (!server.is_running() && !*ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listener;
}

}  // namespace vigil

#endif  // VIGIL_BASE_HTTP_LISTENER_H_
