// LocalApiServer: the node agent's local HTTP API for saAware components
// (docs/agent-api.md), served on a Unix socket (<data-dir>/agent.sock, mode
// 0660). Anything that speaks HTTP/1.1 over a Unix socket can be SA-aware:
//   POST /v1/register     {"component","token"}          -> {"session", health check, timeouts}
//   GET  /v1/events?session=TOKEN                  -> chunked NDJSON event stream
//   POST /v1/confirm      {"session","seq","ok","message"}
//   POST /v1/heartbeat    {"session"}
//   POST /v1/healthcheck  {"session","seq"}        (answer to a framework check)
//   POST /v1/error        {"session","recommendedRecovery","reason"}
//   GET  /v1/healthz
// The server only parses and routes; the LocalApiHandler (the node agent)
// decides.
//
// Thread safety: Start/Stop from one thread; handler calls arrive on the
// server's connection threads, concurrently.
#ifndef VIGIL_AGENT_LOCAL_API_H_
#define VIGIL_AGENT_LOCAL_API_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/sa_session.h"
#include "api/types.h"

namespace httplib {
class Server;
}

namespace vigil::agent {

class LocalApiHandler {
 public:
  virtual ~LocalApiHandler() = default;
  // Binds `session` to the component; returns what the component is told.
  // Errors: NotFound (no such saAware component on this node),
  // FailedPrecondition (it is not running or being instantiated here).
  virtual absl::StatusOr<api::Json> Register(const std::string& component, const std::string& token,
                                             std::shared_ptr<SaSession> session) = 0;
  virtual void Confirm(const std::string& component, const std::string& token, int64_t seq, bool ok,
                       const std::string& message) = 0;
  virtual void Heartbeat(const std::string& component, const std::string& token) = 0;
  virtual void HealthCheckAnswer(const std::string& component, const std::string& token,
                                 int64_t seq) = 0;
  virtual void ReportError(const std::string& component, const std::string& token,
                           std::optional<api::RecoveryAction> recovery,
                           const std::string& reason) = 0;
};

class LocalApiServer {
 public:
  // REQUIRES: handler outlives the server.
  LocalApiServer(std::string socket_path, LocalApiHandler* handler);
  ~LocalApiServer();  // Stops.

  // Replaces a stale socket file and starts serving.
  // Errors: Internal if the socket cannot be bound.
  absl::Status Start();
  // Ends every event stream and stops serving; removes the socket file.
  void Stop();

 private:
  void Route();
  std::shared_ptr<SaSession> FindSession(const std::string& token);

  const std::string socket_path_;
  LocalApiHandler* const handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<SaSession>> sessions_;  // GUARDED_BY(mu_) by token
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_LOCAL_API_H_
