// SaAwareRunner: the lifecycle of an `saAware` component (preinstantiable).
// It is instantiated whenever its unit may run, assignments or not: its
// command is started with VIGIL_AGENT_SOCKET and VIGIL_COMPONENT in the
// environment, and it is Instantiated once it registers on the agent's local
// API (docs/agent-api.md) within timeouts.instantiate (else the attempt
// fails and is retried per instantiation.attempts/delay). The unit is in
// service only while its saAware components are instantiated.
//
// CSI assignments and HA-state changes are sent to it as events on its
// session stream, one outstanding change per CSI; each must be confirmed
// within timeouts.csiSet, or it is a failure. A CSI counts as held in a
// state once confirmed (Reached). Health: with invoker Component it must
// send a heartbeat at least every period + maxDuration; with Framework the
// agent sends a healthcheck event every period, to be answered within
// maxDuration. A missed heartbeat, a failed or late confirmation, an error
// report (with its recommended recovery) and the process's death are
// failures: the process group is cleaned up at once and the failure reported.
// Graceful stop sends a terminate event and SIGTERM to the group, and cleans
// up after timeouts.terminate.
//
// Thread safety: see ComponentRunner (loop thread only).
#ifndef VIGIL_AGENT_SA_AWARE_RUNNER_H_
#define VIGIL_AGENT_SA_AWARE_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/component_runner.h"
#include "agent/event_loop.h"
#include "agent/process.h"
#include "agent/process_monitor.h"
#include "agent/sa_session.h"

namespace vigil::agent {

class SaAwareRunner : public ComponentRunner {
 public:
  SaAwareRunner(RunnerContext context, ComponentIdentity who, api::SaAwareSpec spec,
                RunnerCallbacks callbacks);
  ~SaAwareRunner() override;

  // Local API entry points (called on the loop by the agent).
  // A registration: the component's (new) session. Returns false if the
  // component is not running or being instantiated.
  // The registration must carry the secret the process was started with
  // (VIGIL_REGISTRATION_TOKEN), so a stray process cannot take its place.
  bool Attach(std::shared_ptr<SaSession> session, const std::string& token);
  void OnConfirm(const std::string& token, int64_t seq, bool ok, const std::string& message);
  void OnHeartbeat(const std::string& token);
  void OnHealthCheckAnswer(const std::string& token, int64_t seq);
  void OnErrorReport(const std::string& token, std::optional<api::RecoveryAction> recovery,
                     const std::string& reason);
  // What a registration is told (health-check contract, timeouts).
  api::Json RegistrationReply() const;

  void UpdateSpec(const api::ComponentSpec& spec) override;
  void SetAssignments(std::vector<CsiAssignment> csis) override;
  void SetEnabled(bool enabled) override;
  void Fence() override;
  void Restart() override;
  void Repair() override;
  void Adopt(const AdoptionRecord& record) override;
  void RestoreRestartCount(int64_t count) override { state_.restart_count = count; }
  void Detach() override;
  bool Reached(const std::string& si, api::HaState ha_state) const override;
  bool Stopped() const override;
  std::vector<CsiAssignment> RunningCsis() const override;
  const RunnerState& state() const override { return state_; }

 private:
  enum class Op { kNone, kInstantiate, kRetryDelay, kTerminate, kCleanup };
  struct Pending {  // one CSI change sent, not confirmed yet
    int64_t seq = 0;
    CsiAssignment target;  // ha_state kNone: removal
    EventLoop::TimerId timer = 0;
  };

  bool WantRunning() const { return enabled_ && !state_.failed; }
  void Reconcile();
  static std::string Key(const CsiAssignment& csi);

  // Instantiation and processes (sa_aware_runner.cc).
  void StartInstantiation(int attempt);
  void WatchProcess();
  void AttemptFailed(const std::string& reason, const std::string& message);
  void AfterAttemptFailed();
  void OnExit(const Process* process, const ExitInfo& exit);
  void Fail(const std::string& reason, const std::string& message,
            std::optional<api::RecoveryAction> recovery = std::nullopt);
  void StartTerminate();
  void StartCleanup(std::function<void()> then);
  void CheckCleanupDone();
  void OnCleanupTimeout(bool killed);
  void FinishStopped();
  void ReleaseProcess();

  // Session, CSIs and health (sa_aware_runner_session.cc).
  void SyncCsis();
  void Send(const CsiAssignment& target, bool removal);
  void OnConfirmTimeout(int64_t seq);
  void ArmHeartbeat();
  void SendHealthCheck();
  void EndSession();
  bool CurrentSession(const std::string& token) const;

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
  api::SaAwareSpec spec_;
  const RunnerCallbacks callbacks_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);

  std::vector<CsiAssignment> desired_;
  std::map<std::string, CsiAssignment> held_;  // by Key: confirmed states
  std::map<std::string, Pending> pending_;     // by Key
  int64_t next_seq_ = 1;
  bool enabled_ = true;
  bool restarting_ = false;
  Op op_ = Op::kNone;
  int attempt_ = 0;
  EventLoop::TimerId op_timer_ = 0;
  EventLoop::TimerId health_timer_ = 0;
  int64_t health_seq_ = 0;  // framework health check awaiting its answer
  std::function<void()> after_cleanup_;
  std::shared_ptr<Process> process_;
  ProcessMonitor::WatchId watch_id_ = 0;
  std::shared_ptr<SaSession> session_;
  RunnerState state_;
  RunnerState notified_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_SA_AWARE_RUNNER_H_
