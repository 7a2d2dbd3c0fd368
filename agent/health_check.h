// Health checks of exec components: a Probe answers "is it healthy now?"
// within a timeout (exec: a command exits 0; tcp: a connection is accepted;
// http: a GET answers 2xx/3xx), and a HealthChecker runs one probe at a fixed
// rate on its own thread, calling back on the first pass (the component is
// ready) and once failureThreshold consecutive probes have failed (the
// component is unhealthy). Probes start on a fixed schedule (k × period),
// and a probe never outlives its timeout, so a hung component is reported
// within period × failureThreshold (+ timeout when timeout > period).
//
// Thread safety: a Probe is used by one thread at a time. HealthChecker's
// Start/Stop are called from one thread; its callbacks run on its own thread.
#ifndef VIGIL_AGENT_HEALTH_CHECK_H_
#define VIGIL_AGENT_HEALTH_CHECK_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "agent/event_loop.h"
#include "api/types.h"

namespace vigil::agent {

using Millis = std::chrono::milliseconds;

class Probe {
 public:
  virtual ~Probe() = default;
  // OK if healthy; otherwise Unavailable (refused, bad status, non-zero exit)
  // or DeadlineExceeded (no answer within `timeout`), with the reason.
  virtual absl::Status Check(Millis timeout) = 0;
};

// tcp: connects to host:port (numeric or resolvable host).
std::unique_ptr<Probe> MakeTcpProbe(std::string host, int port);
// http(s): GET scheme://host:port/path; certificates are not verified.
std::unique_ptr<Probe> MakeHttpProbe(std::string scheme, std::string host, int port,
                                     std::string path);
// exec: runs argv with env (own process group, output discarded); healthy on
// exit code 0; killed at the timeout.
std::unique_ptr<Probe> MakeExecProbe(std::vector<std::string> argv,
                                     std::map<std::string, std::string> env);
// The probe the spec describes; env is the component's environment (for
// exec probes and $(VAR) expansion in their command).
std::unique_ptr<Probe> MakeProbe(const api::ExecHealthCheck& spec,
                                 const std::map<std::string, std::string>& env);

struct HealthCheckSettings {
  Millis period{1000};
  Millis timeout{500};
  int failure_threshold = 3;
  // Until the first pass, probe this often (readiness at start-up is on the
  // failover critical path); failures then do not count.
  Millis startup_interval{5};
};

class HealthChecker {
 public:
  struct Callbacks {
    std::function<void()> on_first_pass;
    std::function<void(const std::string& reason)> on_unhealthy;  // at most once
  };

  HealthChecker(std::unique_ptr<Probe> probe, HealthCheckSettings settings, Callbacks callbacks);
  ~HealthChecker();  // Stops.

  // Starts probing at once. `wait_for_pass`: begin in start-up mode (fast,
  // failures not counted until the first pass); otherwise count at once.
  void Start(bool wait_for_pass);
  // Stops probing; no callback starts after it returns.
  // REQUIRES: not called from a callback.
  void Stop();
  // Asks the thread to stop without waiting (a probe in flight may take up
  // to its timeout); callbacks may still start until Finished().
  void RequestStop();
  // True once the probing thread has ended (or never started).
  bool Finished() const { return finished_.load(); }

 private:
  void Run(bool wait_for_pass);
  // Sleeps until `deadline` or Stop(); false if stopping.
  bool SleepUntil(std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<Probe> probe_;
  const HealthCheckSettings settings_;
  const Callbacks callbacks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::atomic<bool> finished_{true};
  std::thread thread_;
};

// The health checker of one runner, started and stopped on the runner's
// event-loop thread without ever blocking it: a stopped checker whose probe
// is still in flight is retired and joined later (at the next Start/Stop, or
// on destruction). Callbacks run on the loop, and never after Stop(), a newer
// Start() or the slot's destruction.
//
// Thread safety: all methods on the loop thread only.
class HealthCheckSlot {
 public:
  explicit HealthCheckSlot(EventLoop* loop) : loop_(loop) {}
  ~HealthCheckSlot();  // Joins every checker (may wait up to a probe timeout).

  // Stops any current checker and starts probing with `probe`.
  // `wait_for_pass`: see HealthChecker::Start.
  void Start(std::unique_ptr<Probe> probe, HealthCheckSettings settings, bool wait_for_pass,
             std::function<void()> on_first_pass,
             std::function<void(const std::string& reason)> on_unhealthy);
  // Stops the current checker, if any; no callback of it runs afterwards.
  void Stop();
  bool active() const { return current_ != nullptr; }

 private:
  EventLoop* const loop_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
  uint64_t serial_ = 0;  // callbacks of older checkers are ignored
  std::unique_ptr<HealthChecker> current_;
  std::vector<std::unique_ptr<HealthChecker>> retired_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_HEALTH_CHECK_H_
