#include "api/strings.h"
#include "server/api_server.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

#include <sys/socket.h>

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/http_listener.h"
#include "server/connection_task_queue.h"
#include "server/discovery.h"
#include "server/http_util.h"
#include "server/request_auth.h"
#include "server/resource_handlers.h"
#include "server/watch_handler.h"

namespace vigil::server {
namespace {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

constexpr char kGroupVersionPrefix[] = "/apis/vigil.io/v1/";

// Idle keep-alive connections are closed after this long; Stop() may wait
// for one such connection to notice. HttpClient reuses a connection only if
// it was idle for less (client/connection_pool.h).
constexpr time_t kKeepAliveSeconds = 2;
constexpr size_t kKeepAliveRequests = 10000;
constexpr size_t kMaxBodyBytes = 64 << 20;

// Connections waiting to be accepted. httplib listens with a backlog of 5,
// which drops connections when many clients (re)connect at once, e.g. every
// watcher after a restart.
constexpr int kListenBacklog = 1024;

// An httplib server (plain or TLS) with the listen backlog widened after
// binding.
template <typename Base>
class BacklogServer : public Base {
 public:
  using Base::Base;
  void WidenBacklog() { ::listen(this->svr_sock_, kListenBacklog); }
};

using HttpServer = BacklogServer<httplib::Server>;
using HttpsServer = BacklogServer<httplib::SSLServer>;

std::string Trimmed(const std::string& path) {
  absl::string_view view = path;
  if (view.size() > 1) absl::ConsumeSuffix(&view, "/");
  return std::string(view);
}

}  // namespace

class ApiServer::Impl {
 public:
  Impl(Registry* registry, ApiServerOptions options)
      : options_(std::move(options)),
        registry_(*registry),
        handlers_(*registry, sessions_, absl::FromChrono(options_.watch_heartbeat)) {
    if (options_.metrics != nullptr) RegisterMetrics();
  }
  ~Impl() { Stop(); }

  absl::StatusOr<int> Start();
  void Stop();
  size_t ActiveWatches() const { return sessions_.size(); }

 private:
  absl::Status CreateServer();
  void Configure();
  absl::StatusOr<int> Bind();
  // Secure mode: authenticates the request into *identity; on failure writes
  // the 401 and returns false. Plain mode: true, identity unset.
  bool Authenticate(const httplib::Request& req, httplib::Response& res,
                    std::optional<auth::Identity>* identity);
  void Dispatch(Method method, const httplib::Request& req, httplib::Response& res);
  void Route(Method method, const httplib::Request& req, httplib::Response& res);
  // With a metrics registry: adds the API server's families to it.
  void RegisterMetrics();
  // Counts a request that took `seconds`.
  void CountRequest(const httplib::Request& req, const httplib::Response& res, double seconds);
  bool ServeFixedPath(const httplib::Request& req, httplib::Response& res);
  void ServeResource(Method method, std::string_view rest,
                     const std::optional<auth::Identity>& identity,
                     const httplib::Request& req, httplib::Response& res);

  const ApiServerOptions options_;
  Registry& registry_;
  std::unique_ptr<httplib::Server> server_;
  std::function<void()> widen_backlog_;
  WatchSessions sessions_;
  ResourceHandlers handlers_;
  std::thread listener_;
  int port_ = 0;
  bool running_ = false;
  metrics::Family<metrics::Counter>* requests_ = nullptr;
  metrics::Family<metrics::Histogram>* latency_ = nullptr;
};

void ApiServer::Impl::RegisterMetrics() {
  metrics::Registry& registry = *options_.metrics;
  requests_ = &registry.AddCounter(
      "vigil_api_requests_total",
      "API requests served, by Kubernetes verb (\"other\" for discovery, health, metrics and "
      "logs) and HTTP status code.",
      {"verb", "code"});
  latency_ = &registry.AddHistogram(
      "vigil_api_request_duration_seconds",
      "Time to serve an API request (a watch: until its stream began), by verb.", {"verb"},
      metrics::DurationBuckets());
  registry.AddCollector("vigil_api_watches", "Watch streams being served.",
                        metrics::Type::kGauge, {}, [this] {
                          return std::vector<metrics::Sample>{
                              {{}, static_cast<double>(sessions_.size())}};
                        });
  registry.AddCollector("vigil_store_revision", "The store's current revision.",
                        metrics::Type::kGauge, {}, [this] {
                          return std::vector<metrics::Sample>{
                              {{}, static_cast<double>(registry_.store().CurrentRevision())}};
                        });
  registry.AddCollector("vigil_store_compacted_revision",
                        "Events at or below this revision are compacted away.",
                        metrics::Type::kGauge, {}, [this] {
                          return std::vector<metrics::Sample>{
                              {{}, static_cast<double>(registry_.store().CompactedRevision())}};
                        });
}

void ApiServer::Impl::CountRequest(const httplib::Request& req, const httplib::Response& res,
                                   double seconds) {
  if (requests_ == nullptr) return;
  absl::string_view rest = req.path;
  std::string verb = "other";
  if (absl::ConsumePrefix(&rest, kGroupVersionPrefix)) {
    absl::StatusOr<ResourcePath> path = ParseResourcePath(std::string_view(rest.data(), rest.size()));
    if (path.ok()) verb = VerbOf(req.method, *path, req);
  }
  requests_->With({verb, std::to_string(res.status)}).Increment();
  latency_->With({verb}).Observe(seconds);
}

absl::Status ApiServer::Impl::CreateServer() {
  const bool tls = !options_.tls_cert_file.empty();
  if (tls != (options_.authenticator != nullptr)) {
    return absl::InvalidArgumentError(
        "the API server needs both a TLS certificate and a token authenticator, or neither");
  }
  if (!tls) {
    auto server = std::make_unique<HttpServer>();
    widen_backlog_ = [raw = server.get()] { raw->WidenBacklog(); };
    server_ = std::move(server);
    return absl::OkStatus();
  }
  auto server = std::make_unique<HttpsServer>(options_.tls_cert_file.c_str(),
                                              options_.tls_private_key_file.c_str());
  if (!server->is_valid()) {
    return absl::InvalidArgumentError(api::Cat(
        "cannot load the TLS certificate ", options_.tls_cert_file, " with its key ",
        options_.tls_private_key_file,
        ": each must be a readable PEM file, and the key must match the certificate"));
  }
  widen_backlog_ = [raw = server.get()] { raw->WidenBacklog(); };
  server_ = std::move(server);
  return absl::OkStatus();
}

void ApiServer::Impl::Configure() {
  httplib::Server& http = *server_;
  http.new_task_queue = [] { return new ConnectionTaskQueue(); };
  // httplib's default adds SO_REUSEPORT, which would let a second server
  // share the port silently; SO_REUSEADDR alone still allows a quick restart.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_tcp_nodelay(true);  // watch events must not wait for Nagle
  http.set_keep_alive_timeout(kKeepAliveSeconds);
  http.set_keep_alive_max_count(kKeepAliveRequests);
  http.set_payload_max_length(kMaxBodyBytes);
  auto route = [this](Method method) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      Dispatch(method, req, res);
    };
  };
  http.Get(".*", route(Method::kGet));
  http.Post(".*", route(Method::kPost));
  http.Put(".*", route(Method::kPut));
  http.Patch(".*", route(Method::kPatch));
  http.Delete(".*", route(Method::kDelete));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        WriteErrorWithCode(res, 500, "InternalError", "internal error: " + what);
      });
}

absl::StatusOr<int> ApiServer::Impl::Bind() {
  httplib::Server& http = *server_;
  errno = 0;
  int port = options_.port;
  bool ok = false;
  if (port == 0) {
    port = http.bind_to_any_port(options_.host);
    ok = port > 0;
  } else {
    ok = http.bind_to_port(options_.host, port);
  }
  const int error = errno;
  if (ok) {
    widen_backlog_();
    return port;
  }
  return absl::UnavailableError(api::Cat(
      "cannot listen on ", options_.host, ":", options_.port, ": ",
      error == EADDRINUSE || error == 0 ? "the address is already in use"
                                        : std::strerror(error),
      " (is another vigild running? choose another address with --listen)"));
}

absl::StatusOr<int> ApiServer::Impl::Start() {
  if (running_) return port_;
  // A client that disconnects mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  if (absl::Status created = CreateServer(); !created.ok()) return created;
  Configure();
  absl::StatusOr<int> port = Bind();
  if (!port.ok()) return port.status();
  port_ = *port;
  listener_ = ListenInBackground(*server_);
  running_ = true;
  return port_;
}

void ApiServer::Impl::Stop() {
  if (!running_) return;
  server_->stop();         // no new connections
  sessions_.CancelAll();   // ends every watch stream
  listener_.join();        // joins every connection thread
  running_ = false;
}

bool ApiServer::Impl::Authenticate(const httplib::Request& req, httplib::Response& res,
                                   std::optional<auth::Identity>* identity) {
  if (options_.authenticator == nullptr) return true;
  absl::StatusOr<auth::Identity> known = AuthenticateRequest(req, *options_.authenticator);
  if (!known.ok()) {
    WriteError(res, known.status());
    return false;
  }
  *identity = std::move(*known);
  return true;
}

void ApiServer::Impl::Dispatch(Method method, const httplib::Request& req,
                               httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  Route(method, req, res);
  // httplib sets 200 after the handler when it left the status unset (-1).
  if (res.status == -1) res.status = 200;
  CountRequest(req, res,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void ApiServer::Impl::Route(Method method, const httplib::Request& req,
                            httplib::Response& res) {
  std::optional<auth::Identity> identity;
  if (!Authenticate(req, res, &identity)) return;
  absl::string_view rest = req.path;
  const bool resource = absl::ConsumePrefix(&rest, kGroupVersionPrefix);
  const std::string_view resource_rest(rest.data(), rest.size());
  if (identity.has_value() &&
      (!resource || !ParseResourcePath(resource_rest).ok())) {
    // Discovery, logs and unknown paths: reading needs a role, writing admin.
    if (absl::Status allowed = AuthorizeOtherPath(*identity, req); !allowed.ok()) {
      return WriteError(res, allowed);
    }
  }
  if (method == Method::kGet && ServeFixedPath(req, res)) return;
  if (resource) {
    if (method == Method::kGet &&
        ServeComponentLog(options_.component_logs, resource_rest, req, res)) {
      return;
    }
    return ServeResource(method, resource_rest, identity, req, res);
  }
  WriteErrorWithCode(res, 404, "NotFound",
                     api::Cat("the server could not find the requested resource (",
                                  req.method, " ", req.path, ")"));
}

void ApiServer::Impl::ServeResource(Method method, std::string_view rest,
                                    const std::optional<auth::Identity>& identity,
                                    const httplib::Request& req,
                                    httplib::Response& res) {
  absl::StatusOr<ResourcePath> path = ParseResourcePath(rest);
  if (!path.ok()) return WriteError(res, path.status(), {"", "", ""});
  if (identity.has_value()) {
    absl::Status allowed = AuthorizeRequest(*identity, req, *path, registry_);
    if (!allowed.ok()) return WriteError(res, allowed, {path->name, path->kind->plural});
    path->user = AuditUser(*identity, req);
  }
  switch (method) {
    case Method::kGet:
      return handlers_.Get(req, res, *path);
    case Method::kPost:
      return handlers_.Create(req, res, *path);
    case Method::kPut:
      return handlers_.Replace(req, res, *path);
    case Method::kPatch:
      return handlers_.Patch(req, res, *path);
    case Method::kDelete:
      return handlers_.Delete(req, res, *path);
  }
}

bool ApiServer::Impl::ServeFixedPath(const httplib::Request& req,
                                     httplib::Response& res) {
  const std::string path = Trimmed(req.path);
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    res.set_content("ok", "text/plain");
  } else if (path == "/metrics" && options_.metrics != nullptr) {
    res.set_content(options_.metrics->Render(), metrics::kContentType);
  } else if (path == "/version") {
    WriteJson(res, 200, VersionInfo());
  } else if (path == "/api") {
    WriteJson(res, 200, CoreApiVersions(api::Cat(options_.host, ":", port_)));
  } else if (path == "/apis") {
    WriteJson(res, 200, ApiGroupList());
  } else if (path == "/apis/vigil.io") {
    WriteJson(res, 200, VigilApiGroup());
  } else if (path == "/apis/vigil.io/v1") {
    WriteJson(res, 200, VigilResourceList());
  } else if (path == "/openapi/v3") {
    WriteJson(res, 200, OpenApiV3Index());
  } else if (path == "/openapi/v3/apis/vigil.io/v1") {
    res.set_header("Cache-Control", "public, immutable");
    res.set_content(OpenApiGroupDocumentText(), kJsonContentType);
  } else {
    return false;
  }
  return true;
}

ApiServer::ApiServer(Registry* registry, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(registry, std::move(options))) {}

ApiServer::~ApiServer() = default;

absl::StatusOr<int> ApiServer::Start() { return impl_->Start(); }

void ApiServer::Stop() { impl_->Stop(); }

size_t ApiServer::ActiveWatches() const { return impl_->ActiveWatches(); }

}  // namespace vigil::server
