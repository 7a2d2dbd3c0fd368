// VmRunner: stopping (graceful shutdown, destroy), recovery entry points and
// bookkeeping. Starting is in vm_runner.cc, detection in vm_runner_watch.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/vm_runner.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;

// How soon a destroy that failed (e.g. libvirtd away) is tried again.
constexpr Millis kDestroyRetry{250};

}  // namespace

std::string VmRunner::TargetName() const { return domain_.empty() ? DomainNameOf(spec_) : domain_; }

void VmRunner::StartTerminate() {
  SetOp(Op::kTerminate);
  state_.presence = PresenceState::kTerminating;
  SetCondition(state_.ready, "Terminating", "shutting down domain " + TargetName());
  const uint64_t serial = ++op_serial_;
  const std::string name = TargetName();
  const Millis timeout = spec_.shutdown_timeout;
  VmWorker* worker = worker_.get();
  OnWorker<absl::Status>(
      [name, timeout, worker](virt::Hypervisor& hypervisor) {
        return StopDomainBlocking(hypervisor, name, timeout,
                                  [worker] { return worker->stopping(); });
      },
      [this, serial](const absl::Status& status) { OnStopped(serial, status, true); });
  Notify();
}

void VmRunner::StartCleanup(std::function<void()> then) {
  SetOp(Op::kCleanup);
  after_cleanup_ = std::move(then);
  if (!restarting_ && state_.presence != PresenceState::kInstantiating) {
    state_.presence = PresenceState::kTerminating;
  }
  cleanup_deadline_ = EventLoop::Clock::now() + options_.cleanup_timeout;
  const uint64_t serial = ++op_serial_;
  const std::string name = TargetName();
  if (options_.hypervisor == nullptr || name.empty()) {
    OnStopped(serial, absl::OkStatus(), false);
    return;
  }
  OnWorker<absl::Status>(
      [name](virt::Hypervisor& hypervisor) { return DestroyDomainBlocking(hypervisor, name); },
      [this, serial](const absl::Status& status) { OnStopped(serial, status, false); });
}

void VmRunner::OnStopped(uint64_t serial, const absl::Status& status, bool graceful) {
  if (serial != op_serial_) return;
  // A dead qemu is stopped whatever libvirt (maybe away) says.
  if (!status.ok() && !(qemu_ != nullptr && qemu_->Exited())) {
    if (graceful) {
      StartCleanup([this] { FinishStopped(); });
    } else {
      OnCleanupFailed(status);
    }
    return;
  }
  ReleaseDomain();
  SetOp(Op::kNone);
  if (graceful) {
    FinishStopped();
    return;
  }
  auto then = std::move(after_cleanup_);
  after_cleanup_ = nullptr;
  if (then) then();
}

void VmRunner::OnCleanupFailed(const absl::Status& status) {
  if (EventLoop::Clock::now() < cleanup_deadline_) {
    const uint64_t serial = op_serial_;
    const std::string name = TargetName();
    op_timer_ = context_.loop->PostAfter(
        kDestroyRetry, Guard([this, serial, name] {
          op_timer_ = 0;
          if (serial != op_serial_) return;
          OnWorker<absl::Status>(
              [name](virt::Hypervisor& hypervisor) {
                return DestroyDomainBlocking(hypervisor, name);
              },
              [this, serial](const absl::Status& again) { OnStopped(serial, again, false); });
        }));
    return;
  }
  SetOp(Op::kNone);
  after_cleanup_ = nullptr;
  restarting_ = false;
  state_.failed = true;
  state_.presence = PresenceState::kTerminationFailed;
  RecordFailure("TerminationFailed",
                absl::StrCat("cannot destroy domain ", TargetName(), ": ", status.message()),
                "libvirt");
  SetCondition(false, "TerminationFailed", state_.last_failure.reason);
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

void VmRunner::FinishStopped() {
  ReleaseDomain();
  SetOp(Op::kNone);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kUninstantiated;
  // A clean stop is healthy; a failure keeps its reason for the user to see.
  if (!state_.failed && (state_.ready || state_.reason == "Terminating")) {
    SetCondition(true, "Stopped", "");
  }
  Reconcile();
  Notify();
}

void VmRunner::ReleaseDomain() {
  guest_agent_.Stop();
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  qemu_.reset();
  context_.loop->Cancel(paused_timer_);
  paused_timer_ = 0;
  paused_ = false;
  may_run_ = false;
  domain_.clear();
  ++instance_serial_;
  state_.pid = 0;
  state_.start_ticks = 0;
  state_.start_time.clear();
  state_.domain.id = -1;
  state_.domain.qemu_pid = 0;
  if (!state_.domain.name.empty()) state_.domain.state = "shutoff";
  running_csis_.clear();
}

void VmRunner::Restart() {
  state_.failed = false;
  restarting_ = true;
  ++state_.restart_count;
  switch (op_) {
    case Op::kCleanup:
    case Op::kTerminate:
      state_.presence = PresenceState::kRestarting;  // instantiates when stopped
      break;
    case Op::kRetryDelay:
      FinishStopped();
      break;
    case Op::kInstantiate:
    case Op::kNone:
      state_.presence = PresenceState::kRestarting;
      if (may_run_) {
        StartCleanup([this] { FinishStopped(); });
      } else {
        SetOp(Op::kNone);
        FinishStopped();
      }
      break;
  }
  Notify();
}

void VmRunner::Repair() {
  state_.failed = false;
  if (state_.presence == PresenceState::kInstantiationFailed ||
      state_.presence == PresenceState::kTerminationFailed) {
    state_.presence = PresenceState::kUninstantiated;
  }
  // The Ready condition keeps the failure's reason until the next attempt.
  Reconcile();
  Notify();
}

void VmRunner::Detach() {
  if (subscribed_) options_.hypervisor->Unsubscribe(subscription_);
  subscribed_ = false;
  worker_->Stop();  // joins a call in flight (bounded by libvirt's keepalive)
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  context_.loop->Cancel(paused_timer_);
  paused_timer_ = 0;
  guest_agent_.Stop();
  op_ = Op::kNone;
  qemu_.reset();
}

bool VmRunner::Reached(const std::string& si, HaState ha_state) const {
  if (ha_state != HaState::kActive) return Stopped();
  if (state_.presence != PresenceState::kInstantiated || op_ != Op::kNone) return false;
  return std::any_of(running_csis_.begin(), running_csis_.end(),
                     [&](const CsiAssignment& c) { return c.service_instance == si; });
}

bool VmRunner::Fenced() const { return Stopped() || qemu_dead_; }

bool VmRunner::Stopped() const {
  return !may_run_ && (op_ == Op::kNone || op_ == Op::kRetryDelay) &&
         state_.presence != PresenceState::kTerminationFailed;
}

void VmRunner::SetOp(Op op) {
  if (op_timer_ != 0) context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  op_ = op;
}

void VmRunner::SetCondition(bool ready, const std::string& reason, const std::string& message) {
  state_.ready = ready;
  state_.reason = reason;
  state_.message = message;
}

void VmRunner::RecordFailure(const std::string& reason, const std::string& message,
                             const std::string& source) {
  state_.last_failure = {
      .reason = reason + ": " + message, .time = FormatTime(context_.wall_now()), .source = source};
}

void VmRunner::Notify() {
  // The HA state held: Active while the domain serves, else what is wanted.
  HaState held = HaState::kNone;
  if (state_.presence == PresenceState::kInstantiated && !running_csis_.empty()) {
    held = HaState::kActive;
  } else if (!may_run_) {
    for (const CsiAssignment& csi : desired_) {
      if (csi.ha_state != HaState::kActive) {
        held = csi.ha_state;
        break;
      }
    }
  }
  state_.ha_state = held;
  if (state_ == notified_) return;
  notified_ = state_;
  if (callbacks_.on_change) callbacks_.on_change();
}

}  // namespace vigil::agent
