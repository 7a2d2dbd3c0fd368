// VmRunner: wanted state and instantiation. Failure detection and adoption
// are in vm_runner_watch.cc, stopping and bookkeeping in vm_runner_stop.cc.
#include "agent/vm_runner.h"

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;

}  // namespace

VmRunner::VmRunner(RunnerContext context, ComponentIdentity who, api::VirtualMachineSpec spec,
                   VmRunnerOptions options, RunnerCallbacks callbacks)
    : context_(std::move(context)),
      who_(std::move(who)),
      spec_(std::move(spec)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)) {
  state_.domain.name = DomainNameOf(spec_);
  Subscribe();
}

VmRunner::~VmRunner() { Detach(); }

std::vector<CsiAssignment> VmRunner::WantedCsis() const {
  std::vector<CsiAssignment> active;
  if (!enabled_ || state_.failed) return active;
  for (const CsiAssignment& csi : desired_) {
    if (csi.ha_state == HaState::kActive) active.push_back(csi);
  }
  return active;
}

void VmRunner::SetAssignments(std::vector<CsiAssignment> csis) {
  desired_ = std::move(csis);
  Reconcile();
  Notify();
}

void VmRunner::SetEnabled(bool enabled) {
  enabled_ = enabled;
  Reconcile();
}

// A running domain is destroyed rather than shut down; an operation in
// progress (an instantiation, a shutdown) finishes first and then stops it.
void VmRunner::Fence() {
  enabled_ = false;
  migration_abort_->store(true);  // a live migration in progress stops
  if (op_ == Op::kNone && state_.presence == PresenceState::kInstantiated) {
    StartCleanup([this] { FinishStopped(); });
    Notify();
    return;
  }
  Reconcile();
}

void VmRunner::Reconcile() {
  if (op_ != Op::kNone) return;  // the operation in progress reconciles when done
  const bool want = WantRunning();
  switch (state_.presence) {
    case PresenceState::kUninstantiated:
    case PresenceState::kRestarting:
      if (want) {
        StartInstantiation(1);
      } else if (restarting_) {
        restarting_ = false;
        state_.presence = PresenceState::kUninstantiated;
      }
      break;
    case PresenceState::kInstantiated:
      // Unlike a process, a VM does not see its CSIs: a different set of
      // active CSIs does not restart it.
      if (!want) {
        StartTerminate();
      } else {
        running_csis_ = WantedCsis();
      }
      break;
    default:
      break;  // failed states wait for Repair()
  }
  Notify();
}

void VmRunner::StartInstantiation(int attempt) {
  attempt_ = attempt;
  SetOp(Op::kInstantiate);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kInstantiating;
  running_csis_ = WantedCsis();
  SetCondition(false, "Instantiating",
               absl::StrCat("attempt ", attempt, " of ", options_.instantiation.attempts));
  if (options_.hypervisor == nullptr) {
    AttemptFailed("HypervisorUnavailable", options_.hypervisor_error);
    return;
  }
  Subscribe();
  may_run_ = true;
  qemu_dead_ = false;
  const uint64_t serial = ++op_serial_;
  const api::VirtualMachineSpec spec = spec_;
  OnWorker<DomainStart>(
      [spec](virt::Hypervisor& hypervisor) { return StartDomainBlocking(hypervisor, spec); },
      [this, serial](const DomainStart& result) { OnStarted(serial, result); });
  op_timer_ = context_.loop->PostAfter(spec_.start_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         OnStartTimeout();
                                       }));
  Notify();
}

void VmRunner::OnStartTimeout() {
  const std::string within = absl::StrCat(" within ", spec_.start_timeout.count(), "ms");
  if (guest_agent_.active()) {
    AttemptFailed("GuestAgentUnresponsive",
                  "domain " + domain_ + " is running but its guest agent did not answer" + within);
    return;
  }
  AttemptFailed("StartTimeout", "not running" + within);
}

void VmRunner::OnStarted(uint64_t serial, const DomainStart& result) {
  if (serial != op_serial_ || op_ != Op::kInstantiate) return;  // timed out meanwhile
  if (!result.status.ok()) {
    may_run_ = result.start_attempted;
    if (!result.name.empty()) state_.domain.name = result.name;
    AttemptFailed(result.reason, std::string(result.status.message()));
    return;
  }
  OnRunning(result);
}

void VmRunner::OnRunning(const DomainStart& result) {
  domain_ = result.name;
  ++instance_serial_;
  paused_ = false;
  state_.domain = {
      .id = result.id, .name = result.name, .qemu_pid = result.qemu_pid, .state = result.state};
  state_.start_time = FormatTime(context_.wall_now());
  if (result.qemu_pid != 0 && !WatchQemu(result.qemu_pid, result.start_ticks)) {
    AttemptFailed("QemuExited",
                  absl::StrCat("qemu process ", result.qemu_pid, " is gone right after start"));
    return;
  }
  if (spec_.guest_agent_ping.has_value()) {
    SetCondition(false, "AwaitingGuestAgent",
                 "domain " + domain_ + " is running; waiting for its guest agent to answer");
    StartGuestAgentPings(/*wait_for_answer=*/true);
    Notify();
    return;
  }
  OnReady();
}

void VmRunner::OnReady() {
  if (op_ != Op::kInstantiate) return;  // a late first answer of a stopped attempt
  SetOp(Op::kNone);
  state_.presence = PresenceState::kInstantiated;
  restarting_ = false;
  SetCondition(true, "Running", "domain " + domain_ + " is running");
  Reconcile();  // what is wanted may have changed meanwhile
  Notify();
}

void VmRunner::AttemptFailed(const std::string& reason, const std::string& message) {
  guest_agent_.Stop();
  SetCondition(
      false, reason,
      absl::StrCat(message, " (attempt ", attempt_, " of ", options_.instantiation.attempts, ")"));
  if (may_run_) {
    StartCleanup([this] { AfterAttemptFailed(); });
  } else {
    SetOp(Op::kNone);
    AfterAttemptFailed();
  }
  Notify();
}

void VmRunner::AfterAttemptFailed() {
  if (!WantRunning()) {
    FinishStopped();
    return;
  }
  if (attempt_ < options_.instantiation.attempts) {
    SetOp(Op::kRetryDelay);
    const int next = attempt_ + 1;
    op_timer_ = context_.loop->PostAfter(options_.instantiation.delay, Guard([this, next] {
                                           op_timer_ = 0;
                                           SetOp(Op::kNone);
                                           if (WantRunning()) {
                                             StartInstantiation(next);
                                           } else {
                                             FinishStopped();
                                           }
                                         }));
    Notify();
    return;
  }
  restarting_ = false;
  state_.presence = PresenceState::kInstantiationFailed;
  RecordFailure("InstantiationFailed", state_.reason + ": " + state_.message, "libvirt");
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

}  // namespace vigil::agent
