#include "cli/admin_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/strings.h"

namespace vigil::cli {
namespace {

using api::AdminState;
using api::HaState;

template <typename T>
absl::Status ReadAll(client::Client& client, const std::string& kind,
                     std::map<std::string, T>& out) {
  absl::StatusOr<client::ObjectList> list = client.List(kind);
  if (!list.ok()) return list.status();
  for (const api::Json& item : list->items) {
    absl::StatusOr<T> typed = api::FromJson<T>(item);
    if (typed.ok()) out.emplace(typed->metadata.name, *std::move(typed));
  }
  return absl::OkStatus();
}

int Restrictiveness(AdminState state) {
  switch (state) {
    case AdminState::kUnlocked: return 0;
    case AdminState::kShuttingDown: return 1;
    case AdminState::kLocked: return 2;
    case AdminState::kLockedInstantiation: return 3;
  }
  return 0;
}

// "a on n1, c on n2" for the assignments of `si` matching `keep`.
template <typename Keep>
std::string Holders(const api::ServiceInstance& si, Keep keep) {
  std::vector<std::string> parts;
  for (const api::Assignment& a : si.status.assignments) {
    if (keep(a)) parts.push_back(api::Cat(a.unit, " on ", a.node));
  }
  return absl::StrJoin(parts, ", ");
}

bool Quiescing(const api::Assignment& a) {
  return a.ha_state == HaState::kQuiesced || a.ha_state == HaState::kQuiescing;
}

std::string Quoted(const std::string& message) {
  return message.empty() ? "" : api::Cat(": ", message);
}

std::string HeldText(const std::vector<HeldAssignment>& held) {
  std::vector<std::string> parts;
  for (const HeldAssignment& h : held) {
    parts.push_back(api::Cat("si/", h.instance, " ", api::ToString(h.assignment.ha_state),
                                 " on ", h.assignment.unit,
                                 h.assignment.confirmed ? "" : " (unconfirmed)"));
  }
  return api::Cat(held.size(), held.size() == 1 ? " assignment" : " assignments",
                      " still here: ", absl::StrJoin(parts, ", "));
}

std::vector<std::string> StillInstantiated(const ClusterView& view, const AdminTarget& target) {
  std::vector<std::string> parts;
  for (const std::string& name : TargetUnits(view, target)) {
    const api::ServiceUnit& unit = view.units.at(name);
    if (unit.status.presence_state != api::PresenceState::kUninstantiated) {
      parts.push_back(api::Cat("su/", name, " ", api::ToString(unit.status.presence_state)));
    }
  }
  return parts;
}

// The admin-state part of OperationsInProgress.
std::string AdminInProgress(const ClusterView& view, const AdminTarget& target) {
  const AdminState state = AdminStateOf(view, target);
  if (state == AdminState::kUnlocked) return "";
  const std::vector<HeldAssignment> held = HeldAssignments(view, target);
  const std::string verb = state == AdminState::kShuttingDown ? "shutdown"
                           : state == AdminState::kLocked     ? "lock"
                                                              : "lock-instantiation";
  if (!held.empty()) return api::Cat(verb, " in progress: ", HeldText(held));
  if (state == AdminState::kShuttingDown) {
    return api::Cat("shutdown complete (nothing assigned); ShuttingDown until locked: "
                        "vigil lock ", TargetRef(target));
  }
  if (state == AdminState::kLockedInstantiation) {
    std::vector<std::string> running = StillInstantiated(view, target);
    if (!running.empty()) {
      return api::Cat("lock-instantiation in progress: ", absl::StrJoin(running, ", "));
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<ClusterView> ReadClusterView(client::Client& client) {
  ClusterView view;
  for (absl::Status status : {ReadAll(client, "Node", view.nodes),
                              ReadAll(client, "ServiceGroup", view.groups),
                              ReadAll(client, "ServiceUnit", view.units),
                              ReadAll(client, "ServiceInstance", view.instances),
                              ReadAll(client, "Operation", view.operations)}) {
    if (!status.ok()) return status;
  }
  return view;
}

std::string TargetRef(const AdminTarget& target) {
  const api::KindInfo* info = api::FindKind(target.kind);
  std::string prefix = info == nullptr              ? target.kind
                       : info->short_names.empty() ? info->singular
                                                   : info->short_names.front();
  return api::Cat(prefix, "/", target.name);
}

std::set<std::string> TargetUnits(const ClusterView& view, const AdminTarget& target) {
  std::set<std::string> units;
  for (const auto& [name, unit] : view.units) {
    if ((target.kind == "Node" && unit.spec.node == target.name) ||
        (target.kind == "ServiceUnit" && name == target.name) ||
        (target.kind == "ServiceGroup" && unit.spec.service_group == target.name)) {
      units.insert(name);
    }
  }
  return units;
}

std::set<std::string> FollowedInstances(const ClusterView& view, const AdminTarget& target) {
  std::set<std::string> groups;
  if (target.kind == "ServiceGroup") groups.insert(target.name);
  for (const std::string& unit : TargetUnits(view, target)) {
    groups.insert(view.units.at(unit).spec.service_group);
  }
  std::set<std::string> instances;
  for (const auto& [name, si] : view.instances) {
    if (groups.contains(si.spec.service_group) ||
        (target.kind == "ServiceInstance" && name == target.name)) {
      instances.insert(name);
    }
  }
  return instances;
}

std::vector<HeldAssignment> HeldAssignments(const ClusterView& view, const AdminTarget& target) {
  const std::set<std::string> units = TargetUnits(view, target);
  std::vector<HeldAssignment> held;
  for (const auto& [name, si] : view.instances) {
    for (const api::Assignment& a : si.status.assignments) {
      const bool on_target = target.kind == "ServiceInstance" ? name == target.name
                                                              : units.contains(a.unit);
      if (on_target) held.push_back({name, a});
    }
  }
  return held;
}

std::set<std::string> ActiveOnTarget(const ClusterView& view, const AdminTarget& target) {
  std::set<std::string> active;
  if (target.kind != "Node" && target.kind != "ServiceUnit") return active;
  for (const HeldAssignment& h : HeldAssignments(view, target)) {
    if (h.assignment.ha_state == HaState::kActive) active.insert(h.instance);
  }
  return active;
}

AdminState AdminStateOf(const ClusterView& view, const AdminTarget& target) {
  if (target.kind == "Node" && view.nodes.contains(target.name)) {
    return view.nodes.at(target.name).spec.admin_state;
  }
  if (target.kind == "ServiceUnit" && view.units.contains(target.name)) {
    return view.units.at(target.name).spec.admin_state;
  }
  if (target.kind == "ServiceGroup" && view.groups.contains(target.name)) {
    return view.groups.at(target.name).spec.admin_state;
  }
  if (target.kind == "ServiceInstance" && view.instances.contains(target.name)) {
    return view.instances.at(target.name).spec.admin_state;
  }
  return AdminState::kUnlocked;
}

bool UnitUnlocked(const ClusterView& view, const api::ServiceUnit& unit) {
  AdminState state = unit.spec.admin_state;
  auto consider = [&](AdminState other) {
    if (Restrictiveness(other) > Restrictiveness(state)) state = other;
  };
  if (auto node = view.nodes.find(unit.spec.node); node != view.nodes.end()) {
    consider(node->second.spec.admin_state);
  }
  if (auto group = view.groups.find(unit.spec.service_group); group != view.groups.end()) {
    consider(group->second.spec.admin_state);
  }
  return state == AdminState::kUnlocked;
}

std::vector<std::string> OperationsInProgress(const ClusterView& view,
                                              const AdminTarget& target) {
  std::vector<std::string> lines;
  if (std::string admin = AdminInProgress(view, target); !admin.empty()) lines.push_back(admin);
  for (const auto& [name, op] : view.operations) {
    if (op.spec.target != target.name || op.status.phase == api::OperationPhase::kSucceeded ||
        op.status.phase == api::OperationPhase::kFailed) {
      continue;
    }
    const bool unit_op = op.spec.action != api::OperationAction::kSwapServiceInstance &&
                         op.spec.action != api::OperationAction::kRestartComponent;
    if (!unit_op) continue;
    lines.push_back(api::Cat("operation/", name, " ", api::ToString(op.spec.action), " ",
                                 api::ToString(op.status.phase), Quoted(op.status.message)));
  }
  return lines;
}

ProgressPrinter::Seen ProgressPrinter::SeenOf(const api::ServiceInstance& si) {
  Seen seen;
  seen.active = Holders(si, [](const auto& a) { return a.ha_state == HaState::kActive && a.confirmed; });
  seen.standby =
      Holders(si, [](const auto& a) { return a.ha_state == HaState::kStandby && a.confirmed; });
  seen.quiescing = Holders(si, [](const auto& a) { return a.ha_state == HaState::kQuiescing; });
  seen.quiesced = Holders(si, [](const auto& a) { return a.ha_state == HaState::kQuiesced; });
  for (const api::Assignment& a : si.status.assignments) {
    if (a.ha_state != HaState::kQuiesced || !a.successor.live_migration.Accepts()) continue;
    seen.migration = api::Cat(a.unit, " on ", a.node, " to ", a.successor.unit, " on ",
                              a.successor.node);
  }
  seen.transition = std::any_of(si.status.assignments.begin(), si.status.assignments.end(),
                                [](const auto& a) { return !a.confirmed || Quiescing(a); });
  return seen;
}

void ProgressPrinter::PrintChanges(const std::string& ref, const Seen& before, const Seen& now,
                                   const std::string& message, std::ostream& out) {
  if (now.quiescing != before.quiescing && !now.quiescing.empty()) {
    out << ref << "quiescing on " << now.quiescing << "\n";
  }
  if (now.quiesced != before.quiesced && !now.quiesced.empty()) {
    out << ref << "quiesced on " << now.quiesced << "\n";
  }
  if (now.migration != before.migration && !now.migration.empty()) {
    out << ref << "live-migrating VMs that allow it from " << now.migration << "\n";
  }
  if (now.active != before.active && !now.active.empty()) {
    out << ref << "active " << now.active
        << (before.active.empty() ? "" : api::Cat(" (was ", before.active, ")")) << " \u2713\n";
  } else if (now.active != before.active && !now.transition) {
    out << ref << "no active (was " << before.active << ")" << Quoted(message) << "\n";
  }
  if (now.standby != before.standby && !now.standby.empty()) {
    out << ref << "standby " << now.standby << " \u2713\n";
  } else if (now.standby != before.standby && !now.transition) {
    out << ref << "no standby (was " << before.standby << ")\n";
  }
}

void ProgressPrinter::Update(const ClusterView& view, const std::set<std::string>& instances,
                             const std::set<std::string>& target_units, std::ostream& out) {
  for (const std::string& name : instances) {
    auto it = view.instances.find(name);
    if (it == view.instances.end()) continue;
    const api::ServiceInstance& si = it->second;
    Seen now = SeenOf(si);
    const std::string ref = api::Cat("si/", name, ": ");
    auto before = seen_.find(name);
    if (first_ || before == seen_.end()) {
      const bool here = std::any_of(si.status.assignments.begin(), si.status.assignments.end(),
                                    [&](const auto& a) { return target_units.contains(a.unit); });
      if (here || target_units.empty()) {
        out << ref << "active " << (now.active.empty() ? "none" : now.active) << ", standby "
            << (now.standby.empty() ? "none" : now.standby)
            << (now.quiescing.empty() ? "" : ", quiescing " + now.quiescing)
            << (now.quiesced.empty() ? "" : ", quiesced " + now.quiesced) << "\n";
      }
      seen_[name] = now;
      continue;
    }
    PrintChanges(ref, before->second, now, si.status.message, out);
    // An empty set seen during a transition is not remembered, so the next
    // settled state is still compared with the last settled one.
    if (now.active.empty() && now.transition) now.active = before->second.active;
    if (now.standby.empty() && now.transition) now.standby = before->second.standby;
    before->second = now;
  }
  first_ = false;
  out << std::flush;
}

}  // namespace vigil::cli
