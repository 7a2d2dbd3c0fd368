#include "api/strings.h"
#include "server/api_server.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <thread>

#include <sys/socket.h>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/http_listener.h"
#include "server/connection_task_queue.h"
#include "server/discovery.h"
#include "server/http_util.h"
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

// httplib::Server with the listen backlog widened after binding.
class HttpServer : public httplib::Server {
 public:
  void WidenBacklog() { ::listen(svr_sock_, kListenBacklog); }
};

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
        handlers_(*registry, sessions_, absl::FromChrono(options_.watch_heartbeat)) {}
  ~Impl() { Stop(); }

  absl::StatusOr<int> Start();
  void Stop();
  size_t ActiveWatches() const { return sessions_.size(); }

 private:
  void Configure();
  absl::StatusOr<int> Bind();
  void Dispatch(Method method, const httplib::Request& req, httplib::Response& res);
  bool ServeFixedPath(const httplib::Request& req, httplib::Response& res);
  void ServeResource(Method method, std::string_view rest,
                     const httplib::Request& req, httplib::Response& res);

  const ApiServerOptions options_;
  HttpServer server_;
  WatchSessions sessions_;
  ResourceHandlers handlers_;
  std::thread listener_;
  int port_ = 0;
  bool running_ = false;
};

void ApiServer::Impl::Configure() {
  server_.new_task_queue = [] { return new ConnectionTaskQueue(); };
  // httplib's default adds SO_REUSEPORT, which would let a second server
  // share the port silently; SO_REUSEADDR alone still allows a quick restart.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_.set_tcp_nodelay(true);  // watch events must not wait for Nagle
  server_.set_keep_alive_timeout(kKeepAliveSeconds);
  server_.set_keep_alive_max_count(kKeepAliveRequests);
  server_.set_payload_max_length(kMaxBodyBytes);
  auto route = [this](Method method) {
    return [this, method](const httplib::Request& req, httplib::Response& res) {
      Dispatch(method, req, res);
    };
  };
  server_.Get(".*", route(Method::kGet));
  server_.Post(".*", route(Method::kPost));
  server_.Put(".*", route(Method::kPut));
  server_.Patch(".*", route(Method::kPatch));
  server_.Delete(".*", route(Method::kDelete));
  server_.set_exception_handler(
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
  errno = 0;
  int port = options_.port;
  bool ok = false;
  if (port == 0) {
    port = server_.bind_to_any_port(options_.host);
    ok = port > 0;
  } else {
    ok = server_.bind_to_port(options_.host, port);
  }
  const int error = errno;
  if (ok) {
    server_.WidenBacklog();
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
  Configure();
  absl::StatusOr<int> port = Bind();
  if (!port.ok()) return port.status();
  port_ = *port;
  listener_ = ListenInBackground(server_);
  running_ = true;
  return port_;
}

void ApiServer::Impl::Stop() {
  if (!running_) return;
  server_.stop();          // no new connections
  sessions_.CancelAll();   // ends every watch stream
  listener_.join();        // joins every connection thread
  running_ = false;
}

void ApiServer::Impl::Dispatch(Method method, const httplib::Request& req,
                               httplib::Response& res) {
  if (method == Method::kGet && ServeFixedPath(req, res)) return;
  absl::string_view rest = req.path;
  if (absl::ConsumePrefix(&rest, kGroupVersionPrefix)) {
    const std::string_view resource(rest.data(), rest.size());
    if (method == Method::kGet &&
        ServeComponentLog(options_.component_logs, resource, req, res)) {
      return;
    }
    return ServeResource(method, resource, req, res);
  }
  WriteErrorWithCode(res, 404, "NotFound",
                     api::Cat("the server could not find the requested resource (",
                                  req.method, " ", req.path, ")"));
}

void ApiServer::Impl::ServeResource(Method method, std::string_view rest,
                                    const httplib::Request& req,
                                    httplib::Response& res) {
  absl::StatusOr<ResourcePath> path = ParseResourcePath(rest);
  if (!path.ok()) return WriteError(res, path.status(), {"", "", ""});
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
