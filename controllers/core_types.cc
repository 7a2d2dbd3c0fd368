#include "controllers/core_types.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::core {

const char* ToString(RedundancyModel model) {
  switch (model) {
    case RedundancyModel::kTwoN: return "2N";
    case RedundancyModel::kNPlusM: return "N+M";
    case RedundancyModel::kNWay: return "N-Way";
    case RedundancyModel::kNWayActive: return "N-Way-Active";
    case RedundancyModel::kNoRedundancy: return "No-Redundancy";
  }
  return "?";
}

const char* ToString(AdminState state) {
  switch (state) {
    case AdminState::kUnlocked: return "Unlocked";
    case AdminState::kLocked: return "Locked";
    case AdminState::kLockedInstantiation: return "LockedInstantiation";
    case AdminState::kShuttingDown: return "ShuttingDown";
  }
  return "?";
}

const char* ToString(HaState state) {
  switch (state) {
    case HaState::kActive: return "Active";
    case HaState::kStandby: return "Standby";
    case HaState::kQuiescing: return "Quiescing";
    case HaState::kQuiesced: return "Quiesced";
  }
  return "?";
}

const char* ToString(Readiness readiness) {
  switch (readiness) {
    case Readiness::kInService: return "InService";
    case Readiness::kRestarting: return "Restarting";
    case Readiness::kInstantiating: return "Instantiating";
    case Readiness::kOutOfService: return "OutOfService";
    case Readiness::kFailed: return "Failed";
  }
  return "?";
}

const char* ToString(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAssign: return "assign";
    case ChangeKind::kSetHaState: return "set";
    case ChangeKind::kRemove: return "remove";
  }
  return "?";
}

const char* ToString(ChangeCause cause) {
  switch (cause) {
    case ChangeCause::kInitial: return "Initial";
    case ChangeCause::kFailover: return "Failover";
    case ChangeCause::kAdmin: return "Admin";
    case ChangeCause::kSwitchover: return "Switchover";
    case ChangeCause::kSwitchback: return "Switchback";
    case ChangeCause::kSwap: return "Swap";
    case ChangeCause::kCapacity: return "Capacity";
    case ChangeCause::kDependency: return "Dependency";
  }
  return "?";
}

const char* ToString(SwapPhase phase) {
  switch (phase) {
    case SwapPhase::kWaiting: return "Waiting";
    case SwapPhase::kInProgress: return "InProgress";
    case SwapPhase::kDone: return "Done";
    case SwapPhase::kRejected: return "Rejected";
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

std::vector<Assignment>::iterator FindAssignment(
    std::vector<Assignment>& assignments, const Change& change) {
  return std::find_if(assignments.begin(), assignments.end(),
                      [&](const Assignment& a) {
                        return a.instance == change.instance &&
                               a.unit == change.unit;
                      });
}

}  // namespace

void ApplyChanges(const std::vector<Change>& changes,
                  std::vector<Assignment>& assignments) {
  for (const Change& change : changes) {
    auto it = FindAssignment(assignments, change);
    switch (change.kind) {
      case ChangeKind::kAssign:
        if (it == assignments.end()) {
          assignments.push_back(
              {change.instance, change.unit, change.ha_state, false});
        }
        break;
      case ChangeKind::kSetHaState:
        if (it != assignments.end()) {
          it->ha_state = change.ha_state;
          it->confirmed = false;
        }
        break;
      case ChangeKind::kRemove:
        if (it != assignments.end()) assignments.erase(it);
        break;
    }
  }
}

}  // namespace vigil::core
