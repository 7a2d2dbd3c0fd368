// NodeAgent: Operations aimed at its objects, and adoption of the processes
// an earlier agent started.
#include <signal.h>

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {

// RestartUnit, RestartComponent and Repaired are carried out once the
// controller has marked them Running (so their startTime is known). Each is
// done once: the names are remembered, and after an agent restart the
// target's own timestamps tell whether it was done already.
void NodeAgent::HandleOperations() {
  for (const api::Operation& op : view_.operations) {
    const std::string& name = op.metadata.name;
    const std::string& target = op.spec.target;
    if (op.status.phase != api::OperationPhase::kRunning || op.status.start_time.empty() ||
        handled_operations_.contains(name)) {
      continue;
    }
    handled_operations_.insert(name);
    switch (op.spec.action) {
      case api::OperationAction::kRestartUnit:
        if (unit_states_.contains(target) &&
            unit_states_.at(target)->in_service_since <= op.status.start_time) {
          Log(absl::StrCat("operation ", name, ": restarting unit ", target));
          RestartUnit(target);
        }
        break;
      case api::OperationAction::kRestartComponent:
        if (auto it = components_by_name_.find(target);
            it != components_by_name_.end() &&
            it->second->runner->state().start_time <= op.status.start_time) {
          Log(absl::StrCat("operation ", name, ": restarting component ", target));
          it->second->restarts.clear();  // an operator's restart is not a failure
          it->second->runner->Restart();
        }
        break;
      case api::OperationAction::kRepaired:
        for (auto& [unit, state] : unit_states_) {
          if (state->failed && (unit == target || target == options_.node)) {
            RepairUnit(unit, "operation " + name);
          }
        }
        break;
      case api::OperationAction::kSwapServiceInstance:
        break;
    }
  }
}

// Processes recorded by an earlier agent whose component is gone: their
// whole process group is terminated (nothing will ever stop them otherwise).
void NodeAgent::AdoptOrphans() {
  for (const auto& [name, record] : adoption_) {
    absl::StatusOr<std::unique_ptr<Process>> orphan =
        spawner_.Adopt(record.pid, record.start_ticks);
    if (!orphan.ok()) continue;
    Log(absl::StrCat("component ", name, " is gone; terminating its process ", record.pid));
    (void)(*orphan)->SignalGroup(SIGTERM);
  }
  adoption_.clear();
  SaveAdoption();
}

// Processes an earlier agent of this node started but had not recorded yet
// when it stopped (it died between a spawn and the record's write): nothing
// would ever adopt or stop them, and one may still serve as an active beside
// the one started anew. They carry this agent's record path in their
// environment and are killed, with their process group, before anything
// starts.
void NodeAgent::KillUnrecorded() {
  std::set<std::pair<pid_t, uint64_t>> recorded;
  for (const auto& [name, record] : adoption_) recorded.emplace(record.pid, record.start_ticks);
  for (const auto& [pid, ticks] : FindGroupLeadersWithEnv(kAgentRecordVariable, state_path())) {
    if (recorded.contains({pid, ticks})) continue;
    absl::StatusOr<std::unique_ptr<Process>> orphan = spawner_.Adopt(pid, ticks);
    if (!orphan.ok()) continue;
    Log(absl::StrCat("killing process group ", pid,
                     ": started by an earlier agent that stopped before recording it"));
    (void)(*orphan)->SignalGroup(SIGKILL);
  }
}

// Queues the state file for writing when what runs has changed. It goes
// through the status writer, so the loop never waits for an fsync.
void NodeAgent::SaveAdoption() {
  AdoptionRecords records = adoption_;  // not yet adopted: keep them
  for (const auto& [name, entry] : components_by_name_) {
    const RunnerState& state = entry->runner->state();
    if (state.pid == 0) continue;
    records[name] = {.pid = state.pid,
                     .start_ticks = state.start_ticks,
                     .start_time = state.start_time,
                     .csis = entry->runner->RunningCsis(),
                     .token = state.token};
  }
  // Compared as records, not as JSON: this runs on every reconcile.
  if (records == saved_records_) return;
  saved_records_ = records;
  writer_.Put("state-file", [path = state_path(), records = std::move(records)] {
    return SaveAdoptionRecords(path, records);
  });
}

}  // namespace vigil::agent
