#include "controllers/core_types.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace vigil::core {

const char* ToString(RedundancyModel model) {
  switch (model) {
    case RedundancyModel::kTwoN:
      return "2N";
    case RedundancyModel::kNPlusM:
      return "N+M";
    case RedundancyModel::kNWay:
      return "N-Way";
    case RedundancyModel::kNWayActive:
      return "N-Way-Active";
    case RedundancyModel::kNoRedundancy:
      return "No-Redundancy";
  }
  return "?";
}

const char* ToString(AdminState state) {
  switch (state) {
    case AdminState::kUnlocked:
      return "Unlocked";
    case AdminState::kLocked:
      return "Locked";
    case AdminState::kLockedInstantiation:
      return "LockedInstantiation";
    case AdminState::kShuttingDown:
      return "ShuttingDown";
  }
  return "?";
}

const char* ToString(HaState state) {
  switch (state) {
    case HaState::kActive:
      return "Active";
    case HaState::kStandby:
      return "Standby";
    case HaState::kQuiescing:
      return "Quiescing";
    case HaState::kQuiesced:
      return "Quiesced";
  }
  return "?";
}

const char* ToString(Readiness readiness) {
  switch (readiness) {
    case Readiness::kInService:
      return "InService";
    case Readiness::kRestarting:
      return "Restarting";
    case Readiness::kInstantiating:
      return "Instantiating";
    case Readiness::kOutOfService:
      return "OutOfService";
    case Readiness::kFailed:
      return "Failed";
    case Readiness::kAwaitingFence:
      return "AwaitingFence";
  }
  return "?";
}

const char* ToString(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAssign:
      return "assign";
    case ChangeKind::kSetHaState:
      return "set";
    case ChangeKind::kRemove:
      return "remove";
  }
  return "?";
}

const char* ToString(ChangeCause cause) {
  switch (cause) {
    case ChangeCause::kInitial:
      return "Initial";
    case ChangeCause::kFailover:
      return "Failover";
    case ChangeCause::kAdmin:
      return "Admin";
    case ChangeCause::kSwitchover:
      return "Switchover";
    case ChangeCause::kSwitchback:
      return "Switchback";
    case ChangeCause::kSwap:
      return "Swap";
    case ChangeCause::kCapacity:
      return "Capacity";
    case ChangeCause::kDependency:
      return "Dependency";
  }
  return "?";
}

const char* ToString(SwapPhase phase) {
  switch (phase) {
    case SwapPhase::kWaiting:
      return "Waiting";
    case SwapPhase::kInProgress:
      return "InProgress";
    case SwapPhase::kDone:
      return "Done";
    case SwapPhase::kRejected:
      return "Rejected";
  }
  return "?";
}

std::string Describe(const Change& change) {
  switch (change.kind) {
    case ChangeKind::kAssign:
      return absl::StrCat("assign ", change.instance, " to ", change.unit,
                          " as ", ToString(change.ha_state), " (",
                          change.reason, ")");
    case ChangeKind::kSetHaState:
      return absl::StrCat("set ", change.instance, " on ", change.unit, " to ",
                          ToString(change.ha_state), " (", change.reason, ")");
    case ChangeKind::kRemove:
      return absl::StrCat("remove ", change.instance, " from ", change.unit,
                          " (", change.reason, ")");
  }
  return "?";
}

namespace {

std::string Key(const std::string& instance, const std::string& unit) {
  return absl::StrCat(instance, "\n", unit);
}

}  // namespace

void ApplyChanges(const std::vector<Change>& changes,
                  std::vector<Assignment>& assignments) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < assignments.size(); ++i) {
    index.emplace(Key(assignments[i].instance, assignments[i].unit), i);
  }
  std::vector<bool> erased(assignments.size(), false);
  for (const Change& change : changes) {
    std::string key = Key(change.instance, change.unit);
    auto it = index.find(key);
    if (change.kind == ChangeKind::kAssign) {
      if (it != index.end()) continue;
      index.emplace(std::move(key), assignments.size());
      assignments.push_back(
          {change.instance, change.unit, change.ha_state, false});
      erased.push_back(false);
    } else if (it != index.end() && change.kind == ChangeKind::kSetHaState) {
      assignments[it->second].ha_state = change.ha_state;
      assignments[it->second].confirmed = false;
    } else if (it != index.end()) {
      erased[it->second] = true;
      index.erase(it);
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < assignments.size(); ++i) {
    if (erased[i]) continue;
    if (kept != i) assignments[kept] = std::move(assignments[i]);
    ++kept;
  }
  assignments.resize(kept);
}

}  // namespace vigil::core
