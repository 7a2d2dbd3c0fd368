// ExecRunner: stopping (terminate, cleanup), recovery entry points,
// adoption and bookkeeping. Starting and failure detection are in
// exec_runner.cc.
#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/exec_runner.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;

// How often a cleanup looks again for members of the process group that
// outlived its leader (there is no notification for a group emptying).
constexpr Millis kGroupPollInterval{10};
// After SIGKILL, how long the group may take to disappear before the
// component is TerminationFailed.
constexpr Millis kKillGrace{2000};

}  // namespace

void ExecRunner::StartTerminate() {
  StopHealthCheck();
  SetOp(Op::kTerminate);
  state_.presence = PresenceState::kTerminating;
  SetCondition(state_.ready, "Terminating", "");
  if (!spec_.terminate.empty()) {
    RunHelperCommand(spec_.terminate);
  } else {
    (void)process_->SignalGroup(SIGTERM);
  }
  op_timer_ = context_.loop->PostAfter(spec_.terminate_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         if (op_ == Op::kTerminate)
                                           StartCleanup([this] { FinishStopped(); });
                                       }));
  Notify();
}

void ExecRunner::StartCleanup(std::function<void()> then) {
  StopHealthCheck();
  SetOp(Op::kCleanup);
  after_cleanup_ = std::move(then);
  if (!restarting_ && state_.presence != PresenceState::kInstantiating) {
    state_.presence = PresenceState::kTerminating;
  }
  if (!spec_.cleanup.empty()) RunHelperCommand(spec_.cleanup);
  if (process_ != nullptr) (void)process_->SignalGroup(SIGTERM);
  op_timer_ = context_.loop->PostAfter(spec_.cleanup_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         OnCleanupTimeout(/*killed=*/false);
                                       }));
  CheckCleanupDone();
}

void ExecRunner::CheckCleanupDone() {
  if (op_ != Op::kCleanup) return;
  if (process_ != nullptr && !process_->Exited()) return;  // OnExit calls again
  if (process_ != nullptr && process_->GroupAlive()) {
    context_.loop->PostAfter(kGroupPollInterval, Guard([this] { CheckCleanupDone(); }));
    return;
  }
  ReleaseProcess();
  SetOp(Op::kNone);
  auto then = std::move(after_cleanup_);
  after_cleanup_ = nullptr;
  if (then) then();
}

void ExecRunner::OnCleanupTimeout(bool killed) {
  if (op_ != Op::kCleanup) return;
  if (!killed && process_ != nullptr) {
    (void)process_->SignalGroup(SIGKILL);
    op_timer_ = context_.loop->PostAfter(kKillGrace, Guard([this] {
                                           op_timer_ = 0;
                                           OnCleanupTimeout(/*killed=*/true);
                                         }));
    return;
  }
  SetOp(Op::kNone);
  after_cleanup_ = nullptr;
  restarting_ = false;
  state_.failed = true;
  state_.presence = PresenceState::kTerminationFailed;
  RecordFailure("TerminationFailed",
                absl::StrCat("process group ", state_.pid, " survived SIGKILL"));
  SetCondition(false, "TerminationFailed", state_.last_failure.reason);
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

void ExecRunner::FinishStopped() {
  ReleaseProcess();
  SetOp(Op::kNone);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kUninstantiated;
  // A clean stop is healthy; a failure keeps its reason for the user to see.
  if (!state_.failed && (state_.ready || state_.reason == "Terminating")) {
    SetCondition(true, "Stopped", "");
  }
  Reconcile();
  Notify();
}

void ExecRunner::ReleaseProcess() {
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  if (process_ != nullptr) process_->TryReap();
  process_.reset();
  state_.pid = 0;
  state_.start_ticks = 0;
  state_.start_time.clear();
  running_csis_.clear();
}

// Runs a terminate or cleanup command in the component's environment; its
// exit is only reaped (the process it acts on tells the outcome).
void ExecRunner::RunHelperCommand(const std::vector<std::string>& argv) {
  std::map<std::string, std::string> env = BuildEnvironment(who_, spec_.env, running_csis_);
  env["VIGIL_PID"] = std::to_string(state_.pid);
  SpawnOptions options;
  for (const std::string& arg : argv) options.argv.push_back(ExpandVariables(arg, env));
  options.env = std::move(env);
  options.working_dir = spec_.working_dir;
  options.log_path = context_.log_dir + "/" + who_.name + ".log";
  absl::StatusOr<std::unique_ptr<Process>> helper = context_.spawner->Spawn(options);
  if (!helper.ok()) return;
  (void)context_.monitor->Watch(std::shared_ptr<Process>(std::move(*helper)),
                                [](const ExitInfo&) {});
}

void ExecRunner::StopHealthCheck() { health_.Stop(); }

void ExecRunner::Restart() {
  state_.failed = false;
  restarting_ = true;
  ++state_.restart_count;
  switch (op_) {
    case Op::kCleanup:
    case Op::kTerminate:
      state_.presence = PresenceState::kRestarting;  // instantiates when stopped
      break;
    case Op::kRetryDelay:
      context_.loop->Cancel(op_timer_);
      FinishStopped();
      break;
    case Op::kInstantiate:
    case Op::kNone:
      state_.presence = PresenceState::kRestarting;
      if (process_ != nullptr) {
        StartCleanup([this] { FinishStopped(); });
      } else {
        SetOp(Op::kNone);
        FinishStopped();
      }
      break;
  }
  Notify();
}

void ExecRunner::Repair() {
  state_.failed = false;
  if (state_.presence == PresenceState::kInstantiationFailed ||
      state_.presence == PresenceState::kTerminationFailed) {
    state_.presence = PresenceState::kUninstantiated;
  }
  // The Ready condition keeps the failure's reason until the next attempt.
  Reconcile();
  Notify();
}

void ExecRunner::Adopt(const AdoptionRecord& record) {
  absl::StatusOr<std::unique_ptr<Process>> adopted =
      context_.spawner->Adopt(record.pid, record.start_ticks);
  if (!adopted.ok()) {
    state_.failed = true;
    RecordFailure("ProcessExited",
                  absl::StrCat("process ", record.pid, " exited while the agent was away"));
    SetCondition(false, "ProcessExited", state_.last_failure.reason);
    Notify();
    if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
    return;
  }
  process_ = std::move(*adopted);
  running_csis_ = record.csis;
  desired_ = record.csis;  // still wanted until the agent says otherwise
  state_.pid = process_->pid();
  state_.start_ticks = process_->start_ticks();
  state_.start_time = record.start_time;
  state_.presence = PresenceState::kInstantiated;
  SetCondition(true, "Adopted", "");
  WatchProcess();
  if (spec_.health_check.has_value()) StartHealthCheck(/*wait_for_pass=*/false);
  Notify();
}

void ExecRunner::Detach() {
  health_.Stop();
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  op_ = Op::kNone;
  process_.reset();
}

// Not active means the process does not serve the SI: stopped, or running
// (settled) for other SIs only. The latter happens in a 2N unit that the
// controller fails over SI by SI: once the process runs for the first SIs
// promoted, the standbys of the others must stay confirmed, or the
// controller, which promotes only confirmed standbys, would never promote
// them.
bool ExecRunner::Reached(const std::string& si, HaState ha_state) const {
  const bool serves = std::any_of(running_csis_.begin(), running_csis_.end(),
                                  [&](const CsiAssignment& c) { return c.service_instance == si; });
  const bool settled = state_.presence == PresenceState::kInstantiated && op_ == Op::kNone;
  if (ha_state != HaState::kActive) return Stopped() || (settled && !serves);
  return settled && serves;
}

bool ExecRunner::Stopped() const {
  return process_ == nullptr && (op_ == Op::kNone || op_ == Op::kRetryDelay) &&
         state_.presence != PresenceState::kTerminationFailed;
}

void ExecRunner::SetOp(Op op) {
  if (op_timer_ != 0) context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  op_ = op;
}

void ExecRunner::SetCondition(bool ready, const std::string& reason, const std::string& message) {
  state_.ready = ready;
  state_.reason = reason;
  state_.message = message;
}

void ExecRunner::RecordFailure(const std::string& reason, const std::string& message) {
  state_.last_failure = {.reason = reason + ": " + message,
                         .time = FormatTime(context_.wall_now()),
                         .source = who_.name};
}

void ExecRunner::Notify() {
  // The HA state held: Active while the process serves, else what is wanted.
  HaState held = HaState::kNone;
  if (state_.presence == PresenceState::kInstantiated && !running_csis_.empty()) {
    held = HaState::kActive;
  } else if (process_ == nullptr) {
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
