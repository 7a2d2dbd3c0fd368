#include "cli/admin_wait.h"

#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/strings.h"
#include "controllers/snapshot.h"

namespace vigil::cli {
namespace {

using api::HaState;
using State = Verdict::State;

Verdict Pending(std::string detail) { return {State::kPending, std::move(detail)}; }
Verdict Failed(std::string detail) { return {State::kFailed, std::move(detail)}; }

bool HasActive(const api::ServiceInstance& si, bool confirmed) {
  for (const api::Assignment& a : si.status.assignments) {
    if (a.ha_state == HaState::kActive && (a.confirmed || !confirmed)) return true;
  }
  return false;
}

std::string HeldList(const std::vector<HeldAssignment>& held) {
  std::vector<std::string> parts;
  for (const HeldAssignment& h : held) {
    parts.push_back(api::Cat("si/", h.instance, " ", api::ToString(h.assignment.ha_state),
                                 " on ", h.assignment.unit));
  }
  return api::Cat("still assigned: ", absl::StrJoin(parts, ", "));
}

std::string SiMessage(const api::ServiceInstance& si) {
  return si.status.message.empty() ? "" : api::Cat(" (", si.status.message, ")");
}

// What a unit still lacks to take work: "" when it is Enabled and InService.
std::string UnitNotReady(const ClusterView& view, const api::ServiceUnit& unit) {
  auto node = view.nodes.find(unit.spec.node);
  if (node == view.nodes.end() || !controllers::NodeReady(node->second)) {
    return api::Cat("node ", unit.spec.node, " not Ready");
  }
  if (unit.status.readiness_state != api::ReadinessState::kInService) {
    return api::Cat("su/", unit.metadata.name, " ",
                        api::ToString(unit.status.readiness_state));
  }
  return "";
}

// A fingerprint of what Settled watches, to tell when it last changed.
std::string Fingerprint(const ClusterView& view, const AdminTarget& target) {
  std::string text;
  for (const std::string& name : FollowedInstances(view, target)) {
    for (const api::Assignment& a : view.instances.at(name).status.assignments) {
      api::Append(&text, name, a.unit, api::ToString(a.ha_state), a.confirmed, ";");
    }
  }
  for (const std::string& name : TargetUnits(view, target)) {
    const api::ServiceUnit& unit = view.units.at(name);
    api::Append(&text, name, api::ToString(unit.status.readiness_state),
                    api::ToString(unit.status.oper_state), ";");
  }
  return text;
}

// Pending detail of a followed SI not yet settled; "" when it is.
std::string InstanceUnsettled(const std::string& name, const api::ServiceInstance& si) {
  for (const api::Assignment& a : si.status.assignments) {
    if (!a.confirmed || a.ha_state == HaState::kQuiesced || a.ha_state == HaState::kQuiescing) {
      return api::Cat("si/", name, " ", api::ToString(a.ha_state), " on ", a.unit,
                          a.confirmed ? "" : " not yet confirmed");
    }
  }
  return "";
}

// The longest autoAdjust probation among the followed SIs' groups (0: none).
std::chrono::milliseconds SwitchbackWindow(const ClusterView& view, const AdminTarget& target) {
  std::chrono::milliseconds window{0};
  for (const std::string& name : FollowedInstances(view, target)) {
    auto group = view.groups.find(view.instances.at(name).spec.service_group);
    if (group != view.groups.end() && group->second.spec.auto_adjust.enabled) {
      window = std::max(window, group->second.spec.auto_adjust.probation);
    }
  }
  return window;
}

// Settled, less the quiet and switchback windows.
Verdict SettledNow(const ClusterView& view, const AdminTarget& target) {
  if (target.kind == "ServiceInstance") {
    auto si = view.instances.find(target.name);
    if (si == view.instances.end()) return Failed(api::Cat("si/", target.name, " is gone"));
    if (!HasActive(si->second, true)) {
      return Pending(api::Cat("si/", target.name, " has no confirmed active",
                                  SiMessage(si->second)));
    }
  }
  for (const std::string& name : TargetUnits(view, target)) {
    const api::ServiceUnit& unit = view.units.at(name);
    if (!UnitUnlocked(view, unit)) continue;
    if (unit.status.oper_state == api::OperState::kDisabled) {
      return Failed(api::Cat("su/", name, " failed (operState Disabled",
                                 unit.status.last_failure.reason.empty()
                                     ? ""
                                     : ": " + unit.status.last_failure.reason,
                                 "); vigil repaired su ", name, " once it is fixed"));
    }
    if (std::string missing = UnitNotReady(view, unit); !missing.empty()) return Pending(missing);
  }
  for (const std::string& name : FollowedInstances(view, target)) {
    std::string unsettled = InstanceUnsettled(name, view.instances.at(name));
    if (!unsettled.empty()) return Pending(unsettled);
  }
  return {State::kDone, ""};
}

}  // namespace

Condition Released(const AdminTarget& target, std::set<std::string> served,
                   std::chrono::milliseconds grace) {
  auto unserved_since = std::make_shared<std::map<std::string, SteadyClock::time_point>>();
  return [=](const ClusterView& view, SteadyClock::time_point now) -> Verdict {
    std::vector<HeldAssignment> held = HeldAssignments(view, target);
    if (!held.empty()) return Pending(HeldList(held));
    for (const std::string& name : served) {
      auto si = view.instances.find(name);
      if (si == view.instances.end() || si->second.spec.admin_state != api::AdminState::kUnlocked) {
        continue;  // deleted or locked meanwhile: not ours to serve
      }
      if (HasActive(si->second, true)) continue;
      if (HasActive(si->second, false)) {
        return Pending(api::Cat("si/", name, ": new active not yet confirmed"));
      }
      auto [since, inserted] = unserved_since->emplace(name, now);
      if (now - since->second >= grace) {
        return Failed(api::Cat("si/", name,
                                   " has no active assignment: no other unit can take it",
                                   SiMessage(si->second)));
      }
      return Pending(api::Cat("si/", name, " has no active assignment"));
    }
    return {State::kDone, ""};
  };
}

Condition Uninstantiated(const AdminTarget& target) {
  return [=](const ClusterView& view, SteadyClock::time_point) -> Verdict {
    std::vector<HeldAssignment> held = HeldAssignments(view, target);
    if (!held.empty()) return Pending(HeldList(held));
    std::vector<std::string> running;
    for (const std::string& name : TargetUnits(view, target)) {
      const api::ServiceUnit& unit = view.units.at(name);
      if (unit.status.presence_state != api::PresenceState::kUninstantiated) {
        running.push_back(
            api::Cat("su/", name, " ", api::ToString(unit.status.presence_state)));
      }
    }
    if (!running.empty()) {
      return Pending(api::Cat("still instantiated: ", absl::StrJoin(running, ", ")));
    }
    return {State::kDone, ""};
  };
}

Condition Settled(const AdminTarget& target, SteadyClock::time_point since,
                  std::chrono::milliseconds quiet) {
  struct Memory {
    std::string fingerprint;
    SteadyClock::time_point changed;
  };
  auto memory = std::make_shared<Memory>(Memory{"", since});
  return [=](const ClusterView& view, SteadyClock::time_point now) -> Verdict {
    std::string fingerprint = Fingerprint(view, target);
    if (fingerprint != memory->fingerprint) {
      memory->fingerprint = std::move(fingerprint);
      memory->changed = now;
    }
    Verdict verdict = SettledNow(view, target);
    if (verdict.state != State::kDone) return verdict;
    if (now - memory->changed < quiet) return Pending("assignments settling");
    const std::chrono::milliseconds switchback = SwitchbackWindow(view, target);
    if (switchback.count() > 0 && now - since < switchback + quiet) {
      return Pending(api::Cat("autoAdjust probation (", switchback.count(),
                                  " ms): a switchback may follow"));
    }
    return verdict;
  };
}

Condition OperationDone(const std::string& name, std::ostream& out) {
  auto last = std::make_shared<std::string>();
  return [=, &out](const ClusterView& view, SteadyClock::time_point) -> Verdict {
    auto it = view.operations.find(name);
    if (it == view.operations.end()) return Failed(api::Cat("operation/", name, " is gone"));
    const api::OperationStatus& status = it->second.status;
    std::string line = api::Cat("operation/", name, ": ", api::ToString(status.phase),
                                    status.message.empty() ? "" : ": " + status.message);
    if (line != *last) out << line << "\n" << std::flush;
    *last = line;
    switch (status.phase) {
      case api::OperationPhase::kSucceeded:
        return {State::kDone, ""};
      case api::OperationPhase::kFailed:
        return Failed(api::Cat("operation/", name, " failed: ", status.message));
      default:
        return Pending(api::Cat("operation/", name, " ", api::ToString(status.phase),
                                    status.message.empty() ? "" : ": " + status.message));
    }
  };
}

Condition Then(Condition first, Condition second) {
  auto first_done = std::make_shared<bool>(false);
  return [=](const ClusterView& view, SteadyClock::time_point now) -> Verdict {
    if (!*first_done) {
      Verdict verdict = first(view, now);
      if (verdict.state != State::kDone) return verdict;
      *first_done = true;
    }
    return second(view, now);
  };
}

namespace {

int64_t VersionOf(const api::ServiceInstance& si) {
  int64_t version = 0;
  return absl::SimpleAtoi(si.metadata.resource_version, &version) ? version : 0;
}

}  // namespace

absl::Status ClusterFeed::Start(client::Client& client) {
  client_ = &client;
  absl::StatusOr<std::unique_ptr<client::WatchStream>> watch = client.Watch("ServiceInstance");
  if (watch.ok()) watch_ = *std::move(watch);
  return Refresh();
}

absl::Status ClusterFeed::Refresh() {
  absl::StatusOr<ClusterView> read = ReadClusterView(*client_);
  if (!read.ok()) return read.status();
  for (auto& [name, si] : read->instances) {
    auto seen = view_.instances.find(name);
    if (seen != view_.instances.end() && VersionOf(seen->second) > VersionOf(si)) {
      si = seen->second;
    }
  }
  view_ = *std::move(read);
  return absl::OkStatus();
}

bool ClusterFeed::Next(SteadyClock::time_point until) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(until - SteadyClock::now());
  if (left.count() <= 0) return false;
  if (watch_ == nullptr) {
    std::this_thread::sleep_for(left);
    return false;
  }
  absl::StatusOr<std::optional<client::WatchEvent>> event = watch_->Next(left);
  if (!event.ok()) {
    watch_.reset();  // broken or expired: polling alone from here
    return false;
  }
  if (!event->has_value() || (*event)->type == client::WatchEvent::Type::kBookmark) return false;
  const std::string name = api::NameOf((*event)->object);
  if ((*event)->type == client::WatchEvent::Type::kDeleted) {
    return view_.instances.erase(name) > 0;
  }
  absl::StatusOr<api::ServiceInstance> si = api::FromJson<api::ServiceInstance>((*event)->object);
  if (!si.ok()) return false;
  auto seen = view_.instances.find(name);
  if (seen != view_.instances.end() && VersionOf(seen->second) >= VersionOf(*si)) return false;
  view_.instances[name] = *std::move(si);
  return true;
}

absl::Status WaitFor(ClusterFeed& feed, const AdminTarget& target, Condition condition,
                     const WaitOptions& options, ProgressPrinter& printer, std::ostream& out) {
  std::string pending = "no answer from the server yet";
  SteadyClock::time_point next_read = SteadyClock::now();
  bool changed = true;
  for (;;) {
    SteadyClock::time_point now = SteadyClock::now();
    if (now >= next_read) {
      absl::Status read = feed.Refresh();
      if (!read.ok() && !absl::IsUnavailable(read)) return read;
      changed = read.ok();
      next_read = now + options.poll;
    }
    if (changed) {
      const ClusterView& view = feed.view();
      printer.Update(view, FollowedInstances(view, target), TargetUnits(view, target), out);
      Verdict verdict = condition(view, now);
      if (verdict.state == State::kDone) return absl::OkStatus();
      if (verdict.state == State::kFailed) {
        return absl::FailedPreconditionError(api::Cat(options.what, ": ", verdict.detail));
      }
      pending = verdict.detail;
    }
    if (now >= options.deadline) {
      return absl::DeadlineExceededError(
          api::Cat("timed out waiting for ", options.what, ": ", pending));
    }
    changed = feed.Next(std::min(next_read, options.deadline));
  }
}

}  // namespace vigil::cli
