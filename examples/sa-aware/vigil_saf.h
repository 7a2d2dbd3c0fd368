// libvigil_saf: a client of the Vigil node agent's local API for SA-aware
// components (docs/agent-api.md), in the spirit of the SAForum AMF library:
// register, receive CSI assignments and HA-state changes, confirm each one,
// send heartbeats, report errors.
//
//   auto session = vigil::saf::Session::Register({}, &error);  // env defaults
//   for (;;) {
//     auto event = session->Next(std::chrono::seconds(1));
//     if (event && event->type == vigil::saf::Event::Type::kCsiSet) {
//       Become(event->ha_state, event->attributes);
//       session->Confirm(event->seq);
//     }
//   }
//
// The session reconnects by itself when the agent restarts (it registers
// again; the agent then re-sends the states it knows the component holds).
// Framework-invoked health checks are answered inside Next(), so a component
// whose event loop is stuck fails them. With invoker Component the session
// sends heartbeats from its own thread every period (auto_heartbeat), or the
// application calls Heartbeat() itself.
//
// Thread safety: Confirm, Heartbeat and ReportError may be called from any
// thread; Next from one thread at a time.
#ifndef VIGIL_EXAMPLES_SA_AWARE_VIGIL_SAF_H_
#define VIGIL_EXAMPLES_SA_AWARE_VIGIL_SAF_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Client;
}

namespace vigil::saf {

struct Event {
  enum class Type { kCsiSet, kCsiRemove, kTerminate };
  Type type = Type::kCsiSet;
  int64_t seq = 0;  // confirm with this
  std::string service_instance;
  std::string csi;
  std::string cs_type;
  std::string ha_state;  // "Active", "Standby", "Quiescing", "Quiesced" (kCsiSet)
  std::map<std::string, std::string> attributes;
};

struct Options {
  std::string socket_path;  // default: $VIGIL_AGENT_SOCKET
  std::string component;    // default: $VIGIL_COMPONENT
  std::string token;        // default: $VIGIL_REGISTRATION_TOKEN
  bool auto_heartbeat = true;
};

class Session {
 public:
  // Registers with the agent and starts reading events.
  // Returns null with *error set if the agent cannot be reached or refuses.
  static std::unique_ptr<Session> Register(Options options, std::string* error);
  ~Session();  // Stops the threads; the agent sees the stream end.

  // The next event, or nullopt after `timeout`, or once the session is
  // closed: by Close(), or because the agent refused to take the component
  // back after a reconnection (it was replaced: the process should exit).
  bool closed() const { return stopping_.load(); }
  // The next event, or nullopt after `timeout` (or once closed).
  std::optional<Event> Next(std::chrono::milliseconds timeout);
  // Confirms event `seq` (ok = false rejects it: the agent treats that as a
  // failure of the component). Returns false if the agent is unreachable.
  bool Confirm(int64_t seq, bool ok = true, const std::string& message = "");
  bool Heartbeat();
  // Reports an error; `recommended_recovery` is "ComponentRestart",
  // "ComponentFailover", "UnitRestart", "UnitFailover" or "NodeFailover".
  bool ReportError(const std::string& recommended_recovery, const std::string& reason);
  void Close();

  const std::string& component() const { return options_.component; }
  std::chrono::milliseconds heartbeat_period() const { return heartbeat_period_; }

 private:
  explicit Session(Options options);
  // Returns false with *error; *refused when the agent said no for good.
  bool DoRegister(std::string* error, bool* refused = nullptr);
  void ReadEvents();
  void SendHeartbeats();
  void OnLine(const std::string& line);
  bool Post(httplib::Client& client, const std::string& path, const std::string& body);
  std::string Token();

  Options options_;
  std::unique_ptr<httplib::Client> control_;    // confirms and errors
  std::unique_ptr<httplib::Client> heartbeat_;  // heartbeats (own connection)
  std::mutex control_mu_, heartbeat_mu_;
  std::chrono::milliseconds heartbeat_period_{100};
  bool framework_checks_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::string token_;                  // GUARDED_BY(mu_)
  std::deque<Event> events_;           // GUARDED_BY(mu_)
  std::deque<int64_t> health_checks_;  // GUARDED_BY(mu_) framework checks to answer
  httplib::Client* stream_ = nullptr;  // GUARDED_BY(mu_) the event stream's client
  std::atomic<bool> stopping_{false};
  std::thread reader_;
  std::thread heartbeater_;
};

}  // namespace vigil::saf

#endif  // VIGIL_EXAMPLES_SA_AWARE_VIGIL_SAF_H_
