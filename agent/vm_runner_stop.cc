// VmRunner: stopping (graceful shutdown, destroy), recovery entry points and
// bookkeeping. Starting is in vm_runner.cc, detection in vm_runner_watch.cc.
#include <algorithm>
#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "agent/vm_runner.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;

// How soon a destroy that failed (e.g. libvirtd away) is tried again.
constexpr Millis kDestroyRetry{250};
// spec.migrationTimeout when unset (the schema's default).
constexpr Millis kDefaultMigrationTimeout{60000};

}  // namespace

std::string VmRunner::TargetName() const { return domain_.empty() ? DomainNameOf(spec_) : domain_; }

void VmRunner::StartTerminate() {
  if (std::optional<api::Successor> to = MigrationTargetOf(); to.has_value()) {
    StartMigration(*to);
    return;
  }
  StartShutdown("shutting down domain " + TargetName());
}

void VmRunner::StartShutdown(const std::string& message) {
  SetOp(Op::kTerminate);
  state_.presence = PresenceState::kTerminating;
  SetCondition(state_.ready, "Terminating", message);
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

// A live migration only where the domain runs, the spec allows it, and the
// unit taking over (named on a Quiesced assignment) is on a node that takes
// live migrations.
std::optional<api::Successor> VmRunner::MigrationTargetOf() const {
  if (!spec_.allow_migration || domain_.empty() || !enabled_ || state_.failed) return std::nullopt;
  for (const CsiAssignment& csi : desired_) {
    if (csi.ha_state == HaState::kQuiesced && csi.successor.live_migration.Accepts()) {
      return csi.successor;
    }
  }
  return std::nullopt;
}

void VmRunner::StartMigration(const api::Successor& to) {
  SetOp(Op::kTerminate);
  state_.presence = PresenceState::kTerminating;
  const std::string name = TargetName();
  SetCondition(state_.ready, "Migrating",
               absl::StrCat("live-migrating domain ", name, " to node ", to.node, " (",
                            to.live_migration.hypervisor, ")"));
  const uint64_t serial = ++op_serial_;
  virt::MigrationTarget target{.hypervisor = to.live_migration.hypervisor,
                               .address = to.live_migration.address,
                               .timeout = spec_.migration_timeout};
  if (target.timeout <= Millis(0)) target.timeout = kDefaultMigrationTimeout;
  VmWorker* worker = worker_.get();
  std::shared_ptr<std::atomic<bool>> abort = migration_abort_;
  abort->store(false);
  const auto started = std::chrono::steady_clock::now();
  OnWorker<absl::StatusOr<virt::MigrationStats>>(
      [name, target, worker, abort](virt::Hypervisor& hypervisor) {
        return hypervisor.MigrateDomain(name, target,
                                        [worker, abort] { return worker->stopping() || *abort; });
      },
      [this, serial, to, started](const absl::StatusOr<virt::MigrationStats>& result) {
        const auto took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() -
                                                             started);
        OnMigrated(serial, to, result, took);
      });
  Notify();
}

// Migrated: the domain runs on the successor's node now and no longer here.
// Not migrated: it still runs here and is stopped as it would have been
// without migration (destroyed when fenced meanwhile).
void VmRunner::OnMigrated(uint64_t serial, const api::Successor& to,
                          const absl::StatusOr<virt::MigrationStats>& result, Millis took) {
  if (serial != op_serial_) return;
  const std::string name = TargetName();
  if (result.ok()) {
    stop_note_ = absl::StrCat("domain ", name, " live-migrated to node ", to.node, " in ",
                              took.count(), " ms");
    if (result->downtime >= Millis(0)) {
      absl::StrAppend(&stop_note_, " (guest paused ", result->downtime.count(), " ms)");
    }
    FinishStopped("Migrated");
    return;
  }
  const absl::Status& status = result.status();
  SetOp(Op::kNone);
  const std::string why =
      absl::StrCat("live migration to node ", to.node, " failed after ", took.count(),
                   " ms (", status.message(), ")");
  stop_note_ = why + "; shut down here instead";
  if (!enabled_) {
    StartCleanup([this] { FinishStopped(); });
    return;
  }
  StartShutdown(why + "; shutting down domain " + name);
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

void VmRunner::FinishStopped(const std::string& reason) {
  ReleaseDomain();
  SetOp(Op::kNone);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kUninstantiated;
  // A clean stop is healthy; a failure keeps its reason for the user to see.
  if (!state_.failed && (state_.ready || state_.reason == "Terminating" ||
                         state_.reason == "Migrating")) {
    SetCondition(true, reason, stop_note_);
  }
  stop_note_.clear();
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
