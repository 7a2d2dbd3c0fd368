#include "agent/exec_runner.h"

#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;

// See ExitedAtStart.
constexpr Millis kStartupGrace{1000};

std::string SpawnFailureReason(const absl::Status& status) {
  if (absl::IsNotFound(status)) return "CommandNotFound";
  if (absl::IsFailedPrecondition(status)) return "WorkingDirMissing";
  return "SpawnFailed";
}

}  // namespace

ExecRunner::ExecRunner(RunnerContext context, ComponentIdentity who, api::ExecSpec spec,
                       RunnerCallbacks callbacks)
    : context_(std::move(context)),
      who_(std::move(who)),
      spec_(std::move(spec)),
      callbacks_(std::move(callbacks)) {}

ExecRunner::~ExecRunner() { Detach(); }

std::vector<CsiAssignment> ExecRunner::WantedCsis() const {
  std::vector<CsiAssignment> active;
  if (!enabled_ || state_.failed) return active;
  for (const CsiAssignment& csi : desired_) {
    if (csi.ha_state == HaState::kActive) active.push_back(csi);
  }
  return active;
}

void ExecRunner::SetAssignments(std::vector<CsiAssignment> csis) {
  desired_ = std::move(csis);
  Reconcile();
  Notify();
}

void ExecRunner::SetEnabled(bool enabled) {
  enabled_ = enabled;
  Reconcile();
}

// The graceful stop starts (and goes on when the process is seen gone), but
// the process group is killed now.
void ExecRunner::Fence() {
  SetEnabled(false);
  if (process_ != nullptr) (void)process_->SignalGroup(SIGKILL);
}

void ExecRunner::Reconcile() {
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
      // A different set of active CSIs means a different environment: the
      // process is restarted with the new one.
      if (!want || WantedCsis() != running_csis_) StartTerminate();
      break;
    default:
      break;  // failed states wait for Repair()
  }
  Notify();
}

void ExecRunner::StartInstantiation(int attempt) {
  attempt_ = attempt;
  SetOp(Op::kInstantiate);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kInstantiating;
  running_csis_ = WantedCsis();
  SetCondition(false, "Instantiating",
               absl::StrCat("attempt ", attempt, " of ", spec_.instantiation.attempts));
  std::map<std::string, std::string> env = BuildEnvironment(who_, spec_.env, running_csis_);
  SpawnOptions options;
  for (const std::string& arg : spec_.instantiate)
    options.argv.push_back(ExpandVariables(arg, env));
  options.env = std::move(env);
  options.working_dir = spec_.working_dir;
  options.log_path = context_.log_dir + "/" + who_.name + ".log";
  absl::StatusOr<std::unique_ptr<Process>> spawned = context_.spawner->Spawn(options);
  if (!spawned.ok()) {
    AttemptFailed(SpawnFailureReason(spawned.status()), std::string(spawned.status().message()));
    return;
  }
  process_ = std::move(*spawned);
  state_.pid = process_->pid();
  state_.start_ticks = process_->start_ticks();
  state_.start_time = FormatTime(context_.wall_now());
  WatchProcess();
  op_timer_ = context_.loop->PostAfter(
      spec_.instantiate_timeout, Guard([this] {
        op_timer_ = 0;
        AttemptFailed("InstantiateTimeout",
                      absl::StrCat("not ready within ", spec_.instantiate_timeout.count(), "ms"));
      }));
  if (spec_.health_check.has_value()) {
    StartHealthCheck(/*wait_for_pass=*/true);
  } else {
    OnReady();
  }
  Notify();
}

void ExecRunner::WatchProcess() {
  const Process* process = process_.get();
  EventLoop* loop = context_.loop;
  auto on_exit = Guard([this, process](const ExitInfo& exit) { OnExit(process, exit); });
  absl::StatusOr<ProcessMonitor::WatchId> id =
      context_.monitor->Watch(process_, [loop, on_exit](const ExitInfo& exit) mutable {
        loop->Post([on_exit, exit]() mutable { on_exit(exit); });
      });
  watch_id_ = id.ok() ? *id : 0;
}

void ExecRunner::StartHealthCheck(bool wait_for_pass) {
  const api::ExecHealthCheck& check = *spec_.health_check;
  HealthCheckSettings settings{.period = check.period,
                               .timeout = check.timeout,
                               .failure_threshold = static_cast<int>(check.failure_threshold)};
  health_.Start(MakeProbe(check, BuildEnvironment(who_, spec_.env, running_csis_)), settings,
                wait_for_pass, Guard([this] { OnReady(); }),
                Guard([this](const std::string& why) { OnUnhealthy(why); }));
}

void ExecRunner::OnReady() {
  if (op_ != Op::kInstantiate) return;
  SetOp(Op::kNone);
  state_.presence = PresenceState::kInstantiated;
  ready_at_ = EventLoop::Clock::now();
  restarting_ = false;
  SetCondition(true, "Instantiated", "");
  Reconcile();  // what is wanted may have changed meanwhile
  Notify();
}

void ExecRunner::AttemptFailed(const std::string& reason, const std::string& message) {
  StopHealthCheck();
  SetCondition(
      false, reason,
      absl::StrCat(message, " (attempt ", attempt_, " of ", spec_.instantiation.attempts, ")"));
  if (process_ != nullptr) {
    StartCleanup([this] { AfterAttemptFailed(); });
  } else {
    SetOp(Op::kNone);
    AfterAttemptFailed();
  }
  Notify();
}

void ExecRunner::AfterAttemptFailed() {
  if (!WantRunning()) {
    FinishStopped();
    return;
  }
  if (attempt_ < spec_.instantiation.attempts) {
    SetOp(Op::kRetryDelay);
    const int next = attempt_ + 1;
    op_timer_ = context_.loop->PostAfter(spec_.instantiation.delay, Guard([this, next] {
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
  RecordFailure("InstantiationFailed", state_.reason + ": " + state_.message);
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

void ExecRunner::OnExit(const Process* process, const ExitInfo& exit) {
  if (process != process_.get()) return;
  watch_id_ = 0;
  switch (op_) {
    case Op::kInstantiate:
      AttemptFailed("ExitedAtStart", "process " + exit.Describe() + " during instantiation");
      return;
    case Op::kTerminate:
      // The leader is gone; whatever it left in its group is cleaned up.
      StartCleanup([this] { FinishStopped(); });
      return;
    case Op::kCleanup:
      CheckCleanupDone();
      return;
    case Op::kNone:
    case Op::kRetryDelay:
      if (ExitedAtStart(exit)) {
        state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kInstantiating;
        AttemptFailed("ExitedAtStart", "process " + exit.Describe() + " right after start");
        return;
      }
      Fail("ProcessExited", "process " + exit.Describe());
      return;
  }
}

// Without a health check a component counts as instantiated once started;
// one that exits on its own right after that failed to start (bad
// arguments, port taken) rather than failed in service. A SIGKILL is someone
// else's doing and counts as a failure.
bool ExecRunner::ExitedAtStart(const ExitInfo& exit) const {
  if (spec_.health_check.has_value() || !exit.known || exit.signal == SIGKILL) return false;
  const Millis grace = std::min(kStartupGrace, spec_.instantiate_timeout);
  return EventLoop::Clock::now() - ready_at_ < grace;
}

void ExecRunner::OnUnhealthy(const std::string& why) {
  if (op_ != Op::kNone) return;
  Fail("Unhealthy", why);
}

void ExecRunner::Fail(const std::string& reason, const std::string& message) {
  StopHealthCheck();
  state_.failed = true;
  RecordFailure(reason, message);
  SetCondition(false, reason, message);
  StartCleanup([this] { FinishStopped(); });
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

}  // namespace vigil::agent
