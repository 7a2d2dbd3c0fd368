// vigil lock|unlock|lock-instantiation|unlock-instantiation|shutdown|
// repaired KIND NAME, and vigil drain node NAME: admin operations on nodes,
// units, groups and SIs, followed until they complete (cli/admin_wait.h).
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/duration.h"
#include "api/strings.h"
#include "cli/admin_state.h"
#include "cli/admin_view.h"
#include "cli/admin_wait.h"
#include "cli/commands.h"
#include "cli/kinds.h"
#include "cli/output.h"
#include "cli/retry.h"

namespace vigil::cli {
namespace {

using api::AdminState;
using api::Json;

constexpr int kConflictAttempts = 5;
// How long an SI a lock let go of may stay without any active before the
// lock is reported as unable to keep it served.
constexpr std::chrono::milliseconds kUnservedGrace{2000};
// How long assignments must stay unchanged before an unlock counts as done.
constexpr std::chrono::milliseconds kQuiet{1000};

// One run of an admin command: the parsed request and what it needs.
struct Run {
  const Context& ctx;
  AdminVerb verb;
  AdminTarget target;
  const api::KindInfo* kind;
  bool wait;
  std::chrono::milliseconds timeout;
  std::unique_ptr<client::HttpClient> client;
  ProgressPrinter printer;
  SteadyClock::time_point deadline;
  ClusterFeed feed;
};

absl::StatusOr<ObjectRef> ParseTarget(AdminVerb verb, const std::vector<std::string>& args) {
  std::vector<const api::KindInfo*> kinds;
  std::vector<ObjectRef> refs;
  absl::Status parsed = ParseKindArgs(args, &kinds, &refs);
  if (parsed.ok() && refs.size() != 1) {
    parsed = absl::InvalidArgumentError(api::Cat(
        VerbName(verb), " takes one object: vigil ", VerbName(verb), " KIND NAME (or KIND/NAME)"));
  }
  if (!parsed.ok()) return parsed;
  if (absl::Status applies = CheckVerbKind(verb, *refs[0].kind); !applies.ok()) return applies;
  return refs[0];
}

// The object's admin state and resourceVersion.
absl::StatusOr<std::pair<AdminState, std::string>> ReadAdminState(Run& run) {
  absl::StatusOr<Json> obj = RetryUnavailable(
      [&] { return run.client->Get(run.target.kind, run.target.name); });
  if (!obj.ok()) return obj.status();
  AdminState state = AdminState::kUnlocked;
  const std::string text = obj->value("spec", Json::object()).value("adminState", "Unlocked");
  if (!api::Parse(text, &state)) {
    return absl::InvalidArgumentError(
        api::Cat(TargetRef(run.target), " has an unknown spec.adminState \"", text, "\""));
  }
  return std::make_pair(state, api::ResourceVersionOf(*obj));
}

// Moves spec.adminState as `verb` does (a merge patch carrying the
// resourceVersion read, re-read and retried on a conflict), printing
// "node/n1: Unlocked -> Locked" or "node/n1 already Locked". With
// `only_from` set, changes nothing unless the state is that one.
absl::Status ApplyVerb(Run& run, AdminVerb verb, std::optional<AdminState> only_from = {}) {
  for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
    absl::StatusOr<std::pair<AdminState, std::string>> read = ReadAdminState(run);
    if (!read.ok()) return read.status();
    const auto [current, version] = *read;
    if (only_from.has_value() && current != *only_from) {
      run.ctx.out() << TargetRef(run.target) << " is " << api::ToString(current)
                    << " now; left as it is\n";
      return absl::OkStatus();
    }
    absl::StatusOr<AdminState> next = NextAdminState(verb, *run.kind, current, TargetRef(run.target));
    if (!next.ok()) return next.status();
    if (*next == current) {
      run.ctx.out() << TargetRef(run.target) << " already " << api::ToString(current) << "\n";
      return absl::OkStatus();
    }
    Json patch = {{"metadata", {{"resourceVersion", version}}},
                  {"spec", {{"adminState", std::string(api::ToString(*next))}}}};
    absl::StatusOr<Json> patched = RetryUnavailable([&] {
      return run.client->Patch(run.target.kind, run.target.name, patch, false,
                               run.ctx.Writes(false));
    });
    if (absl::IsAborted(patched.status())) continue;  // changed meanwhile: read again
    if (!patched.ok()) return patched.status();
    run.ctx.out() << TargetRef(run.target) << ": " << api::ToString(current) << " -> "
                  << api::ToString(*next) << "\n"
                  << std::flush;
    return absl::OkStatus();
  }
  return absl::AbortedError(api::Cat(TargetRef(run.target), " kept changing; ",
                                         kConflictAttempts, " attempts failed"));
}

absl::Status Wait(Run& run, Condition condition, const std::string& what) {
  WaitOptions options{.deadline = run.deadline, .what = what};
  absl::Status status =
      WaitFor(run.feed, run.target, std::move(condition), options, run.printer, run.ctx.out());
  if (absl::IsDeadlineExceeded(status)) {
    return absl::DeadlineExceededError(api::Cat(
        status.message(), " (after ", api::FormatDuration(run.timeout), "; the admin state stays "
        "as set: see vigil describe ", TargetRef(run.target), ")"));
  }
  return status;
}

absl::StatusOr<ClusterView> View(Run& run) {
  return RetryUnavailable([&] { return ReadClusterView(*run.client); });
}

std::string What(const Run& run, AdminVerb verb) {
  return api::Cat(VerbName(verb), " of ", TargetRef(run.target));
}

// lock, shutdown: the target lets go of its assignments (and a shutdown
// then completes as a lock).
absl::Status LockOrShutdown(Run& run, AdminVerb verb) {
  absl::StatusOr<ClusterView> before = View(run);
  if (!before.ok()) return before.status();
  if (absl::Status set = ApplyVerb(run, verb); !set.ok() || !run.wait) return set;
  absl::Status released = Wait(
      run, Released(run.target, ActiveOnTarget(*before, run.target), kUnservedGrace), What(run, verb));
  if (absl::IsFailedPrecondition(released)) {
    return absl::FailedPreconditionError(
        api::Cat(released.message(), "; ", TargetRef(run.target), " stays ",
                 verb == AdminVerb::kShutdown ? "ShuttingDown" : "Locked", " (vigil unlock ",
                 TargetRef(run.target), " gives the work back)"));
  }
  if (!released.ok() || verb != AdminVerb::kShutdown) return released;
  run.ctx.out() << "shutdown of " << TargetRef(run.target) << " complete: nothing assigned\n";
  return ApplyVerb(run, AdminVerb::kLock, AdminState::kShuttingDown);
}

absl::Status UnlockLike(Run& run, AdminVerb verb) {
  const SteadyClock::time_point since = SteadyClock::now();
  if (absl::Status set = ApplyVerb(run, verb); !set.ok() || !run.wait) return set;
  return Wait(run, Settled(run.target, since, kQuiet), What(run, verb));
}

absl::Status LockInstantiation(Run& run) {
  if (absl::Status set = ApplyVerb(run, AdminVerb::kLockInstantiation); !set.ok() || !run.wait) {
    return set;
  }
  return Wait(run, Uninstantiated(run.target), What(run, AdminVerb::kLockInstantiation));
}

// drain node: lock (its SIs switch over), then lock-instantiation (its
// units are terminated).
absl::Status Drain(Run& run) {
  if (!run.wait) {
    return absl::InvalidArgumentError(
        "drain waits for each step (lock, then lock-instantiation); for one step without "
        "waiting use vigil lock --wait=false");
  }
  absl::StatusOr<std::pair<AdminState, std::string>> read = ReadAdminState(run);
  if (!read.ok()) return read.status();
  if (read->first == AdminState::kUnlocked || read->first == AdminState::kShuttingDown) {
    if (absl::Status locked = LockOrShutdown(run, AdminVerb::kLock); !locked.ok()) return locked;
  }
  if (absl::Status stopped = LockInstantiation(run); !stopped.ok()) return stopped;
  run.ctx.out() << TargetRef(run.target) << " drained: nothing assigned, units terminated\n";
  return absl::OkStatus();
}

// "" when the target is not failed, else what is wrong with it.
std::string FailedState(const ClusterView& view, const AdminTarget& target) {
  std::vector<std::string> failed;
  for (const std::string& name : TargetUnits(view, target)) {
    if (view.units.at(name).status.oper_state == api::OperState::kDisabled) {
      failed.push_back("su/" + name + " Disabled");
    }
  }
  if (target.kind == "Node" && view.nodes.at(target.name).status.oper_state ==
                                   api::OperState::kDisabled) {
    failed.push_back("node Disabled");
  }
  return absl::StrJoin(failed, ", ");
}

absl::StatusOr<std::string> CreateRepairedOperation(Run& run) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const std::string name = api::Cat("repaired-", run.target.name.substr(0, 200), "-",
                                        absl::Hex(ms.count()));
  Json op = {{"apiVersion", std::string(api::kApiVersion)},
             {"kind", "Operation"},
             {"metadata", {{"name", name}}},
             {"spec", {{"action", "Repaired"}, {"target", run.target.name}}}};
  absl::StatusOr<Json> created = run.client->Create(op, run.ctx.Writes(false));
  if (!created.ok()) return created.status();
  run.ctx.out() << "operation/" << name << " created (Repaired " << TargetRef(run.target) << ")\n";
  return name;
}

// repaired: an Operation Repaired; the node agent clears the failed state
// of the unit (or of every failed unit of the node) and the unit comes back.
absl::Status Repaired(Run& run) {
  absl::StatusOr<ClusterView> view = View(run);
  if (!view.ok()) return view.status();
  const bool exists = run.target.kind == "Node" ? view->nodes.contains(run.target.name)
                                                : view->units.contains(run.target.name);
  if (!exists) {
    return absl::NotFoundError(api::Cat(QualifiedResource(*run.kind), " \"", run.target.name,
                                            "\" not found"));
  }
  if (run.target.kind == "Node" && view->units.contains(run.target.name)) {
    return absl::FailedPreconditionError(api::Cat(
        "a ServiceUnit is also named ", run.target.name,
        ": a Repaired operation would mean the unit; repair the node's units one by one "
        "(vigil repaired su NAME)"));
  }
  const std::string failed = FailedState(*view, run.target);
  if (failed.empty()) {
    run.ctx.out() << TargetRef(run.target) << " is not failed (operState Enabled): nothing to "
                  << "repair\n";
    return absl::OkStatus();
  }
  run.ctx.out() << TargetRef(run.target) << ": " << failed << "\n";
  absl::StatusOr<std::string> op = CreateRepairedOperation(run);
  if (!op.ok() || !run.wait) return op.status();
  return Wait(run,
              Then(OperationDone(*op, run.ctx.out()),
                   Settled(run.target, SteadyClock::now(), kQuiet)),
              What(run, AdminVerb::kRepaired));
}

absl::Status Dispatch(Run& run) {
  if (run.wait) {
    // Followed from before the change, so that the first progress line
    // says where the assignments were and no later version is missed.
    if (absl::Status started = run.feed.Start(*run.client); !started.ok()) return started;
    const ClusterView& view = run.feed.view();
    run.printer.Update(view, FollowedInstances(view, run.target), TargetUnits(view, run.target),
                       run.ctx.out());
  }
  switch (run.verb) {
    case AdminVerb::kLock:
    case AdminVerb::kShutdown:
      return LockOrShutdown(run, run.verb);
    case AdminVerb::kUnlock:
    case AdminVerb::kUnlockInstantiation:
      return UnlockLike(run, run.verb);
    case AdminVerb::kLockInstantiation:
      return LockInstantiation(run);
    case AdminVerb::kDrain:
      return Drain(run);
    case AdminVerb::kRepaired:
      return Repaired(run);
  }
  return absl::InternalError("unknown admin command");
}

void PrintError(const Context& ctx, const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status) || absl::IsFailedPrecondition(status) ||
      absl::IsInvalidArgument(status)) {
    ctx.err() << "error: " << status.message() << "\n";
  } else {
    ctx.err() << FormatServerError(status) << "\n";
  }
}

}  // namespace

int RunAdmin(const Context& ctx, const AdminOptions& options) {
  absl::StatusOr<AdminVerb> verb = ParseAdminVerb(options.verb);
  absl::StatusOr<ObjectRef> ref =
      verb.ok() ? ParseTarget(*verb, options.args) : absl::StatusOr<ObjectRef>(verb.status());
  absl::StatusOr<std::chrono::milliseconds> timeout = api::ParseDuration(options.timeout);
  if (ref.ok() && !timeout.ok()) {
    ref = absl::InvalidArgumentError(api::Cat("invalid --timeout \"", options.timeout,
                                                  "\": ", timeout.status().message(),
                                                  " (e.g. 60s, 2m)"));
  }
  if (!ref.ok()) {
    ctx.err() << "error: " << ref.status().message() << "\n";
    return 1;
  }
  Run run{.ctx = ctx,
          .verb = *verb,
          .target = {ref->kind->kind, ref->name},
          .kind = ref->kind,
          .wait = options.wait,
          .timeout = *timeout,
          .client = ctx.NewClient(),
          .printer = {},
          .deadline = SteadyClock::now() + *timeout,
          .feed = {}};
  absl::Status status = Dispatch(run);
  if (!status.ok()) {
    PrintError(ctx, status);
    return 1;
  }
  return 0;
}

}  // namespace vigil::cli
