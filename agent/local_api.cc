#include "agent/local_api.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "agent/component_runner.h"
#include "base/http_listener.h"

namespace vigil::agent {
namespace {

using api::Json;

// Connection threads: every registered component holds two connections
// (its event stream and its control requests).
constexpr size_t kConnectionThreads = 128;
// With no event to send, a stream writes an empty line this often, so a
// client's read timeout never fires and a vanished client is noticed.
constexpr std::chrono::milliseconds kKeepAlive{1000};

void Reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ReplyError(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, {{"error", message}});
}

// The JSON body of a request, or a 400 reply.
std::optional<Json> Body(const httplib::Request& req, httplib::Response& res) {
  Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    ReplyError(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

int HttpStatus(const absl::Status& status) {
  if (absl::IsNotFound(status)) return 404;
  if (absl::IsFailedPrecondition(status)) return 409;
  if (absl::IsUnavailable(status)) return 503;
  return 500;
}

}  // namespace

LocalApiServer::LocalApiServer(std::string socket_path, LocalApiHandler* handler)
    : socket_path_(std::move(socket_path)), handler_(handler) {}

LocalApiServer::~LocalApiServer() { Stop(); }

absl::Status LocalApiServer::Start() {
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(kConnectionThreads); };
  server_->set_keep_alive_max_count(1 << 30);
  server_->set_address_family(AF_UNIX);
  Route();
  unlink(socket_path_.c_str());  // a stale socket of an earlier agent
  if (!server_->bind_to_port(socket_path_.c_str(), 80)) {
    return absl::InternalError("cannot bind the local API socket " + socket_path_);
  }
  chmod(socket_path_.c_str(), 0660);
  thread_ = ListenInBackground(*server_);
  return absl::OkStatus();
}

void LocalApiServer::Stop() {
  if (server_ == nullptr) return;
  {
    std::lock_guard lock(mu_);
    for (auto& [token, session] : sessions_) session->Close();
    sessions_.clear();
  }
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  unlink(socket_path_.c_str());
}

std::shared_ptr<SaSession> LocalApiServer::FindSession(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(token);
  return it == sessions_.end() ? nullptr : it->second;
}

void LocalApiServer::Route() {
  server_->Get("/v1/healthz", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, {{"status", "ok"}});
  });
  server_->Post("/v1/register", [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<Json> body = Body(req, res);
    if (!body) return;
    const std::string component = body->value("component", "");
    auto session = std::make_shared<SaSession>(RandomToken(), component);
    absl::StatusOr<Json> reply = handler_->Register(component, body->value("token", ""), session);
    if (!reply.ok()) {
      ReplyError(res, HttpStatus(reply.status()), std::string(reply.status().message()));
      return;
    }
    {
      std::lock_guard lock(mu_);
      std::erase_if(sessions_, [](const auto& s) { return s.second->closed(); });
      sessions_[session->token()] = session;
    }
    (*reply)["session"] = session->token();
    Reply(res, 200, *reply);
  });
  server_->Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<SaSession> session = FindSession(req.get_param_value("session"));
    if (session == nullptr || session->closed()) {
      ReplyError(res, 404, "no such session (register first)");
      return;
    }
    res.set_chunked_content_provider("application/x-ndjson",
                                     [session](size_t, httplib::DataSink& sink) {
                                       std::optional<Json> event = session->Pop(kKeepAlive);
                                       if (!event.has_value()) {
                                         if (session->closed()) {
                                           sink.done();
                                           return true;
                                         }
                                         return sink.write("\n", 1);
                                       }
                                       const std::string line = event->dump() + "\n";
                                       return sink.write(line.data(), line.size());
                                     });
  });
  auto session_call = [this](const std::string& path, auto action) {
    server_->Post(path, [this, action](const httplib::Request& req, httplib::Response& res) {
      std::optional<Json> body = Body(req, res);
      if (!body) return;
      std::shared_ptr<SaSession> session = FindSession(body->value("session", ""));
      if (session == nullptr || session->closed()) {
        ReplyError(res, 404, "no such session (register again)");
        return;
      }
      action(*session, *body);
      Reply(res, 200, Json::object());
    });
  };
  session_call("/v1/confirm", [this](const SaSession& s, const Json& body) {
    handler_->Confirm(s.component(), s.token(), body.value("seq", int64_t{0}),
                      body.value("ok", true), body.value("message", ""));
  });
  session_call("/v1/heartbeat", [this](const SaSession& s, const Json&) {
    handler_->Heartbeat(s.component(), s.token());
  });
  session_call("/v1/healthcheck", [this](const SaSession& s, const Json& body) {
    handler_->HealthCheckAnswer(s.component(), s.token(), body.value("seq", int64_t{0}));
  });
  session_call("/v1/error", [this](const SaSession& s, const Json& body) {
    api::RecoveryAction action;
    std::optional<api::RecoveryAction> recovery;
    if (api::Parse(body.value("recommendedRecovery", ""), &action)) recovery = action;
    handler_->ReportError(s.component(), s.token(), recovery,
                          body.value("reason", "error reported by the component"));
  });
}

}  // namespace vigil::agent
