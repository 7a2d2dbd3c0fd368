// GroupContext: the indexed, classified view of one GroupSnapshot that every
// phase of the decision core reads (internal to the core).
//
// It answers, once per decision: in what order units and SIs are preferred,
// what each unit may still do (take new work, keep its work, drain it, or has
// lost it), which assignments each SI holds, and the per-model counts.
//
// Thread safety: immutable after construction; the snapshot must outlive it.
#ifndef VIGIL_CONTROLLERS_CORE_CONTEXT_H_
#define VIGIL_CONTROLLERS_CORE_CONTEXT_H_

#include <climits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controllers/core_types.h"

namespace vigil::core::internal {

// What a unit may do in this decision. Precedence: kGone > kDraining >
// kHeld > kUsable.
enum class UnitCondition {
  kUsable,    // in service, unlocked: may take new assignments
  kHeld,      // restarting in place: keeps its assignments, takes none
  kDraining,  // locked / shutting down (unit, node or group): switch away
  kGone,      // failed or out of service: its assignments are removed now
};

struct UnitInfo {
  UnitCondition condition = UnitCondition::kGone;
  bool drain_by_shutdown = false;  // quiesce with Quiescing, not Quiesced
  std::string why;                 // "unit vlc-a failed", "admin lock of ..."
  int order = 0;                   // position in rank order, 0 = best
  bool probation_ok = false;       // in service for the auto-adjust probation
  absl::Time probation_end = absl::InfinitePast();
  bool wanted_in_service = true;  // within preferredInServiceUnits
  bool locked_instantiation = false;
  bool admin_unlocked = true;  // unit, node and group all Unlocked
  bool holds_work = false;     // holds at least one assignment now
};

// One assignment of an SI, by unit index.
struct Holding {
  int unit = -1;
  HaState state = HaState::kActive;
  bool confirmed = false;
};

struct InstanceInfo {
  int order = 0;                  // position in SI rank order, 0 = first served
  bool assignable = false;        // SI unlocked (group locks act through units)
  std::vector<int> ranked_units;  // per-SI preference, best first
  std::vector<Holding> holdings;  // every current assignment of the SI
  std::vector<int> dependents;    // SIs of this group that depend on it
  bool sponsors_active = true;    // every sponsor is active now
};

inline bool IsQuiesceState(HaState state) {
  return state == HaState::kQuiescing || state == HaState::kQuiesced;
}

class GroupContext {
 public:
  // REQUIRES: `snapshot` outlives the context.
  explicit GroupContext(const GroupSnapshot& snapshot);

  const GroupSnapshot& snapshot() const { return snapshot_; }
  const GroupSpec& group() const { return snapshot_.group; }
  RedundancyModel model() const { return snapshot_.group.model; }
  absl::Time now() const { return snapshot_.now; }

  int unit_count() const { return static_cast<int>(units_.size()); }
  int instance_count() const { return static_cast<int>(instances_.size()); }
  const UnitInfo& unit(int u) const { return units_[u]; }
  const UnitSnapshot& unit_spec(int u) const { return snapshot_.units[u]; }
  const std::string& unit_name(int u) const { return snapshot_.units[u].name; }
  const InstanceInfo& instance(int s) const { return instances_[s]; }
  const InstanceSpec& instance_spec(int s) const {
    return snapshot_.instances[s];
  }
  const std::string& instance_name(int s) const {
    return snapshot_.instances[s].name;
  }

  // Unit indices best first (rank 1.., then unranked, ties by name).
  const std::vector<int>& unit_order() const { return unit_order_; }
  // SI indices in the order they are served when capacity is short.
  const std::vector<int>& instance_order() const { return instance_order_; }

  // -1 when unknown.
  int FindUnit(std::string_view name) const;
  int FindInstance(std::string_view name) const;

  bool usable(int u) const {
    return units_[u].condition == UnitCondition::kUsable;
  }
  // Usable or held: an assignment there may stay where it is.
  bool keeps_work(int u) const {
    return usable(u) || units_[u].condition == UnitCondition::kHeld;
  }

  // Where unit `u` stands in SI `s`'s preference: its rankedUnits first,
  // then every unit in rank order. Lower is better.
  int PreferencePosition(int s, int u) const;
  // The SI's candidate units best first: rankedUnits, then unit_order().
  // Units may appear twice; callers skip repeats.
  const std::vector<int>& RankedUnitsOf(int s) const {
    return instances_[s].ranked_units;
  }

  // Per-model counts for an SI.
  int ActivesWanted(int s) const;
  int StandbysWanted(int s) const;
  bool HasStandbys() const;
  // Capacity per unit (INT_MAX when unlimited).
  int ActiveCapacity() const;
  int StandbyCapacity() const;

  // The state of sponsor SI `name`, or null when unknown. For SIs of this
  // group it is derived from the snapshot (a confirmed active on a unit
  // that keeps work), as the caller's view may lag a failure; a change the
  // caller has not seen yet counts from `now`.
  const SponsorStatus* Sponsor(std::string_view name) const;

  // Assignments naming an unknown SI or unit (removed outright).
  const std::vector<int>& orphan_assignments() const { return orphans_; }

 private:
  void IndexUnits();
  void ClassifyUnit(int u);
  void ChooseUnitsInService();
  void IndexInstances();
  void IndexAssignments();
  void IndexSponsors();
  void IndexDependents();

  const GroupSnapshot& snapshot_;
  std::vector<UnitInfo> units_;
  std::vector<InstanceInfo> instances_;
  std::vector<int> unit_order_;
  std::vector<int> instance_order_;
  std::unordered_map<std::string_view, int> unit_index_;
  std::unordered_map<std::string_view, int> instance_index_;
  std::unordered_map<std::string_view, SponsorStatus> sponsors_;
  std::vector<int> orphans_;
};

// Rank comparison: 1 is best, 0 (unranked) sorts last, ties by name.
bool RankedBefore(int rank_a, std::string_view name_a, int rank_b,
                  std::string_view name_b);

}  // namespace vigil::core::internal

#endif  // VIGIL_CONTROLLERS_CORE_CONTEXT_H_
