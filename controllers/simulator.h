// Simulator: "what happens if X dies?" — the real assignment logic (the
// snapshot conversion, the decision core and the status writing of
// controllers/group_reconciler.h, exactly as the live controller runs them)
// against a fake clock and fake node agents, printing the timeline of
// assignment changes.
//
// The fake agents behave as docs/architecture.md describes real ones:
//   - every node is Ready and every unit InService at t=0 (units under
//     LockedInstantiation stay uninstantiated);
//   - an HA state written into an SI assignment is reached (recorded in the
//     unit's status.haStates) after `confirm_delay`, a removed one is
//     cleaned up after the same delay;
//   - a failed unit is Disabled and cleaned up at once; with autoRepair (its
//     group's and its node's) it is re-instantiated after `repair_delay`
//     and InService `instantiate_delay` later;
//   - a failed component climbs the recovery ladder (core::EscalateRecovery
//     with the group's and node's limits): a restart keeps the unit's
//     assignments (Restarting for `restart_delay`), a failover fails the
//     unit (or, NodeFailover, every unit of its node);
//   - units the core asks to start or stop (preferredInServiceUnits,
//     LockedInstantiation) are instantiated or terminated.
// Scripted events (fail, repair, lock, unlock, shutdown, lock-instantiation,
// swap) happen at their times. The same input always gives the same output.
//
// Thread safety: a Simulator is not thread-safe; use one per thread.
#ifndef VIGIL_CONTROLLERS_SIMULATOR_H_
#define VIGIL_CONTROLLERS_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "controllers/core_ladder.h"
#include "controllers/group_reconciler.h"

namespace vigil::controllers {

struct SimulationOptions {
  // Stop at this time (then let a change under way finish, at most 5 s
  // more); zero: 30 s after the last scripted event.
  absl::Duration until = absl::ZeroDuration();
  absl::Duration confirm_delay = absl::Milliseconds(10);
  absl::Duration repair_delay = absl::Seconds(1);
  absl::Duration instantiate_delay = absl::Milliseconds(500);
  absl::Duration restart_delay = absl::Milliseconds(200);
  // Also print each HA state the agents reach.
  bool verbose = false;
  // Wall-clock time of t=0 (timestamps in the objects).
  absl::Time epoch = absl::FromUnixSeconds(1'767'225'600);  // 2026-01-01
};

// One scripted event: `verb kind/name` at `at`.
struct SimulationEvent {
  enum class Verb { kFail, kRepair, kLock, kUnlock, kShutdown, kLockInstantiation, kSwap };
  Verb verb = Verb::kFail;
  // Any name api::FindKind accepts ("su", "node", "comp", "sg", "si", ...)
  // or "unit", "group", "instance".
  std::string kind;
  std::string name;
  absl::Duration at = absl::ZeroDuration();
};

// "fail", "repair", "lock", "unlock", "shutdown", "lock-instantiation", "swap".
const char* ToString(SimulationEvent::Verb verb);

// Parses "KIND/NAME" or "KIND/NAME@TIME" ("unit/vlc-a@5s"; TIME a duration
// as in manifests, "0s" allowed). Without @TIME the event is at `default_at`.
// Errors: InvalidArgument naming what is wrong.
absl::StatusOr<SimulationEvent> ParseSimulationEvent(SimulationEvent::Verb verb,
                                                     std::string_view spec,
                                                     absl::Duration default_at);

class Simulator {
 public:
  explicit Simulator(SimulationOptions options = {});

  // Adds objects of any kind (defaults applied, then validated).
  // Errors: InvalidArgument listing every invalid object or duplicate.
  absl::Status AddObjects(const std::vector<api::Json>& objects);
  // Parses YAML manifests and adds their objects.
  absl::Status AddYaml(std::string_view yaml, std::string_view source = "<yaml>");

  // Schedules a scripted event. Errors: InvalidArgument if the verb does not
  // apply to the kind or the target does not exist.
  absl::Status AddEvent(const SimulationEvent& event);

  // Runs the simulation to its end. REQUIRES: called once.
  void Run();

  // "t=+5.010s  promote stream-1 on vlc-b to Active (failover: ...)", ...
  const std::vector<std::string>& timeline() const { return timeline_; }
  // The SIs' final assignments as an aligned table.
  std::string FinalTable() const;
  // The object as the simulation left it, or null.
  const api::Json* Find(const std::string& kind, const std::string& name) const;

 private:
  struct Pending {
    absl::Duration at;
    int64_t seq = 0;
    std::function<void()> action;
    bool operator>(const Pending& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };

  // ---- simulator.cc: the loop and the controller side ----
  void RunUntil(absl::Duration end, bool only_in_flight);
  // Some assignment is unconfirmed or quiescing / quiesced.
  bool InFlight() const;
  void Schedule(absl::Duration at, std::function<void()> action);
  void Say(const std::string& line);
  absl::Time Now() const { return options_.epoch + now_; }
  api::Json& Obj(const std::string& kind, const std::string& name);
  std::map<std::string, api::Json>& All(const std::string& kind) { return objects_[kind]; }
  GroupObjects ObjectsOf(const std::string& group);
  void ReconcileAll();
  bool ReconcileOne(const std::string& group);
  void ApplyInstanceWrite(const api::Json& written);
  void ApplyOperationWrite(const api::Json& written);
  void FollowDecision(const std::string& group, const GroupReconcile& result);

  // ---- simulator_agents.cc: the node agents ----
  void BootCluster();
  void SetUnitState(const std::string& unit, const char* presence, const char* oper,
                    const char* readiness);
  void ReachLater(const std::string& unit, const std::string& si, const std::string& state);
  void CleanUpLater(const std::string& unit, const std::string& si);
  void FailUnit(const std::string& unit, const std::string& why);
  void FailNode(const std::string& node);
  void FailComponent(const std::string& component);
  void RestartUnit(const std::string& unit, bool whole_unit, const std::string& why);
  void Instantiate(const std::string& unit, const std::string& why);
  void Terminate(const std::string& unit, const std::string& why);
  void RepairNode(const std::string& node);
  bool AutoRepair(const std::string& unit);
  std::vector<std::string> UnitsOnNode(const std::string& node);
  core::RecoveryLimits LimitsFor(const std::string& unit);

  // ---- simulator_events.cc: scripted events ----
  absl::Status CheckEvent(const SimulationEvent& event, std::string* kind) const;
  void Perform(const SimulationEvent& event, const std::string& kind);
  void SetAdminState(const std::string& kind, const std::string& name,
                     const std::string& state);
  void RequestSwap(const std::string& si);

  const SimulationOptions options_;
  std::map<std::string, std::map<std::string, api::Json>> objects_;  // kind -> name -> obj
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> queue_;
  int64_t seq_ = 0;
  absl::Duration now_ = absl::ZeroDuration();
  absl::Duration last_event_ = absl::ZeroDuration();
  std::set<absl::Duration> reconciles_at_;        // requeue timers scheduled
  std::map<std::string, core::RecoveryCounters> counters_;  // by unit
  std::map<std::string, core::ProbationCounter> node_failovers_;  // by node
  std::set<std::string> busy_units_;  // starting, stopping or repairing
  std::set<std::string> shutdown_announced_;  // groups and units
  std::vector<std::string> timeline_;
  int swaps_ = 0;
  bool ran_ = false;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_SIMULATOR_H_
