// SaAwareRunner: instantiation, failures and stopping of the process.
// Sessions, CSIs and health checks are in sa_aware_runner_session.cc.
#include "agent/sa_aware_runner.h"

#include <signal.h>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

using api::PresenceState;

constexpr Millis kGroupPollInterval{10};
constexpr Millis kKillGrace{2000};

std::string SpawnFailureReason(const absl::Status& status) {
  if (absl::IsNotFound(status)) return "CommandNotFound";
  if (absl::IsFailedPrecondition(status)) return "WorkingDirMissing";
  return "SpawnFailed";
}

}  // namespace

SaAwareRunner::SaAwareRunner(RunnerContext context, ComponentIdentity who, api::SaAwareSpec spec,
                             RunnerCallbacks callbacks)
    : context_(std::move(context)),
      who_(std::move(who)),
      spec_(std::move(spec)),
      callbacks_(std::move(callbacks)) {}

SaAwareRunner::~SaAwareRunner() { Detach(); }

void SaAwareRunner::UpdateSpec(const api::ComponentSpec& spec) {
  if (spec.sa_aware.has_value()) spec_ = *spec.sa_aware;
}

void SaAwareRunner::SetAssignments(std::vector<CsiAssignment> csis) {
  desired_ = std::move(csis);
  Reconcile();
}

void SaAwareRunner::SetEnabled(bool enabled) {
  enabled_ = enabled;
  Reconcile();
}

// As ExecRunner::Fence: the terminate starts, the process group dies now.
void SaAwareRunner::Fence() {
  SetEnabled(false);
  if (process_ != nullptr) (void)process_->SignalGroup(SIGKILL);
}

void SaAwareRunner::Reconcile() {
  if (op_ == Op::kNone) {
    switch (state_.presence) {
      case PresenceState::kUninstantiated:
      case PresenceState::kRestarting:
        if (WantRunning()) {
          StartInstantiation(1);
        } else if (restarting_) {
          restarting_ = false;
          state_.presence = PresenceState::kUninstantiated;
        }
        break;
      case PresenceState::kInstantiated:
        if (!WantRunning()) {
          StartTerminate();
        } else {
          SyncCsis();
        }
        break;
      default:
        break;  // failed states wait for Repair()
    }
  }
  Notify();
}

void SaAwareRunner::StartInstantiation(int attempt) {
  attempt_ = attempt;
  SetOp(Op::kInstantiate);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kInstantiating;
  SetCondition(false, "Instantiating",
               absl::StrCat("waiting for registration (attempt ", attempt, " of ",
                            spec_.instantiation.attempts, ")"));
  std::map<std::string, std::string> env = BuildEnvironment(who_, spec_.env, {});
  env["VIGIL_AGENT_SOCKET"] = context_.socket_path;
  state_.token = RandomToken();
  env["VIGIL_REGISTRATION_TOKEN"] = state_.token;
  SpawnOptions options;
  for (const std::string& arg : spec_.command) options.argv.push_back(ExpandVariables(arg, env));
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
        AttemptFailed("RegistrationTimeout", absl::StrCat("did not register within ",
                                                          spec_.instantiate_timeout.count(), "ms"));
      }));
  Notify();
}

void SaAwareRunner::WatchProcess() {
  const Process* process = process_.get();
  EventLoop* loop = context_.loop;
  auto on_exit = Guard([this, process](const ExitInfo& exit) { OnExit(process, exit); });
  absl::StatusOr<ProcessMonitor::WatchId> id =
      context_.monitor->Watch(process_, [loop, on_exit](const ExitInfo& exit) mutable {
        loop->Post([on_exit, exit]() mutable { on_exit(exit); });
      });
  watch_id_ = id.ok() ? *id : 0;
}

void SaAwareRunner::AttemptFailed(const std::string& reason, const std::string& message) {
  EndSession();
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

void SaAwareRunner::AfterAttemptFailed() {
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

void SaAwareRunner::OnExit(const Process* process, const ExitInfo& exit) {
  if (process != process_.get()) return;
  watch_id_ = 0;
  switch (op_) {
    case Op::kInstantiate:
      AttemptFailed("ExitedAtStart", "process " + exit.Describe() + " before registering");
      return;
    case Op::kTerminate:
      StartCleanup([this] { FinishStopped(); });
      return;
    case Op::kCleanup:
      CheckCleanupDone();
      return;
    case Op::kNone:
    case Op::kRetryDelay:
      Fail("ProcessExited", "process " + exit.Describe());
      return;
  }
}

void SaAwareRunner::Fail(const std::string& reason, const std::string& message,
                         std::optional<api::RecoveryAction> recovery) {
  if (state_.failed || op_ == Op::kCleanup) return;  // one failure at a time
  EndSession();
  state_.failed = true;
  state_.recommended_recovery = recovery;
  RecordFailure(reason, message);
  SetCondition(false, reason, message);
  if (process_ != nullptr) {
    StartCleanup([this] { FinishStopped(); });
  } else {
    SetOp(Op::kNone);
    FinishStopped();
  }
  Notify();
  if (callbacks_.on_failure) callbacks_.on_failure(state_.last_failure);
}

void SaAwareRunner::StartTerminate() {
  SetOp(Op::kTerminate);
  state_.presence = PresenceState::kTerminating;
  SetCondition(state_.ready, "Terminating", "");
  if (session_ != nullptr) session_->Push({{"type", "terminate"}});
  EndSession();
  if (process_ == nullptr) {
    FinishStopped();
    return;
  }
  (void)process_->SignalGroup(SIGTERM);
  op_timer_ = context_.loop->PostAfter(spec_.terminate_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         if (op_ == Op::kTerminate)
                                           StartCleanup([this] { FinishStopped(); });
                                       }));
  Notify();
}

void SaAwareRunner::StartCleanup(std::function<void()> then) {
  EndSession();
  SetOp(Op::kCleanup);
  after_cleanup_ = std::move(then);
  if (!restarting_ && state_.presence != PresenceState::kInstantiating) {
    state_.presence = PresenceState::kTerminating;
  }
  if (process_ != nullptr) (void)process_->SignalGroup(SIGTERM);
  op_timer_ = context_.loop->PostAfter(spec_.cleanup_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         OnCleanupTimeout(/*killed=*/false);
                                       }));
  CheckCleanupDone();
}

void SaAwareRunner::CheckCleanupDone() {
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

void SaAwareRunner::OnCleanupTimeout(bool killed) {
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

void SaAwareRunner::FinishStopped() {
  ReleaseProcess();
  SetOp(Op::kNone);
  state_.presence = restarting_ ? PresenceState::kRestarting : PresenceState::kUninstantiated;
  if (!state_.failed && (state_.ready || state_.reason == "Terminating")) {
    SetCondition(true, "Stopped", "");
  }
  Reconcile();
}

void SaAwareRunner::ReleaseProcess() {
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  if (process_ != nullptr) process_->TryReap();
  process_.reset();
  state_.pid = 0;
  state_.start_ticks = 0;
  state_.start_time.clear();
  state_.token.clear();
  held_.clear();
}

void SaAwareRunner::Restart() {
  state_.failed = false;
  state_.recommended_recovery.reset();
  restarting_ = true;
  ++state_.restart_count;
  switch (op_) {
    case Op::kCleanup:
    case Op::kTerminate:
      state_.presence = PresenceState::kRestarting;
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
        FinishStopped();
      }
      break;
  }
  Notify();
}

void SaAwareRunner::Repair() {
  state_.failed = false;
  state_.recommended_recovery.reset();
  if (state_.presence == PresenceState::kInstantiationFailed ||
      state_.presence == PresenceState::kTerminationFailed) {
    state_.presence = PresenceState::kUninstantiated;
  }
  Reconcile();
}

// An adopted process is Instantiated but has no session until it registers
// again with this agent (the client library reconnects by itself); it must
// do so within timeouts.instantiate.
void SaAwareRunner::Adopt(const AdoptionRecord& record) {
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
  for (const CsiAssignment& csi : record.csis) held_[Key(csi)] = csi;
  state_.pid = process_->pid();
  state_.start_ticks = process_->start_ticks();
  state_.start_time = record.start_time;
  state_.token = record.token;
  state_.presence = PresenceState::kInstantiated;
  SetCondition(true, "Adopted", "waiting for the component to register again");
  WatchProcess();
  op_timer_ = context_.loop->PostAfter(spec_.instantiate_timeout, Guard([this] {
                                         op_timer_ = 0;
                                         if (session_ == nullptr)
                                           Fail("RegistrationTimeout",
                                                "did not register again after adoption");
                                       }));
  Notify();
}

void SaAwareRunner::Detach() {
  EndSession();
  if (watch_id_ != 0) context_.monitor->Unwatch(watch_id_);
  watch_id_ = 0;
  context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  op_ = Op::kNone;
  process_.reset();
}

bool SaAwareRunner::Stopped() const {
  return process_ == nullptr && (op_ == Op::kNone || op_ == Op::kRetryDelay) &&
         state_.presence != PresenceState::kTerminationFailed;
}

void SaAwareRunner::SetOp(Op op) {
  if (op_timer_ != 0) context_.loop->Cancel(op_timer_);
  op_timer_ = 0;
  op_ = op;
}

void SaAwareRunner::SetCondition(bool ready, const std::string& reason,
                                 const std::string& message) {
  state_.ready = ready;
  state_.reason = reason;
  state_.message = message;
}

void SaAwareRunner::RecordFailure(const std::string& reason, const std::string& message) {
  state_.last_failure = {.reason = reason + ": " + message,
                         .time = FormatTime(context_.wall_now()),
                         .source = who_.name};
}

}  // namespace vigil::agent
