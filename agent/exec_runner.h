// ExecRunner: the lifecycle of an `exec` component (non-SA-aware,
// non-preinstantiable). Its `instantiate` command is the service process
// itself: started when one of its CSIs is assigned Active (with the CSI
// attributes and VIGIL_HA_STATE in its environment), stopped when no CSI is
// Active any more. Standby, quiescing and quiesced are bookkeeping only: the
// process does not run.
//
// Instantiation succeeds when the process runs and, if a health check is
// configured, passes it once, all within timeouts.instantiate; otherwise the
// attempt fails (clear reason in state()), is cleaned up and retried after
// instantiation.delay, up to instantiation.attempts, then the component is
// InstantiationFailed. A running process that dies (pidfd) or fails its
// health check failureThreshold times is a failure: cleaned up at once and
// reported. Graceful stop runs `terminate` (or SIGTERM to the process group)
// and falls back to cleanup after timeouts.terminate; cleanup runs `cleanup`,
// sends SIGTERM to the group, SIGKILL after timeouts.cleanup, and reports
// TerminationFailed if the group still lives after that.
//
// Thread safety: see ComponentRunner (loop thread only).
#ifndef VIGIL_AGENT_EXEC_RUNNER_H_
#define VIGIL_AGENT_EXEC_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/component_runner.h"
#include "agent/event_loop.h"
#include "agent/health_check.h"
#include "agent/process.h"
#include "agent/process_monitor.h"

namespace vigil::agent {

class ExecRunner : public ComponentRunner {
 public:
  ExecRunner(RunnerContext context, ComponentIdentity who, api::ExecSpec spec,
             RunnerCallbacks callbacks);
  // Stops monitoring; a process still running is left alone (see Detach).
  ~ExecRunner() override;

  void UpdateSpec(const api::ComponentSpec& spec) override {
    if (spec.exec.has_value()) spec_ = *spec.exec;
  }

  void SetAssignments(std::vector<CsiAssignment> csis) override;
  void SetEnabled(bool enabled) override;
  void Fence() override;
  void Restart() override;
  void Repair() override;
  void Adopt(const AdoptionRecord& record) override;
  void Detach() override;
  void RestoreRestartCount(int64_t count) override { state_.restart_count = count; }
  bool Reached(const std::string& si, api::HaState ha_state) const override;
  bool Stopped() const override;
  std::vector<CsiAssignment> RunningCsis() const override { return running_csis_; }
  const RunnerState& state() const override { return state_; }

 private:
  enum class Op { kNone, kInstantiate, kRetryDelay, kTerminate, kCleanup };

  std::vector<CsiAssignment> WantedCsis() const;
  bool WantRunning() const { return !WantedCsis().empty(); }
  void Reconcile();

  // Instantiation.
  void StartInstantiation(int attempt);
  void WatchProcess();
  void StartHealthCheck(bool wait_for_pass);
  void StopHealthCheck();
  void OnReady();
  void AttemptFailed(const std::string& reason, const std::string& message);
  void AfterAttemptFailed();

  // Failure of a running process.
  void OnExit(const Process* process, const ExitInfo& exit);
  void OnUnhealthy(const std::string& why);
  void Fail(const std::string& reason, const std::string& message);
  bool ExitedAtStart(const ExitInfo& exit) const;

  // Stopping.
  void StartTerminate();
  void StartCleanup(std::function<void()> then);
  void CheckCleanupDone();
  void OnCleanupTimeout(bool killed);
  void FinishStopped();
  void ReleaseProcess();
  void RunHelperCommand(const std::vector<std::string>& argv);

  void SetOp(Op op);
  void SetCondition(bool ready, const std::string& reason, const std::string& message);
  void RecordFailure(const std::string& reason, const std::string& message);
  void Notify();
  template <typename F>
  auto Guard(F task) {
    return Guarded(life_, std::move(task));
  }

  const RunnerContext context_;
  const ComponentIdentity who_;
  api::ExecSpec spec_;
  const RunnerCallbacks callbacks_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);

  std::vector<CsiAssignment> desired_;
  std::vector<CsiAssignment> running_csis_;  // what the process was started with
  bool enabled_ = true;
  bool restarting_ = false;
  Op op_ = Op::kNone;
  int attempt_ = 0;
  EventLoop::Clock::time_point ready_at_;  // when it last became Instantiated
  EventLoop::TimerId op_timer_ = 0;
  std::function<void()> after_cleanup_;
  std::shared_ptr<Process> process_;
  ProcessMonitor::WatchId watch_id_ = 0;
  HealthCheckSlot health_{context_.loop};
  RunnerState state_;
  RunnerState notified_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_EXEC_RUNNER_H_
