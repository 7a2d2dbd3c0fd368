// ComponentRunner: the lifecycle of one component on this node, as the AMF
// defines it (presence states Uninstantiated, Instantiating, Instantiated,
// Terminating, Restarting, InstantiationFailed, TerminationFailed), driven
// toward what the node agent wants: the CSIs assigned to the component with
// their HA states, and whether its unit may run at all.
//
// A runner detects failures itself (process death, health checks, missed
// heartbeats, timeouts) and starts cleaning up at once, then reports the
// failure; the node agent decides the recovery (Restart(), or leave it
// stopped for a failover and Repair() it later).
//
// Implementations: ExecRunner (exec: non-preinstantiable, runs while a CSI is
// Active), SaAwareRunner (saAware: preinstantiated, HA states over the local
// API), VmRunner (virtualMachine: a libvirt domain that runs while a CSI is
// Active).
//
// Thread safety: a runner lives on the agent's EventLoop thread; every method
// and callback runs there.
#ifndef VIGIL_AGENT_COMPONENT_RUNNER_H_
#define VIGIL_AGENT_COMPONENT_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"

namespace vigil::agent {

class EventLoop;
class ProcessMonitor;
class Spawner;

using Millis = std::chrono::milliseconds;

// One CSI the agent wants a component to hold, in an HA state.
struct CsiAssignment {
  std::string service_instance;
  api::Csi csi;
  api::HaState ha_state = api::HaState::kNone;
  api::Successor successor{};  // Quiesced: the unit taking over, and where VMs may migrate
  bool operator==(const CsiAssignment& other) const {
    return service_instance == other.service_instance && csi.name == other.csi.name &&
           csi.cs_type == other.csi.cs_type && csi.attributes == other.csi.attributes &&
           ha_state == other.ha_state && successor == other.successor;
  }
};

// What a runner reports; the agent turns it into Component status.
struct RunnerState {
  api::PresenceState presence = api::PresenceState::kUninstantiated;
  bool failed = false;                          // a failure is being handled (operState Disabled)
  api::HaState ha_state = api::HaState::kNone;  // the state it holds now
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // kernel start time of pid (adoption)
  std::string token;         // saAware: the secret its registration must carry
  std::string start_time;    // RFC 3339 (ms), when pid was started
  int64_t restart_count = 0;
  api::Failure last_failure;  // empty reason: none
  // The recovery the component itself asked for with its last failure
  // (saAware error reports); none: the component's spec decides.
  std::optional<api::RecoveryAction> recommended_recovery;
  // The Ready condition: false with a reason while it cannot serve
  // (CommandNotFound, ExitedAtStart, InstantiateTimeout, Unhealthy, ...).
  bool ready = false;
  std::string reason;
  std::string message;
  // virtualMachine: the domain (empty name: none); pid is its qemu's.
  api::DomainStatus domain;
  bool operator==(const RunnerState&) const = default;
};

// What a runner needs from its surroundings.
struct RunnerContext {
  EventLoop* loop = nullptr;
  ProcessMonitor* monitor = nullptr;
  Spawner* spawner = nullptr;
  std::string log_dir;      // <data-dir>/logs
  std::string socket_path;  // the local API (saAware)
  std::string node;
  std::function<std::chrono::system_clock::time_point()> wall_now;
};

struct RunnerCallbacks {
  std::function<void()> on_change;  // state() changed
  std::function<void(const api::Failure& failure)> on_failure;
};

// What a previous agent recorded about a process it started (adoption).
struct AdoptionRecord {
  pid_t pid = 0;
  uint64_t start_ticks = 0;
  std::string start_time;
  std::vector<CsiAssignment> csis;  // the CSIs it was started with
  std::string token;                // saAware: its registration secret
  // Equal exactly when their state files would be (CsiAssignment compares
  // what the file keeps).
  bool operator==(const AdoptionRecord&) const = default;
};

class ComponentRunner {
 public:
  virtual ~ComponentRunner() = default;

  // A changed spec (same kind); applies from the next instantiation on.
  virtual void UpdateSpec(const api::ComponentSpec& spec) = 0;
  // The CSIs the component should hold now (empty: none).
  virtual void SetAssignments(std::vector<CsiAssignment> csis) = 0;
  // False: the unit must not run (disabled, locked for instantiation, being
  // removed): stop gracefully and stay stopped.
  virtual void SetEnabled(bool enabled) = 0;
  // Self-fencing (the node lost its lease): stops the component at once,
  // without the graceful terminate (a process group gets SIGKILL, a domain
  // is destroyed), and keeps it stopped until SetEnabled(true).
  virtual void Fence() = 0;
  // Recovery by restart: clean up, then instantiate again if wanted.
  virtual void Restart() = 0;
  // Clears a handled failure (or InstantiationFailed/TerminationFailed) so
  // the component may be instantiated again when wanted.
  virtual void Repair() = 0;
  // Re-attaches to a process a previous agent started. If it is gone the
  // death is reported as a failure.
  virtual void Adopt(const AdoptionRecord& record) = 0;
  // Continues counting restarts from what an earlier agent reported.
  virtual void RestoreRestartCount(int64_t count) = 0;
  // Stops monitoring and leaves any process running (agent shutdown: the
  // next agent adopts it).
  virtual void Detach() = 0;
  // Whether the component holds `si` in `ha_state` as wanted (for the unit's
  // status.haStates).
  virtual bool Reached(const std::string& si, api::HaState ha_state) const = 0;
  // True when no process runs and no operation is in progress.
  virtual bool Stopped() const = 0;
  // True once the component can no longer serve, even if its cleanup is
  // still in progress (e.g. a VM whose qemu process is seen dead while
  // libvirt tears the domain down): a failover need not wait any longer.
  virtual bool Fenced() const { return Stopped(); }
  // The CSIs its running process was started with (adoption record).
  virtual std::vector<CsiAssignment> RunningCsis() const = 0;
  virtual const RunnerState& state() const = 0;
};

// 128 random bits as 32 hex digits.
std::string RandomToken();

// RFC 3339 UTC with milliseconds: "2026-01-02T03:04:05.678Z".
std::string FormatTime(std::chrono::system_clock::time_point time);

// Who a component is, for its environment.
// The environment variable naming the agent record file (ComponentIdentity).
inline constexpr char kAgentRecordVariable[] = "VIGIL_AGENT_RECORD";

struct ComponentIdentity {
  std::string name;
  std::string unit;
  std::string node;
  // The file where the agent records what it started (VIGIL_AGENT_RECORD in
  // the environment): how a restarted agent finds processes it started but
  // had not recorded yet (NodeAgent::KillUnrecorded).
  std::string agent_record{};
};

// A component's environment: the agent's own, then `spec_env` (values may
// use $(ATTR) of the CSIs), then the attributes of `csis`, then
// VIGIL_COMPONENT, VIGIL_SERVICE_UNIT, VIGIL_NODE and, when csis is not
// empty, VIGIL_HA_STATE, VIGIL_CSI_NAME, VIGIL_CS_TYPE and
// VIGIL_SERVICE_INSTANCE (comma-separated when there are several CSIs).
std::map<std::string, std::string> BuildEnvironment(
    const ComponentIdentity& who, const std::map<std::string, std::string>& spec_env,
    const std::vector<CsiAssignment>& csis);

// Wraps a task so that it does nothing once `owner` has expired: runners
// post callbacks to the loop that may run after the runner is gone.
template <typename F>
auto Guarded(std::weak_ptr<int> owner, F task) {
  return [owner = std::move(owner), task = std::move(task)](auto&&... args) mutable {
    if (owner.lock()) task(std::forward<decltype(args)>(args)...);
  };
}

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_COMPONENT_RUNNER_H_
