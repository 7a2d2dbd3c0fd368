#include "examples/sa-aware/vigil_saf.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace vigil::saf {
namespace {

using Json = nlohmann::json;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::unique_ptr<httplib::Client> UnixClient(const std::string& socket_path,
                                            std::chrono::milliseconds read_timeout) {
  auto client = std::make_unique<httplib::Client>(socket_path, 80);
  client->set_address_family(AF_UNIX);
  client->set_keep_alive(true);
  client->set_connection_timeout(std::chrono::seconds(2));
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(std::chrono::seconds(2));
  return client;
}

std::optional<Event> ToEvent(const Json& json) {
  const std::string type = json.value("type", "");
  Event event;
  if (type == "csiSet") {
    event.type = Event::Type::kCsiSet;
  } else if (type == "csiRemove") {
    event.type = Event::Type::kCsiRemove;
  } else if (type == "terminate") {
    event.type = Event::Type::kTerminate;
  } else {
    return std::nullopt;
  }
  event.seq = json.value("seq", int64_t{0});
  event.service_instance = json.value("serviceInstance", "");
  event.csi = json.value("csi", "");
  event.cs_type = json.value("csType", "");
  event.ha_state = json.value("haState", "");
  if (json.contains("attributes") && json["attributes"].is_object()) {
    for (const auto& [key, value] : json["attributes"].items()) {
      if (value.is_string()) event.attributes[key] = value.get<std::string>();
    }
  }
  return event;
}

}  // namespace

Session::Session(Options options) : options_(std::move(options)) {
  control_ = UnixClient(options_.socket_path, std::chrono::seconds(5));
  heartbeat_ = UnixClient(options_.socket_path, std::chrono::seconds(5));
}

std::unique_ptr<Session> Session::Register(Options options, std::string* error) {
  if (options.socket_path.empty()) options.socket_path = EnvOr("VIGIL_AGENT_SOCKET", "");
  if (options.component.empty()) options.component = EnvOr("VIGIL_COMPONENT", "");
  if (options.token.empty()) options.token = EnvOr("VIGIL_REGISTRATION_TOKEN", "");
  if (options.socket_path.empty() || options.component.empty()) {
    *error = "no agent socket or component name (set VIGIL_AGENT_SOCKET and VIGIL_COMPONENT)";
    return nullptr;
  }
  std::unique_ptr<Session> session(new Session(std::move(options)));
  if (!session->DoRegister(error)) return nullptr;
  session->reader_ = std::thread([s = session.get()] { s->ReadEvents(); });
  if (!session->framework_checks_ && session->options_.auto_heartbeat) {
    session->heartbeater_ = std::thread([s = session.get()] { s->SendHeartbeats(); });
  }
  return session;
}

Session::~Session() {
  Close();
  if (reader_.joinable()) reader_.join();
  if (heartbeater_.joinable()) heartbeater_.join();
}

void Session::Close() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  if (stream_ != nullptr) stream_->stop();  // unblocks the reader at once
  cv_.notify_all();
}

bool Session::DoRegister(std::string* error, bool* refused) {
  Json body = {{"component", options_.component}, {"token", options_.token}};
  std::unique_lock control_lock(control_mu_);
  httplib::Result result = control_->Post("/v1/register", body.dump(), "application/json");
  control_lock.unlock();
  if (!result) {
    *error = "cannot reach the agent at " + options_.socket_path + ": " +
             httplib::to_string(result.error());
    return false;
  }
  Json reply = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (refused != nullptr) *refused = result->status == 404 || result->status == 409;
  if (result->status != 200 || !reply.is_object()) {
    *error = "registration refused (" + std::to_string(result->status) + "): " + result->body;
    return false;
  }
  const Json check = reply.value("healthCheck", Json::object());
  heartbeat_period_ = std::chrono::milliseconds(check.value("periodMs", int64_t{100}));
  framework_checks_ = check.value("invoker", "Component") == "Framework";
  std::lock_guard lock(mu_);
  token_ = reply.value("session", "");
  return true;
}

std::string Session::Token() {
  std::lock_guard lock(mu_);
  return token_;
}

// Streams events; when the stream ends (agent restart, session closed) it
// registers again until it succeeds or the session is closed.
void Session::ReadEvents() {
  while (!stopping_) {
    auto stream = UnixClient(options_.socket_path, std::chrono::seconds(5));
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      stream_ = stream.get();
    }
    std::string buffer;
    stream->Get(("/v1/events?session=" + Token()).c_str(), [&](const char* data, size_t length) {
      buffer.append(data, length);
      for (size_t end; (end = buffer.find('\n')) != std::string::npos;) {
        OnLine(buffer.substr(0, end));
        buffer.erase(0, end + 1);
      }
      return !stopping_.load();
    });
    {
      std::lock_guard lock(mu_);
      stream_ = nullptr;
    }
    std::string error;
    bool refused = false;
    while (!stopping_ && !DoRegister(&error, &refused)) {
      if (refused) {
        // Another process is (or will be) this component now: step aside.
        std::fprintf(stderr, "vigil-saf: %s; stepping aside\n", error.c_str());
        Close();
        break;
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_.load(); });
    }
  }
}

void Session::OnLine(const std::string& line) {
  if (line.empty()) return;  // keep-alive
  Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return;
  std::lock_guard lock(mu_);
  if (json.value("type", "") == "healthCheck") {
    health_checks_.push_back(json.value("seq", int64_t{0}));
  } else if (std::optional<Event> event = ToEvent(json)) {
    events_.push_back(std::move(*event));
  }
  cv_.notify_all();
}

std::optional<Event> Session::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::deque<int64_t> checks;
    std::optional<Event> event;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, deadline,
                     [this] { return stopping_ || !events_.empty() || !health_checks_.empty(); });
      checks.swap(health_checks_);
      if (!events_.empty()) {
        event = std::move(events_.front());
        events_.pop_front();
      }
    }
    for (int64_t seq : checks) {
      std::lock_guard lock(control_mu_);
      Post(*control_, "/v1/healthcheck", Json{{"session", Token()}, {"seq", seq}}.dump());
    }
    if (event || stopping_ || std::chrono::steady_clock::now() >= deadline) return event;
  }
}

bool Session::Post(httplib::Client& client, const std::string& path, const std::string& body) {
  httplib::Result result = client.Post(path.c_str(), body, "application/json");
  return result && result->status == 200;
}

bool Session::Confirm(int64_t seq, bool ok, const std::string& message) {
  Json body = {{"session", Token()}, {"seq", seq}, {"ok", ok}, {"message", message}};
  std::lock_guard lock(control_mu_);
  return Post(*control_, "/v1/confirm", body.dump());
}

bool Session::Heartbeat() {
  std::lock_guard lock(heartbeat_mu_);
  return Post(*heartbeat_, "/v1/heartbeat", Json{{"session", Token()}}.dump());
}

bool Session::ReportError(const std::string& recommended_recovery, const std::string& reason) {
  Json body = {
      {"session", Token()}, {"recommendedRecovery", recommended_recovery}, {"reason", reason}};
  std::lock_guard lock(control_mu_);
  return Post(*control_, "/v1/error", body.dump());
}

void Session::SendHeartbeats() {
  while (!stopping_) {
    Heartbeat();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, heartbeat_period_, [this] { return stopping_.load(); });
  }
}

}  // namespace vigil::saf
