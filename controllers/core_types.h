// The plain input and output types of Vigil's availability decision core.
//
// The core (controllers/assignment_engine.h) is a pure function from a
// GroupSnapshot — one ServiceGroup's specs, the observed readiness of its
// units, the state of its sponsors and its current assignments — to a
// Decision: the next assignment changes. These structs carry no JSON and do
// no I/O; a reconciler converts API objects into them and writes the result
// back. Time is always passed in (`now`); the core never reads a clock.
//
// Thread safety: plain values; safe to share read-only between threads.
#ifndef VIGIL_CONTROLLERS_CORE_TYPES_H_
#define VIGIL_CONTROLLERS_CORE_TYPES_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace vigil::core {

enum class RedundancyModel {
  kTwoN,
  kNPlusM,
  kNWay,
  kNWayActive,
  kNoRedundancy
};

enum class AdminState {
  kUnlocked,
  kLocked,
  kLockedInstantiation,
  kShuttingDown
};

enum class HaState { kActive, kStandby, kQuiescing, kQuiesced };

// Observed readiness of a unit, as the agents report it.
enum class Readiness {
  kInService,      // running and healthy: may take and keep assignments
  kRestarting,     // restarted in place (component or unit restart): keeps
                   // its assignments, takes no new ones
  kInstantiating,  // being started (e.g. auto-repair): no assignments yet
  kOutOfService,   // not running, or not reachable: assignments are lost
  kFailed,         // failed and being cleaned up: assignments are lost
  kAwaitingFence,  // on a node that stopped answering and is not fenced yet:
                   // keeps its assignments (nothing may start elsewhere that
                   // it may still be running), takes no new ones
};

struct AutoAdjustPolicy {
  bool enabled = false;
  absl::Duration probation = absl::Seconds(10);     // healthy this long first
  absl::Duration min_interval = absl::Seconds(30);  // between two switchbacks
};

struct GroupSpec {
  std::string name;
  RedundancyModel model = RedundancyModel::kTwoN;
  AdminState admin_state = AdminState::kUnlocked;
  int preferred_active_units = 1;      // N of N+M; active units of N-Way-Active
  int preferred_standby_units = 1;     // M of N+M
  int preferred_in_service_units = 0;  // 0 = all units
  int max_active_per_unit = 0;         // 0 = unlimited
  int max_standby_per_unit = 0;        // 0 = unlimited
  AutoAdjustPolicy auto_adjust;
};

struct UnitSnapshot {
  std::string name;
  std::string node;
  int rank = 0;  // 1 = most preferred; 0 = unranked, after every ranked unit
  AdminState admin_state = AdminState::kUnlocked;
  AdminState node_admin_state = AdminState::kUnlocked;
  Readiness readiness = Readiness::kOutOfService;
  // When readiness last became kInService (probation starts here).
  absl::Time in_service_since = absl::InfinitePast();
};

struct RankedUnit {
  std::string unit;
  int rank = 1;
};

struct SponsorRef {
  std::string instance;
  absl::Duration tolerance = absl::ZeroDuration();
};

struct CsiSpec {
  std::string name;
  std::vector<std::string> depends_on;  // CSI names within the same SI
};

struct InstanceSpec {
  std::string name;
  int rank = 0;
  AdminState admin_state = AdminState::kUnlocked;  // Unlocked or Locked
  int preferred_active_assignments = 1;            // N-Way-Active
  int preferred_standby_assignments = 1;           // N-Way
  std::vector<RankedUnit> ranked_units;  // per-SI preference (not in 2N)
  std::vector<SponsorRef> depends_on;
  std::vector<CsiSpec> csis;
};

// Whether a sponsor SI (of any group) has a confirmed active assignment.
struct SponsorStatus {
  std::string instance;
  bool active = false;
  absl::Time since = absl::InfinitePast();  // when `active` last changed
};

struct Assignment {
  std::string instance;
  std::string unit;
  HaState ha_state = HaState::kActive;
  // The agent has carried out `ha_state` (for kQuiescing: the work drained).
  bool confirmed = false;
  // kQuiesced in a graceful switchover: the unit planned to take the SI over
  // (its agent may live-migrate VMs there); empty otherwise.
  std::string successor{};
};

// A one-shot SI swap. `from_unit` is empty until the core starts the swap;
// the caller then stores the unit the core reports and passes it back.
struct SwapRequest {
  std::string instance;
  std::string from_unit;
};

struct GroupSnapshot {
  GroupSpec group;
  std::vector<UnitSnapshot> units;
  std::vector<InstanceSpec> instances;
  std::vector<SponsorStatus> sponsors;  // every SI named in a dependsOn
  std::vector<Assignment> assignments;
  std::vector<SwapRequest> swaps;
  absl::Time now;
  // When the last switchback or swap of this group started.
  absl::Time last_adjustment = absl::InfinitePast();
};

enum class ChangeKind { kAssign, kSetHaState, kRemove };

// Why a change is made; the reason string says it in words.
enum class ChangeCause {
  kInitial,     // filling an unassigned role
  kFailover,    // the unit holding an assignment failed or left service
  kAdmin,       // lock / shutdown of a unit, node, group or SI
  kSwitchover,  // continuing a graceful switchover already under way
  kSwitchback,  // auto-adjust toward better-ranked units
  kSwap,        // operator SI swap
  kCapacity,    // a higher-ranked SI needs the slot, or the role moved
  kDependency,  // a sponsor lost its active assignment
};

struct Change {
  ChangeKind kind = ChangeKind::kAssign;
  std::string instance;
  std::string unit;
  HaState ha_state = HaState::kActive;  // for kAssign and kSetHaState
  ChangeCause cause = ChangeCause::kInitial;
  std::string reason;
  std::string successor{};  // kSetHaState to kQuiesced: see Assignment::successor
};

enum class SwapPhase { kWaiting, kInProgress, kDone, kRejected };

struct SwapProgress {
  std::string instance;
  std::string from_unit;
  SwapPhase phase = SwapPhase::kWaiting;
  std::string message;
};

struct InstanceNote {
  std::string instance;
  std::string message;  // why it is not fully assigned
};

struct Decision {
  // In order; removals from failed units come first and must be carried out
  // (the unit cleaned up / fenced) before an activation of the same SI.
  std::vector<Change> changes;
  // Call again at this time even without an event (probation end, tolerance
  // expiry, rate limit). absl::InfiniteFuture() when no timer matters.
  absl::Time requeue_at = absl::InfiniteFuture();
  // A switchback or swap started now: store `now` as last_adjustment.
  bool adjustment_started = false;
  std::vector<SwapProgress> swaps;
  std::vector<InstanceNote> notes;
  // Spare units to instantiate / instantiated units to terminate so the
  // group honours preferredInServiceUnits and LockedInstantiation.
  std::vector<std::string> units_to_start;
  std::vector<std::string> units_to_stop;
  // ShuttingDown units (and the group) that hold no assignment any more:
  // the caller moves their admin state to Locked.
  std::vector<std::string> shutdown_complete_units;
  bool group_shutdown_complete = false;
};

const char* ToString(RedundancyModel model);
const char* ToString(AdminState state);
const char* ToString(HaState state);
const char* ToString(Readiness readiness);
const char* ToString(ChangeKind kind);
const char* ToString(ChangeCause cause);
const char* ToString(SwapPhase phase);

// "assign stream-1 to vlc-a as Active (initial assignment)" and the like.
std::string Describe(const Change& change);

// Applies `changes` to `assignments` as the caller would once it has written
// them: kAssign appends an unconfirmed assignment, kSetHaState changes the
// state and clears `confirmed`, kRemove erases. Changes naming an assignment
// that does not exist are ignored. Used by the simulator and the tests.
void ApplyChanges(const std::vector<Change>& changes,
                  std::vector<Assignment>& assignments);

}  // namespace vigil::core

#endif  // VIGIL_CONTROLLERS_CORE_TYPES_H_
