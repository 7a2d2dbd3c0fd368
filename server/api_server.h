// ApiServer: the Kubernetes-compatible REST surface of Vigil over HTTP.
//
// Serves group vigil.io/v1 (cluster-scoped): /version, /api, /apis,
// /apis/vigil.io/v1 discovery, /openapi/v3 (+ per-group document), CRUD,
// PATCH (merge; strategic merge treated as merge), /status, watch streams,
// Table output, errors as Kubernetes Status objects, /healthz and /readyz.
// Each connection runs on its own thread so long watches never starve
// ordinary requests.
//
// Thread safety: Start/Stop from one thread; serving is internally concurrent.
#ifndef VIGIL_SERVER_API_SERVER_H_
#define VIGIL_SERVER_API_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/log_handler.h"
#include "server/registry.h"

namespace vigil::server {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8443;  // 0 = pick a free port (tests)
  // An idle watch stream writes a blank line this often, so the watch of a
  // client that vanished is released within about two periods.
  std::chrono::milliseconds watch_heartbeat{std::chrono::seconds(5)};
  // Serves GET .../components/NAME/log (server/log_handler.h); unset: 404.
  ComponentLogReader component_logs = nullptr;
};

class ApiServer {
 public:
  // REQUIRES: registry outlives the server.
  ApiServer(Registry* registry, ApiServerOptions options);
  ~ApiServer();  // Stops if running.

  // Binds and starts serving in background threads. Returns the bound port.
  // Errors: Unavailable("address 127.0.0.1:8443 is already in use ...").
  absl::StatusOr<int> Start();

  // Stops accepting, ends open watches, and joins the serving threads.
  void Stop();

  // Watch streams being served right now.
  size_t ActiveWatches() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_API_SERVER_H_
