#include "controllers/core_context.h"

#include <algorithm>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace vigil::core::internal {

namespace {

int Restrictiveness(AdminState state) {
  switch (state) {
    case AdminState::kUnlocked:
      return 0;
    case AdminState::kShuttingDown:
      return 1;
    case AdminState::kLocked:
      return 2;
    case AdminState::kLockedInstantiation:
      return 3;
  }
  return 0;
}

const char* AdminVerb(AdminState state) {
  switch (state) {
    case AdminState::kShuttingDown:
      return "admin shutdown";
    case AdminState::kLocked:
      return "admin lock";
    case AdminState::kLockedInstantiation:
      return "admin lock-instantiation";
    case AdminState::kUnlocked:
      break;
  }
  return "admin unlock";
}

// The most restrictive of the unit's, its node's and its group's admin
// states, with the entity it comes from ("unit vlc-a", "node hv1", ...).
std::pair<AdminState, std::string> EffectiveAdmin(const UnitSnapshot& unit,
                                                  const GroupSpec& group) {
  std::pair<AdminState, std::string> best{unit.admin_state,
                                          absl::StrCat("unit ", unit.name)};
  auto consider = [&](AdminState state, std::string entity) {
    if (Restrictiveness(state) > Restrictiveness(best.first)) {
      best = {state, std::move(entity)};
    }
  };
  consider(unit.node_admin_state, absl::StrCat("node ", unit.node));
  consider(group.admin_state, absl::StrCat("service group ", group.name));
  return best;
}

int ReadinessClass(Readiness readiness) {
  switch (readiness) {
    case Readiness::kInService:
    case Readiness::kRestarting:
      return 0;
    case Readiness::kInstantiating:
      return 1;
    default:
      return 2;
  }
}

}  // namespace

bool RankedBefore(int rank_a, std::string_view name_a, int rank_b,
                  std::string_view name_b) {
  // Unranked (0) sorts after every ranked entry.
  unsigned key_a = rank_a <= 0 ? UINT_MAX : static_cast<unsigned>(rank_a);
  unsigned key_b = rank_b <= 0 ? UINT_MAX : static_cast<unsigned>(rank_b);
  if (key_a != key_b) return key_a < key_b;
  return name_a < name_b;
}

GroupContext::GroupContext(const GroupSnapshot& snapshot)
    : snapshot_(snapshot) {
  IndexUnits();
  IndexInstances();
  IndexAssignments();
  for (int u = 0; u < unit_count(); ++u) ClassifyUnit(u);
  ChooseUnitsInService();
  IndexDependents();
}

void GroupContext::IndexUnits() {
  const auto& specs = snapshot_.units;
  units_.resize(specs.size());
  unit_order_.resize(specs.size());
  unit_index_.reserve(specs.size());
  for (int u = 0; u < static_cast<int>(specs.size()); ++u) {
    unit_index_.emplace(specs[u].name, u);
    unit_order_[u] = u;
  }
  std::sort(unit_order_.begin(), unit_order_.end(), [&](int a, int b) {
    return RankedBefore(specs[a].rank, specs[a].name, specs[b].rank,
                        specs[b].name);
  });
  for (int i = 0; i < static_cast<int>(unit_order_.size()); ++i) {
    units_[unit_order_[i]].order = i;
  }
}

void GroupContext::ClassifyUnit(int u) {
  const UnitSnapshot& spec = snapshot_.units[u];
  UnitInfo& info = units_[u];
  auto [admin, entity] = EffectiveAdmin(spec, snapshot_.group);
  info.locked_instantiation = admin == AdminState::kLockedInstantiation;
  info.admin_unlocked = admin == AdminState::kUnlocked;
  const AutoAdjustPolicy& adjust = snapshot_.group.auto_adjust;
  info.probation_end = spec.in_service_since + adjust.probation;
  info.probation_ok = spec.readiness == Readiness::kInService &&
                      info.probation_end <= snapshot_.now;
  switch (spec.readiness) {
    case Readiness::kFailed:
      info.condition = UnitCondition::kGone;
      info.why = absl::StrCat("unit ", spec.name, " failed");
      return;
    case Readiness::kAwaitingFence:
      info.condition = UnitCondition::kHeld;
      info.why = absl::StrCat("unit ", spec.name, " awaits the fencing of node ", spec.node);
      return;
    case Readiness::kOutOfService:
    case Readiness::kInstantiating:
      info.condition = UnitCondition::kGone;
      info.why = absl::StrCat("unit ", spec.name, " ",
                              spec.readiness == Readiness::kOutOfService
                                  ? "out of service"
                                  : "instantiating");
      return;
    case Readiness::kInService:
    case Readiness::kRestarting:
      break;
  }
  if (admin != AdminState::kUnlocked) {
    info.condition = UnitCondition::kDraining;
    info.drain_by_shutdown = admin == AdminState::kShuttingDown;
    info.why = absl::StrCat(AdminVerb(admin), " of ", entity);
    return;
  }
  info.condition = spec.readiness == Readiness::kRestarting
                       ? UnitCondition::kHeld
                       : UnitCondition::kUsable;
  if (info.condition == UnitCondition::kHeld) {
    info.why = absl::StrCat("unit ", spec.name, " restarting");
  }
}

void GroupContext::ChooseUnitsInService() {
  int wanted = snapshot_.group.preferred_in_service_units;
  if (wanted <= 0) return;
  std::vector<int> candidates;
  for (int u : unit_order_) {
    const UnitSnapshot& spec = snapshot_.units[u];
    if (EffectiveAdmin(spec, snapshot_.group).first != AdminState::kUnlocked ||
        spec.readiness == Readiness::kFailed) {
      continue;
    }
    candidates.push_back(u);
  }
  // Units already doing work come first, so the choice never disturbs them.
  std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) {
    if (units_[a].holds_work != units_[b].holds_work) {
      return units_[a].holds_work;
    }
    return ReadinessClass(snapshot_.units[a].readiness) <
           ReadinessClass(snapshot_.units[b].readiness);
  });
  for (int i = wanted; i < static_cast<int>(candidates.size()); ++i) {
    UnitInfo& info = units_[candidates[i]];
    info.wanted_in_service = false;
    if (info.condition == UnitCondition::kUsable) {
      info.condition = UnitCondition::kDraining;
      info.why = absl::StrCat("unit ", unit_name(candidates[i]),
                              " beyond preferredInServiceUnits (", wanted, ")");
    }
  }
}

void GroupContext::IndexInstances() {
  const auto& specs = snapshot_.instances;
  instances_.resize(specs.size());
  instance_order_.resize(specs.size());
  instance_index_.reserve(specs.size());
  for (int s = 0; s < static_cast<int>(specs.size()); ++s) {
    instance_index_.emplace(specs[s].name, s);
    instance_order_[s] = s;
  }
  std::sort(instance_order_.begin(), instance_order_.end(), [&](int a, int b) {
    return RankedBefore(specs[a].rank, specs[a].name, specs[b].rank,
                        specs[b].name);
  });
  for (int i = 0; i < static_cast<int>(instance_order_.size()); ++i) {
    int s = instance_order_[i];
    InstanceInfo& info = instances_[s];
    info.order = i;
    info.assignable = specs[s].admin_state == AdminState::kUnlocked;
    if (model() == RedundancyModel::kTwoN) continue;  // 2N: one unit for all
    std::vector<RankedUnit> ranked = specs[s].ranked_units;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const RankedUnit& a, const RankedUnit& b) {
                       return RankedBefore(a.rank, a.unit, b.rank, b.unit);
                     });
    for (const RankedUnit& entry : ranked) {
      auto it = unit_index_.find(entry.unit);
      if (it != unit_index_.end()) info.ranked_units.push_back(it->second);
    }
  }
}

void GroupContext::IndexAssignments() {
  const auto& assignments = snapshot_.assignments;
  for (int i = 0; i < static_cast<int>(assignments.size()); ++i) {
    const Assignment& a = assignments[i];
    int u = FindUnit(a.unit);
    int s = FindInstance(a.instance);
    if (u < 0 || s < 0) {
      orphans_.push_back(i);
      continue;
    }
    auto& holdings = instances_[s].holdings;
    bool duplicate = std::any_of(holdings.begin(), holdings.end(),
                                 [u](const Holding& h) { return h.unit == u; });
    if (duplicate) continue;
    holdings.push_back({u, a.ha_state, a.confirmed});
    units_[u].holds_work = true;
  }
}

void GroupContext::IndexSponsors() {
  for (const SponsorStatus& status : snapshot_.sponsors) {
    sponsors_[status.instance] = status;
  }
  std::unordered_set<std::string_view> referenced;
  for (const InstanceSpec& spec : snapshot_.instances) {
    for (const SponsorRef& ref : spec.depends_on)
      referenced.insert(ref.instance);
  }
  for (int s = 0; s < instance_count(); ++s) {
    if (!referenced.count(snapshot_.instances[s].name)) continue;
    bool active =
        std::any_of(instances_[s].holdings.begin(),
                    instances_[s].holdings.end(), [&](const Holding& h) {
                      return h.state == HaState::kActive && h.confirmed &&
                             keeps_work(h.unit);
                    });
    const std::string& name = snapshot_.instances[s].name;
    auto it = sponsors_.find(name);
    if (it == sponsors_.end()) {
      sponsors_[name] = {name, active, snapshot_.now};
    } else if (it->second.active != active) {
      it->second = {name, active, snapshot_.now};
    }
  }
}

void GroupContext::IndexDependents() {
  IndexSponsors();
  for (int s = 0; s < instance_count(); ++s) {
    for (const SponsorRef& ref : snapshot_.instances[s].depends_on) {
      const SponsorStatus* status = Sponsor(ref.instance);
      if (status == nullptr || !status->active) {
        instances_[s].sponsors_active = false;
      }
      int sponsor = FindInstance(ref.instance);
      if (sponsor >= 0 && sponsor != s) {
        instances_[sponsor].dependents.push_back(s);
      }
    }
  }
}

const SponsorStatus* GroupContext::Sponsor(std::string_view name) const {
  auto it = sponsors_.find(name);
  return it == sponsors_.end() ? nullptr : &it->second;
}

int GroupContext::FindUnit(std::string_view name) const {
  auto it = unit_index_.find(name);
  return it == unit_index_.end() ? -1 : it->second;
}

int GroupContext::FindInstance(std::string_view name) const {
  auto it = instance_index_.find(name);
  return it == instance_index_.end() ? -1 : it->second;
}

int GroupContext::PreferencePosition(int s, int u) const {
  const std::vector<int>& ranked = instances_[s].ranked_units;
  for (int i = 0; i < static_cast<int>(ranked.size()); ++i) {
    if (ranked[i] == u) return i;
  }
  return static_cast<int>(ranked.size()) + units_[u].order;
}

int GroupContext::ActivesWanted(int s) const {
  if (model() != RedundancyModel::kNWayActive) return 1;
  return std::max(1, snapshot_.instances[s].preferred_active_assignments);
}

int GroupContext::StandbysWanted(int s) const {
  switch (model()) {
    case RedundancyModel::kTwoN:
      return 1;
    case RedundancyModel::kNPlusM:
      return group().preferred_standby_units > 0 ? 1 : 0;
    case RedundancyModel::kNWay:
      return std::max(0, snapshot_.instances[s].preferred_standby_assignments);
    case RedundancyModel::kNWayActive:
    case RedundancyModel::kNoRedundancy:
      return 0;
  }
  return 0;
}

bool GroupContext::HasStandbys() const {
  switch (model()) {
    case RedundancyModel::kTwoN:
    case RedundancyModel::kNWay:
      return true;
    case RedundancyModel::kNPlusM:
      return group().preferred_standby_units > 0;
    default:
      return false;
  }
}

int GroupContext::ActiveCapacity() const {
  if (model() == RedundancyModel::kNoRedundancy) return 1;
  int max = group().max_active_per_unit;
  return max > 0 ? max : INT_MAX;
}

int GroupContext::StandbyCapacity() const {
  int max = group().max_standby_per_unit;
  return max > 0 ? max : INT_MAX;
}

}  // namespace vigil::core::internal
