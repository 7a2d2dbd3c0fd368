// VmRunner: failure detection (pidfd on qemu, libvirt lifecycle events,
// pauses, lost connections) and adoption.
#include "absl/strings/str_cat.h"
#include "agent/vm_runner.h"

namespace vigil::agent {
namespace {

using api::PresenceState;
using virt::DomainState;
using virt::LifecycleEventKind;

// The failure reason a stopping event stands for.
std::string StopReason(LifecycleEventKind why) {
  switch (why) {
    case LifecycleEventKind::kStoppedFailed:
      return "DomainFailed";
    case LifecycleEventKind::kCrashed:
      return "DomainCrashed";
    case LifecycleEventKind::kShutdown:
      return "DomainShutdown";
    case LifecycleEventKind::kDestroyed:
      return "DomainDestroyed";
    default:
      return "DomainStopped";
  }
}

}  // namespace

void VmRunner::Subscribe() {
  if (subscribed_ || options_.hypervisor == nullptr) return;
  EventLoop* loop = context_.loop;
  auto handle = Guard([this](const virt::LifecycleEvent& event) { OnLifecycle(event); });
  subscription_ =
      options_.hypervisor->Subscribe([loop, handle](const virt::LifecycleEvent& event) mutable {
        loop->Post([handle, event]() mutable { handle(event); });
      });
  subscribed_ = true;
}

// The first detector: qemu is held by a pidfd, so its death is seen at
// once, without waiting for libvirt (which learns of it only once the
// zombie is reaped and the domain torn down).
bool VmRunner::WatchQemu(pid_t pid, uint64_t start_ticks) {
  absl::StatusOr<std::unique_ptr<Process>> adopted = context_.spawner->Adopt(pid, start_ticks);
  if (!adopted.ok()) return false;
  qemu_ = std::move(*adopted);
  state_.pid = pid;
  state_.start_ticks = qemu_->start_ticks();
  const Process* process = qemu_.get();
  EventLoop* loop = context_.loop;
  auto on_exit = Guard([this, process](const ExitInfo& exit) { OnQemuExit(process, exit); });
  absl::StatusOr<ProcessMonitor::WatchId> id =
      context_.monitor->Watch(qemu_, [loop, on_exit](const ExitInfo& exit) mutable {
        loop->Post([on_exit, exit]() mutable { on_exit(exit); });
      });
  watch_id_ = id.ok() ? *id : 0;
  return true;
}

void VmRunner::OnQemuExit(const Process* process, const ExitInfo& exit) {
  if (process != qemu_.get()) return;
  watch_id_ = 0;
  // Stopping: the worker's destroy reports the outcome.
  if (op_ != Op::kNone || state_.presence != PresenceState::kInstantiated) return;
  const std::string how = exit.known ? exit.Describe() : "exited";
  qemu_dead_ = true;
  Fail("QemuExited", absl::StrCat("qemu process ", state_.pid, " of domain ", domain_, " ", how),
       "pidfd");
}

void VmRunner::OnLifecycle(const virt::LifecycleEvent& event) {
  switch (event.kind) {
    case LifecycleEventKind::kConnectionLost:
      // Not a failure: libvirtd may be restarting. The pidfd still watches.
      connection_lost_ = true;
      return;
    case LifecycleEventKind::kConnectionRestored:
      connection_lost_ = false;
      Verify(event.kind);
      return;
    case LifecycleEventKind::kStarted:
    case LifecycleEventKind::kOther:
      return;
    default:
      break;
  }
  if (event.domain.empty() || event.domain != domain_) return;
  Verify(event.kind);
}

// Reads the domain's state again before acting on an event: an event about
// an earlier instance (e.g. the destroy of a restart) arriving late must not
// fail the current one.
void VmRunner::Verify(LifecycleEventKind why) {
  if (op_ != Op::kNone || state_.presence != PresenceState::kInstantiated || domain_.empty() ||
      options_.hypervisor == nullptr) {
    return;
  }
  const uint64_t instance = instance_serial_;
  const std::string name = domain_;
  OnWorker<DomainCheck>(
      [name](virt::Hypervisor& hypervisor) { return CheckDomainBlocking(hypervisor, name); },
      [this, instance, why](const DomainCheck& check) { OnVerified(instance, why, check); });
}

void VmRunner::OnVerified(uint64_t instance, LifecycleEventKind why, const DomainCheck& check) {
  if (instance != instance_serial_ || op_ != Op::kNone ||
      state_.presence != PresenceState::kInstantiated) {
    return;
  }
  if (absl::IsUnavailable(check.status)) return;  // told again when reconnected
  if (!check.status.ok()) {
    Fail("DomainGone", std::string(check.status.message()), "libvirt");
    return;
  }
  state_.domain.state = DomainStateText(check.state.state);
  if (state_.domain.id < 0) state_.domain.id = check.id;  // adopted: learnt now
  const bool replaced = (check.id >= 0 && check.id != state_.domain.id) ||
                        (check.qemu_pid != 0 && state_.pid != 0 && check.qemu_pid != state_.pid);
  if (IsRunning(check.state.state) && !replaced) {
    OnResumed();
  } else if (check.state.state == DomainState::kPaused && !replaced) {
    if (check.state.reason == "ioerror" || why == LifecycleEventKind::kPausedIoError) {
      Fail("DomainPausedIoError", "domain " + domain_ + " paused on an I/O error", "libvirt");
    } else {
      OnPaused(check.state.reason);
    }
  } else if (replaced) {
    Fail("DomainReplaced", "domain " + domain_ + " was restarted outside Vigil", "libvirt");
  } else {
    Fail(StopReason(why),
         absl::StrCat("domain ", domain_, " is ", state_.domain.state,
                      check.state.reason.empty() ? "" : " (" + check.state.reason + ")"),
         "libvirt");
  }
  Notify();
}

// A pause (e.g. `virsh suspend`, or libvirt during a snapshot) is usually
// deliberate and short: the guest serves nothing meanwhile, so the component
// is not Ready, but it is failed over only if the pause outlasts
// options.paused_grace.
void VmRunner::OnPaused(const std::string& libvirt_reason) {
  if (paused_) return;
  paused_ = true;
  guest_agent_.Stop();  // a paused guest cannot answer; resumed on OnResumed
  SetCondition(false, "DomainPaused",
               absl::StrCat("domain ", domain_, " is paused",
                            libvirt_reason.empty() ? "" : " (" + libvirt_reason + ")"));
  const uint64_t instance = instance_serial_;
  paused_timer_ =
      context_.loop->PostAfter(options_.paused_grace, Guard([this, instance] {
                                 paused_timer_ = 0;
                                 if (!paused_ || instance != instance_serial_ || op_ != Op::kNone)
                                   return;
                                 Fail("DomainPaused",
                                      absl::StrCat("domain ", domain_, " paused for more than ",
                                                   options_.paused_grace.count(), "ms"),
                                      "libvirt");
                               }));
}

void VmRunner::OnResumed() {
  if (!paused_) return;
  paused_ = false;
  context_.loop->Cancel(paused_timer_);
  paused_timer_ = 0;
  SetCondition(true, "Running", "domain " + domain_ + " is running");
  if (spec_.guest_agent_ping.has_value()) StartGuestAgentPings(/*wait_for_answer=*/false);
}

// `wait_for_answer`: the guest is booting; the first answer makes the
// component instantiated (OnReady), and misses count only after it.
void VmRunner::StartGuestAgentPings(bool wait_for_answer) {
  guest_agent_.Start(MakeGuestAgentProbe(options_.hypervisor, domain_),
                     GuestAgentPingSettings(*spec_.guest_agent_ping), wait_for_answer,
                     Guard([this] { OnReady(); }),
                     Guard([this](const std::string& why) { OnGuestAgentUnresponsive(why); }));
}

void VmRunner::OnGuestAgentUnresponsive(const std::string& why) {
  if (op_ != Op::kNone || state_.presence != PresenceState::kInstantiated || paused_) return;
  Fail("GuestAgentUnresponsive", "guest agent of domain " + domain_ + ": " + why, "guest-agent");
}

void VmRunner::Fail(const std::string& reason, const std::string& message,
                    const std::string& source) {
  state_.failed = true;
  paused_ = false;
  guest_agent_.Stop();
  RecordFailure(reason, message, source);
  SetCondition(false, reason, message);
  StartCleanup([this] { FinishStopped(); });
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

void VmRunner::Adopt(const AdoptionRecord& record) {
  domain_ = DomainNameOf(spec_);
  may_run_ = !domain_.empty();
  running_csis_ = record.csis;
  desired_ = record.csis;  // still wanted until the agent says otherwise
  state_.presence = PresenceState::kInstantiated;
  state_.start_time = record.start_time;
  state_.domain = {.id = -1, .name = domain_, .qemu_pid = record.pid, .state = "running"};
  ++instance_serial_;
  if (record.pid != 0 && !WatchQemu(record.pid, record.start_ticks)) {
    state_.domain.qemu_pid = 0;
    Fail("QemuExited",
         absl::StrCat("qemu process ", record.pid, " of domain ", domain_,
                      " exited while the agent was away"),
         "pidfd");
    return;
  }
  SetCondition(true, "Adopted", "domain " + domain_ + " is running");
  if (spec_.guest_agent_ping.has_value()) StartGuestAgentPings(/*wait_for_answer=*/false);
  Verify(LifecycleEventKind::kOther);  // its id, and whether it still runs
  Notify();
}

}  // namespace vigil::agent
