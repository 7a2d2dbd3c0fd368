// ApiServer: the Kubernetes-compatible REST surface of Vigil over HTTP.
//
// Serves group vigil.io/v1 (cluster-scoped): /version, /api, /apis,
// /apis/vigil.io/v1 discovery, /openapi/v3 (+ per-group document), CRUD,
// PATCH (merge; strategic merge treated as merge), /status, watch streams,
// Table output, errors as Kubernetes Status objects, /healthz and /readyz,
// and with a metrics registry /metrics (Prometheus text format: the
// registry's families plus the API server's own request counts, latencies,
// watch count and store revision; readable by any authenticated role).
// Each connection runs on its own thread so long watches never starve
// ordinary requests.
//
// Secure mode (tls_cert_file set and an authenticator given): HTTPS only;
// every request, discovery and health included, needs `Authorization: Bearer
// <token>` known to the authenticator (else 401 Unauthorized, nothing done),
// and is authorized by auth::Authorize (else 403 Forbidden naming the user,
// verb, kind and name, nothing changed); writes are audited with the
// authenticated user. Plain mode (neither): HTTP, no authentication, audit
// user from Impersonate-User or "loopback" (for loopback listeners only;
// vigild enforces that).
//
// Thread safety: Start/Stop from one thread; serving is internally concurrent.
#ifndef VIGIL_SERVER_API_SERVER_H_
#define VIGIL_SERVER_API_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/token_file.h"
#include "metrics/metrics.h"
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
  // Secure mode: PEM files of the server certificate (chain) and its key.
  std::string tls_cert_file = "";
  std::string tls_private_key_file = "";
  // Secure mode: who a bearer token is. REQUIRES: outlives the server, and
  // set exactly when tls_cert_file is.
  auth::TokenAuthenticator* authenticator = nullptr;
  // Serves /metrics from this registry, adding the API server's families to
  // it (vigil_api_*, vigil_store_revision); unset: no /metrics (404).
  // REQUIRES: outlives the server; one ApiServer per registry.
  metrics::Registry* metrics = nullptr;
};

class ApiServer {
 public:
  // REQUIRES: registry outlives the server.
  ApiServer(Registry* registry, ApiServerOptions options);
  ~ApiServer();  // Stops if running.

  // Binds and starts serving in background threads. Returns the bound port.
  // Errors: Unavailable("address 127.0.0.1:8443 is already in use ...");
  // InvalidArgument naming the TLS files if they cannot be loaded, or if
  // only one of tls_cert_file and authenticator is set.
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
