// VmRunner: the lifecycle of a `virtualMachine` component (a libvirt domain;
// non-SA-aware, non-preinstantiable, like exec): the domain is defined from
// spec.domainXML (or the named, pre-defined domain must exist) and started on
// the node's hypervisor when one of the component's CSIs is assigned Active,
// and stopped when none is Active any more. Standby is bookkeeping only.
//
// Instantiation succeeds once the domain runs, within spec.startTimeout;
// otherwise the attempt fails with a clear reason (InvalidDomainXML,
// DomainNotFound, HypervisorUnavailable, StartFailed, StartTimeout, ...), is
// cleaned up and retried after options.instantiation.delay, up to
// options.instantiation.attempts, then the component is InstantiationFailed.
// A graceful stop asks the guest to shut down for spec.shutdownTimeout, then
// destroys the domain; cleanup (failure, restart) destroys it at once.
//
// With spec.guestAgentPing, the domain counts as instantiated only once its
// QEMU guest agent answers a ping (within spec.startTimeout, else the attempt
// fails with GuestAgentUnresponsive), and three missed pings in a row while
// it runs are a failure (source "guest-agent"); pings pause while the domain
// is paused.
//
// Failure detection is layered:
//   1. a pidfd on the local qemu process (ProcessMonitor): a killed qemu is
//      seen within milliseconds, before libvirt notices;
//   2. libvirt lifecycle events: stopped-failed, crashed, shut down by the
//      guest, destroyed from outside, paused on an I/O error -> failure, after
//      the domain's state is read again (so a late event about an earlier
//      instance is never taken for a failure of the current one);
//   3. a plain pause (`virsh suspend`) makes the component not Ready
//      (DomainPaused) at once; it still holds its assignment, and is failed
//      only if it stays paused longer than options.paused_grace;
//   4. a lost connection to libvirtd is not a failure (no failover while
//      libvirtd restarts): on kConnectionRestored the state is read again and
//      a domain that died meanwhile is a failure. The pidfd keeps watching
//      qemu throughout.
// Adopt() re-attaches to the domain a previous agent started (qemu PID and
// start time from the record): the domain keeps running with the same qemu
// PID; one that died meanwhile is a failure.
//
// Thread safety: see ComponentRunner (loop thread only). Hypervisor calls run
// on the runner's own VmWorker thread; their results, the pidfd and libvirt's
// events are posted to the loop.
#ifndef VIGIL_AGENT_VM_RUNNER_H_
#define VIGIL_AGENT_VM_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/component_runner.h"
#include "agent/event_loop.h"
#include "agent/process.h"
#include "agent/process_monitor.h"
#include "agent/vm_domain.h"
#include "agent/vm_worker.h"
#include "virt/hypervisor.h"

namespace vigil::agent {

// What a VmRunner needs besides its spec.
struct VmRunnerOptions {
  // The node's hypervisor; null when it could not be opened (then every
  // instantiation attempt fails with HypervisorUnavailable and this error).
  std::shared_ptr<virt::Hypervisor> hypervisor;
  std::string hypervisor_error;
  // Retries of a failed instantiation (the VM spec has no such field; these
  // are the defaults of exec components).
  api::Instantiation instantiation{.attempts = 2, .delay = Millis(1000)};
  // How long a domain may stay paused (not on an I/O error) before that is
  // a failure.
  Millis paused_grace{10000};
  // How long a cleanup keeps trying to destroy the domain (e.g. while
  // libvirtd is away) before the component is TerminationFailed.
  Millis cleanup_timeout{10000};
};

class VmRunner : public ComponentRunner {
 public:
  VmRunner(RunnerContext context, ComponentIdentity who, api::VirtualMachineSpec spec,
           VmRunnerOptions options, RunnerCallbacks callbacks);
  // Stops monitoring; a running domain is left alone (see Detach).
  ~VmRunner() override;

  void UpdateSpec(const api::ComponentSpec& spec) override {
    if (spec.virtual_machine.has_value()) spec_ = *spec.virtual_machine;
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
  // Also true once the pidfd saw qemu die: the domain cannot run any more.
  bool Fenced() const override;
  std::vector<CsiAssignment> RunningCsis() const override { return running_csis_; }
  const RunnerState& state() const override { return state_; }

 private:
  enum class Op { kNone, kInstantiate, kRetryDelay, kTerminate, kCleanup };

  std::vector<CsiAssignment> WantedCsis() const;
  bool WantRunning() const { return !WantedCsis().empty(); }
  void Reconcile();

  // Instantiation (vm_runner.cc).
  void StartInstantiation(int attempt);
  void OnStarted(uint64_t serial, const DomainStart& result);
  void OnRunning(const DomainStart& result);
  void OnReady();
  void AttemptFailed(const std::string& reason, const std::string& message);
  void AfterAttemptFailed();

  // Failure detection and adoption (vm_runner_watch.cc).
  void Subscribe();
  bool WatchQemu(pid_t pid, uint64_t start_ticks);
  void OnQemuExit(const Process* process, const ExitInfo& exit);
  void OnLifecycle(const virt::LifecycleEvent& event);
  void Verify(virt::LifecycleEventKind why);
  void OnVerified(uint64_t instance, virt::LifecycleEventKind why, const DomainCheck& check);
  void OnPaused(const std::string& libvirt_reason);
  void OnResumed();
  void StartGuestAgentPings(bool wait_for_answer);
  void OnGuestAgentUnresponsive(const std::string& why);
  void OnStartTimeout();
  void Fail(const std::string& reason, const std::string& message, const std::string& source);

  // Stopping (vm_runner_stop.cc): live migration to the unit taking over
  // when allowed, else graceful shutdown, else destroy.
  void StartTerminate();
  void StartShutdown(const std::string& message);
  std::optional<api::Successor> MigrationTargetOf() const;
  void StartMigration(const api::Successor& to);
  void OnMigrated(uint64_t serial, const api::Successor& to,
                  const absl::StatusOr<virt::MigrationStats>& result, Millis took);
  void StartCleanup(std::function<void()> then);
  void OnStopped(uint64_t serial, const absl::Status& status, bool graceful);
  void OnCleanupFailed(const absl::Status& status);
  // `reason`: of the Ready condition after a clean stop ("Stopped", "Migrated").
  void FinishStopped(const std::string& reason = "Stopped");
  void ReleaseDomain();

  void SetOp(Op op);
  void SetCondition(bool ready, const std::string& reason, const std::string& message);
  void RecordFailure(const std::string& reason, const std::string& message,
                     const std::string& source);
  void Notify();
  std::string TargetName() const;
  template <typename F>
  auto Guard(F task) {
    return Guarded(life_, std::move(task));
  }
  // Runs `task(hypervisor)` on the worker, then `done(result)` on the loop
  // unless the runner is gone.
  template <typename R>
  void OnWorker(std::function<R(virt::Hypervisor&)> task, std::function<void(const R&)> done);

  const RunnerContext context_;
  const ComponentIdentity who_;
  api::VirtualMachineSpec spec_;
  const VmRunnerOptions options_;
  const RunnerCallbacks callbacks_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
  std::unique_ptr<VmWorker> worker_ = std::make_unique<VmWorker>();

  std::vector<CsiAssignment> desired_;
  std::vector<CsiAssignment> running_csis_;  // what it was started for
  bool enabled_ = true;
  bool restarting_ = false;
  Op op_ = Op::kNone;
  int attempt_ = 0;
  uint64_t op_serial_ = 0;        // results of older operations are ignored
  uint64_t instance_serial_ = 0;  // checks of older instances are ignored
  EventLoop::TimerId op_timer_ = 0;
  EventLoop::TimerId paused_timer_ = 0;
  std::function<void()> after_cleanup_;
  std::string stop_note_;  // message of the condition after the stop in progress
  // Set by Fence: the live migration in progress (if any) is aborted.
  std::shared_ptr<std::atomic<bool>> migration_abort_ = std::make_shared<std::atomic<bool>>(false);
  EventLoop::Clock::time_point cleanup_deadline_;
  std::string domain_;    // the domain it started or adopted; "" if none
  bool may_run_ = false;  // a domain it started may be running
  bool qemu_dead_ = false;  // the pidfd saw this instance's qemu exit
  bool paused_ = false;
  bool connection_lost_ = false;
  std::shared_ptr<Process> qemu_;
  ProcessMonitor::WatchId watch_id_ = 0;
  virt::Hypervisor::SubscriptionId subscription_ = 0;
  bool subscribed_ = false;
  HealthCheckSlot guest_agent_{context_.loop};  // pings while spec.guestAgentPing
  RunnerState state_;
  RunnerState notified_;
};

template <typename R>
void VmRunner::OnWorker(std::function<R(virt::Hypervisor&)> task,
                        std::function<void(const R&)> done) {
  std::shared_ptr<virt::Hypervisor> hypervisor = options_.hypervisor;
  EventLoop* loop = context_.loop;
  auto guarded = Guard(std::move(done));
  worker_->Run([hypervisor, loop, task = std::move(task), guarded]() mutable {
    R result = task(*hypervisor);
    loop->Post([guarded, result = std::move(result)]() mutable { guarded(result); });
  });
}

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_VM_RUNNER_H_
