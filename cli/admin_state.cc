#include "cli/admin_state.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/strings.h"

namespace vigil::cli {
namespace {

using api::AdminState;

constexpr std::array<std::pair<AdminVerb, std::string_view>, 7> kVerbNames = {{
    {AdminVerb::kLock, "lock"},
    {AdminVerb::kUnlock, "unlock"},
    {AdminVerb::kLockInstantiation, "lock-instantiation"},
    {AdminVerb::kUnlockInstantiation, "unlock-instantiation"},
    {AdminVerb::kShutdown, "shutdown"},
    {AdminVerb::kRepaired, "repaired"},
    {AdminVerb::kDrain, "drain"},
}};

// The kinds (by kind name) each verb applies to, in the order help shows them.
std::vector<std::string_view> KindsOf(AdminVerb verb) {
  switch (verb) {
    case AdminVerb::kLock:
    case AdminVerb::kUnlock:
      return {"Node", "ServiceUnit", "ServiceGroup", "ServiceInstance"};
    case AdminVerb::kLockInstantiation:
    case AdminVerb::kUnlockInstantiation:
    case AdminVerb::kShutdown:
      return {"Node", "ServiceUnit", "ServiceGroup"};
    case AdminVerb::kRepaired:
      return {"Node", "ServiceUnit"};
    case AdminVerb::kDrain:
      return {"Node"};
  }
  return {};
}

std::string ShortName(std::string_view kind) {
  const api::KindInfo* info = api::FindKind(kind);
  if (info == nullptr) return std::string(kind);
  return info->short_names.empty() ? info->singular : info->short_names.front();
}

// The state a verb aims at (repaired and drain have none of their own).
AdminState TargetOf(AdminVerb verb) {
  switch (verb) {
    case AdminVerb::kUnlock:
      return AdminState::kUnlocked;
    case AdminVerb::kLockInstantiation:
      return AdminState::kLockedInstantiation;
    case AdminVerb::kShutdown:
      return AdminState::kShuttingDown;
    default:
      return AdminState::kLocked;
  }
}

// Whether `verb` may leave `from` (its target aside, which is a no-op).
bool Allowed(AdminVerb verb, AdminState from, bool instance) {
  if (instance) {
    return (verb == AdminVerb::kLock && from == AdminState::kUnlocked) ||
           (verb == AdminVerb::kUnlock && from == AdminState::kLocked);
  }
  switch (verb) {
    case AdminVerb::kLock:
      return from == AdminState::kUnlocked || from == AdminState::kShuttingDown;
    case AdminVerb::kUnlock:
      return from == AdminState::kLocked || from == AdminState::kShuttingDown;
    case AdminVerb::kLockInstantiation:
      return from == AdminState::kLocked;
    case AdminVerb::kUnlockInstantiation:
      return from == AdminState::kLockedInstantiation;
    case AdminVerb::kShutdown:
      return from == AdminState::kUnlocked;
    default:
      return false;
  }
}

}  // namespace

std::string_view VerbName(AdminVerb verb) {
  for (const auto& [v, name] : kVerbNames) {
    if (v == verb) return name;
  }
  return "?";
}

absl::StatusOr<AdminVerb> ParseAdminVerb(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& [verb, verb_name] : kVerbNames) {
    if (verb_name == name) return verb;
    names.emplace_back(verb_name);
  }
  return absl::InvalidArgumentError(api::Cat("unknown admin command \"", name,
                                                 "\" (one of ", absl::StrJoin(names, ", "),
                                                 ")"));
}

absl::Status CheckVerbKind(AdminVerb verb, const api::KindInfo& kind) {
  std::vector<std::string> shorts;
  for (std::string_view k : KindsOf(verb)) {
    if (k == kind.kind) return absl::OkStatus();
    shorts.push_back(ShortName(k));
  }
  return absl::InvalidArgumentError(api::Cat(VerbName(verb), " applies to ",
                                                 absl::StrJoin(shorts, ", "), "; not to ",
                                                 ShortName(kind.kind)));
}

std::string ValidVerbs(const api::KindInfo& kind, AdminState current) {
  const bool instance = kind.kind == "ServiceInstance";
  std::vector<std::string> valid;
  for (AdminVerb verb : {AdminVerb::kLock, AdminVerb::kUnlock, AdminVerb::kLockInstantiation,
                         AdminVerb::kUnlockInstantiation, AdminVerb::kShutdown}) {
    if (CheckVerbKind(verb, kind).ok() && Allowed(verb, current, instance)) {
      valid.emplace_back(VerbName(verb));
    }
  }
  if (kind.kind == "Node" && Allowed(AdminVerb::kLock, current, false)) valid.push_back("drain");
  return valid.empty() ? "none" : absl::StrJoin(valid, ", ");
}

absl::StatusOr<AdminState> NextAdminState(AdminVerb verb, const api::KindInfo& kind,
                                          AdminState current, std::string_view ref) {
  if (absl::Status applies = CheckVerbKind(verb, kind); !applies.ok()) return applies;
  const AdminState target = TargetOf(verb);
  if (current == target) return target;
  if (Allowed(verb, current, kind.kind == "ServiceInstance")) return target;
  return absl::FailedPreconditionError(api::Cat(
      "cannot ", VerbName(verb), " ", ref, ": it is ", api::ToString(current),
      " (valid now: ", ValidVerbs(kind, current), ")"));
}

}  // namespace vigil::cli
