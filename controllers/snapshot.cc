#include "controllers/snapshot.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil::controllers {
namespace {

bool BeingDeleted(const api::ObjectMeta& meta) {
  return !meta.deletion_timestamp.empty();
}

template <typename T>
absl::StatusOr<T> ReadView(const ObjectPtr& obj, ViewCache* cache) {
  return cache != nullptr ? cache->Read<T>(obj) : api::FromJson<T>(*obj);
}

// Reads every object of `objects` into `out` (by name), keeping those `keep`
// accepts; unreadable ones are listed in `unreadable`.
template <typename T, typename Keep>
void ReadAll(const std::vector<ObjectPtr>& objects, ViewCache* cache,
             std::map<std::string, T>& out, std::vector<std::string>& unreadable,
             Keep keep) {
  for (const ObjectPtr& obj : objects) {
    if (obj == nullptr) continue;
    absl::StatusOr<T> typed = ReadView<T>(obj, cache);
    if (!typed.ok()) {
      unreadable.push_back(absl::StrCat(api::KindOf(*obj), "/", api::NameOf(*obj),
                                        ": ", typed.status().message()));
      continue;
    }
    if (BeingDeleted(typed->metadata) || !keep(*typed)) continue;
    std::string name = typed->metadata.name;
    out.emplace(std::move(name), *std::move(typed));
  }
}

// Oldest first: creationTimestamp, then name.
bool OlderOperation(const api::Operation& a, const api::Operation& b) {
  return std::tie(a.metadata.creation_timestamp, a.metadata.name) <
         std::tie(b.metadata.creation_timestamp, b.metadata.name);
}

std::vector<api::Operation> ReadOperations(const std::vector<ObjectPtr>& objects,
                                           ViewCache* cache,
                                           std::vector<std::string>& unreadable) {
  std::map<std::string, api::Operation> by_name;
  ReadAll(objects, cache, by_name, unreadable, [](const api::Operation&) { return true; });
  std::vector<api::Operation> operations;
  for (auto& [name, op] : by_name) operations.push_back(std::move(op));
  std::sort(operations.begin(), operations.end(), OlderOperation);
  return operations;
}

}  // namespace

template <typename T>
absl::StatusOr<T> ViewCache::Read(const ObjectPtr& obj) {
  auto& slots = Slots<T>();
  const std::string name = api::NameOf(*obj);
  auto it = slots.find(name);
  if (it != slots.end() && it->second.obj == obj) return it->second.view;
  absl::StatusOr<T> view = api::FromJson<T>(*obj);
  if (view.ok()) slots[name] = Slot<T>{obj, *view};
  return view;
}

template <>
std::map<std::string, ViewCache::Slot<api::ServiceGroup>>& ViewCache::Slots() {
  return groups_;
}
template <>
std::map<std::string, ViewCache::Slot<api::ServiceUnit>>& ViewCache::Slots() {
  return units_;
}
template <>
std::map<std::string, ViewCache::Slot<api::ServiceInstance>>& ViewCache::Slots() {
  return instances_;
}
template <>
std::map<std::string, ViewCache::Slot<api::Node>>& ViewCache::Slots() {
  return nodes_;
}
template <>
std::map<std::string, ViewCache::Slot<api::Operation>>& ViewCache::Slots() {
  return operations_;
}

template absl::StatusOr<api::ServiceGroup> ViewCache::Read(const ObjectPtr&);
template absl::StatusOr<api::ServiceUnit> ViewCache::Read(const ObjectPtr&);
template absl::StatusOr<api::ServiceInstance> ViewCache::Read(const ObjectPtr&);
template absl::StatusOr<api::Node> ViewCache::Read(const ObjectPtr&);
template absl::StatusOr<api::Operation> ViewCache::Read(const ObjectPtr&);

absl::StatusOr<GroupView> ReadGroup(const GroupObjects& objects, ViewCache* cache) {
  if (objects.group == nullptr) {
    return absl::InvalidArgumentError("no ServiceGroup to read");
  }
  absl::StatusOr<api::ServiceGroup> group = ReadView<api::ServiceGroup>(objects.group, cache);
  if (!group.ok()) return group.status();
  GroupView view;
  view.group = *std::move(group);
  const std::string& name = view.group.metadata.name;
  ReadAll(objects.units, cache, view.units, view.unreadable,
          [&](const api::ServiceUnit& u) { return u.spec.service_group == name; });
  ReadAll(objects.instances, cache, view.instances, view.unreadable,
          [&](const api::ServiceInstance& s) { return s.spec.service_group == name; });
  ReadAll(objects.sponsors, cache, view.sponsors, view.unreadable,
          [](const api::ServiceInstance&) { return true; });
  ReadAll(objects.nodes, cache, view.nodes, view.unreadable,
          [](const api::Node&) { return true; });
  ReadAll(objects.hosts, cache, view.hosts, view.unreadable,
          [](const api::ServiceInstance&) { return true; });
  view.operations = ReadOperations(objects.operations, cache, view.unreadable);
  return view;
}

std::string Rfc3339Millis(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

absl::Time ParseRfc3339(const std::string& rfc3339) {
  absl::Time time;
  std::string error;
  if (rfc3339.empty() ||
      !absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) {
    return absl::InfinitePast();
  }
  return time;
}

bool NodeReady(const api::Node& node) {
  for (const api::Condition& condition : node.status.conditions) {
    if (condition.type == "Ready") {
      return condition.status == api::ConditionStatus::kTrue;
    }
  }
  return false;
}

bool NodeSelfFenced(const api::Node& node) {
  for (const api::Condition& condition : node.status.conditions) {
    if (condition.type == "Ready") {
      return condition.status != api::ConditionStatus::kTrue && condition.reason == "SelfFenced";
    }
  }
  return false;
}

std::string NodeOutage(const api::Node& node) {
  for (const api::Condition& condition : node.status.conditions) {
    if (condition.type == "Ready" && condition.status != api::ConditionStatus::kTrue) {
      return condition.last_transition_time;
    }
  }
  return "";
}

bool NodeAwaitsFence(const api::Node& node) {
  const std::string outage = NodeOutage(node);
  if (outage.empty() || !node.spec.fencing.Configured()) return false;  // Ready, or never was
  if (NodeSelfFenced(node)) return false;  // the agent itself says everything is stopped
  const api::FenceStatus& fencing = node.status.fencing;
  const bool verdict = fencing.phase == "Fenced" || fencing.phase == "ProceededUnfenced";
  return !(verdict && fencing.outage == outage);
}

std::optional<absl::Time> HostUpSince(const api::Node& node,
                                      const std::map<std::string, api::ServiceInstance>& hosts) {
  if (node.spec.hosted_by.empty()) return absl::InfinitePast();
  auto host = hosts.find(node.spec.hosted_by);
  if (host == hosts.end()) return std::nullopt;
  const core::SponsorStatus activity = SponsorActivity(host->second);
  if (!activity.active) return std::nullopt;
  return activity.since;
}

core::Readiness UnitReadiness(const api::ServiceUnit& unit, const api::Node* node,
                              bool host_running) {
  // A unit that never reported reads as the zero status: OutOfService.
  const api::ServiceUnitStatus& s = unit.status;
  if (node != nullptr && !s.pre_instantiable && NodeAwaitsFence(*node)) {
    return core::Readiness::kAwaitingFence;
  }
  if (node == nullptr || !NodeReady(*node) || !host_running) {
    return core::Readiness::kOutOfService;
  }
  if (s.oper_state == api::OperState::kDisabled) return core::Readiness::kFailed;
  if (s.presence_state == api::PresenceState::kRestarting) {
    return core::Readiness::kRestarting;
  }
  if (s.presence_state == api::PresenceState::kInstantiating) {
    return core::Readiness::kInstantiating;
  }
  if (s.readiness_state == api::ReadinessState::kInService) {
    return core::Readiness::kInService;
  }
  return core::Readiness::kOutOfService;
}

api::HaState ReachedState(const api::ServiceUnit& unit, const std::string& instance) {
  for (const api::ReachedHaState& reached : unit.status.ha_states) {
    if (reached.service_instance == instance) return reached.ha_state;
  }
  return api::HaState::kNone;
}

core::SponsorStatus SponsorActivity(const api::ServiceInstance& instance) {
  core::SponsorStatus sponsor;
  sponsor.instance = instance.metadata.name;
  for (const api::Assignment& a : instance.status.assignments) {
    if (a.ha_state == api::HaState::kActive && a.confirmed) sponsor.active = true;
  }
  for (const api::Condition& condition : instance.status.conditions) {
    if (condition.type != "Assigned") continue;
    const bool says_active = condition.status == api::ConditionStatus::kTrue;
    if (says_active == sponsor.active) {
      sponsor.since = ParseRfc3339(condition.last_transition_time);
    }
  }
  return sponsor;
}

core::AdminState ToCore(api::AdminState state) {
  switch (state) {
    case api::AdminState::kUnlocked: return core::AdminState::kUnlocked;
    case api::AdminState::kLocked: return core::AdminState::kLocked;
    case api::AdminState::kLockedInstantiation:
      return core::AdminState::kLockedInstantiation;
    case api::AdminState::kShuttingDown: return core::AdminState::kShuttingDown;
  }
  return core::AdminState::kLocked;
}

core::HaState ToCore(api::HaState state) {
  switch (state) {
    case api::HaState::kStandby: return core::HaState::kStandby;
    case api::HaState::kQuiescing: return core::HaState::kQuiescing;
    case api::HaState::kQuiesced: return core::HaState::kQuiesced;
    case api::HaState::kActive:
    case api::HaState::kNone: break;
  }
  return core::HaState::kActive;
}

core::RedundancyModel ToCore(api::RedundancyModel model) {
  switch (model) {
    case api::RedundancyModel::k2N: return core::RedundancyModel::kTwoN;
    case api::RedundancyModel::kNPlusM: return core::RedundancyModel::kNPlusM;
    case api::RedundancyModel::kNWay: return core::RedundancyModel::kNWay;
    case api::RedundancyModel::kNWayActive: return core::RedundancyModel::kNWayActive;
    case api::RedundancyModel::kNoRedundancy:
      return core::RedundancyModel::kNoRedundancy;
  }
  return core::RedundancyModel::kTwoN;
}

api::HaState ToApi(core::HaState state) {
  switch (state) {
    case core::HaState::kActive: return api::HaState::kActive;
    case core::HaState::kStandby: return api::HaState::kStandby;
    case core::HaState::kQuiescing: return api::HaState::kQuiescing;
    case core::HaState::kQuiesced: return api::HaState::kQuiesced;
  }
  return api::HaState::kNone;
}

namespace {

int ClampInt(int64_t value) {
  return static_cast<int>(std::clamp<int64_t>(value, 0, 1 << 30));
}

core::GroupSpec ToCoreGroup(const api::ServiceGroup& group) {
  const api::ServiceGroupSpec& s = group.spec;
  core::GroupSpec spec;
  spec.name = group.metadata.name;
  spec.model = ToCore(s.redundancy_model);
  spec.admin_state = ToCore(s.admin_state);
  spec.preferred_active_units = ClampInt(s.preferred_active_units);
  spec.preferred_standby_units = ClampInt(s.preferred_standby_units);
  spec.preferred_in_service_units = ClampInt(s.preferred_in_service_units);
  spec.max_active_per_unit = ClampInt(s.max_active_instances_per_unit);
  spec.max_standby_per_unit = ClampInt(s.max_standby_instances_per_unit);
  spec.auto_adjust.enabled = s.auto_adjust.enabled;
  spec.auto_adjust.probation = absl::FromChrono(s.auto_adjust.probation);
  spec.auto_adjust.min_interval = absl::FromChrono(s.auto_adjust.min_interval);
  return spec;
}

core::UnitSnapshot ToCoreUnit(const api::ServiceUnit& unit, const GroupView& view) {
  core::UnitSnapshot snap;
  snap.name = unit.metadata.name;
  snap.node = unit.spec.node;
  snap.rank = ClampInt(unit.spec.rank);
  snap.admin_state = ToCore(unit.spec.admin_state);
  auto node = view.nodes.find(unit.spec.node);
  const api::Node* node_obj = node == view.nodes.end() ? nullptr : &node->second;
  if (node_obj != nullptr) snap.node_admin_state = ToCore(node_obj->spec.admin_state);
  const std::optional<absl::Time> host_up =
      node_obj != nullptr ? HostUpSince(*node_obj, view.hosts) : absl::InfinitePast();
  snap.readiness = UnitReadiness(unit, node_obj, host_up.has_value());
  if (snap.readiness == core::Readiness::kInService) {
    // A unit on a nested node is in service no earlier than its host VM runs:
    // switchback probation counts from then.
    snap.in_service_since = std::max(ParseRfc3339(unit.status.in_service_since), *host_up);
  }
  return snap;
}

core::InstanceSpec ToCoreInstance(const api::ServiceInstance& si) {
  const api::ServiceInstanceSpec& s = si.spec;
  core::InstanceSpec spec;
  spec.name = si.metadata.name;
  spec.rank = ClampInt(s.rank);
  spec.admin_state = ToCore(s.admin_state);
  spec.preferred_active_assignments = ClampInt(s.preferred_active_assignments);
  spec.preferred_standby_assignments = ClampInt(s.preferred_standby_assignments);
  for (const api::RankedUnit& ranked : s.ranked_units) {
    spec.ranked_units.push_back({ranked.unit, ClampInt(ranked.rank)});
  }
  for (const api::InstanceDependency& dependency : s.depends_on) {
    spec.depends_on.push_back({dependency.service_instance,
                               absl::FromChrono(dependency.tolerance_time)});
  }
  for (const api::Csi& csi : s.csis) spec.csis.push_back({csi.name, csi.depends_on});
  return spec;
}

// What each unit reports reached: unit -> SI -> HA state.
using ReachedIndex =
    std::unordered_map<std::string_view, std::unordered_map<std::string_view, api::HaState>>;

ReachedIndex IndexReached(const GroupView& view) {
  ReachedIndex index;
  for (const auto& [name, unit] : view.units) {
    auto& reached = index[name];
    for (const api::ReachedHaState& r : unit.status.ha_states) {
      reached.emplace(r.service_instance, r.ha_state);
    }
  }
  return index;
}

void AddAssignments(const api::ServiceInstance& si, const ReachedIndex& reached,
                    std::vector<core::Assignment>& out) {
  for (const api::Assignment& a : si.status.assignments) {
    if (a.ha_state == api::HaState::kNone) continue;
    core::Assignment assignment;
    assignment.instance = si.metadata.name;
    assignment.unit = a.unit;
    assignment.ha_state = ToCore(a.ha_state);
    assignment.successor = a.successor.unit;
    auto unit = reached.find(a.unit);
    if (unit != reached.end()) {
      auto state = unit->second.find(si.metadata.name);
      assignment.confirmed = state != unit->second.end() && state->second == a.ha_state;
    }
    out.push_back(std::move(assignment));
  }
}

void AddSponsors(const GroupView& view, core::GroupSnapshot& snapshot) {
  std::set<std::string> named;
  for (const auto& [name, si] : view.instances) {
    for (const api::InstanceDependency& d : si.spec.depends_on) {
      named.insert(d.service_instance);
    }
  }
  for (const std::string& name : named) {
    if (auto own = view.instances.find(name); own != view.instances.end()) {
      snapshot.sponsors.push_back(SponsorActivity(own->second));
    } else if (auto other = view.sponsors.find(name); other != view.sponsors.end()) {
      snapshot.sponsors.push_back(SponsorActivity(other->second));
    }
  }
}

bool Finished(const api::Operation& op) {
  return op.status.phase == api::OperationPhase::kSucceeded ||
         op.status.phase == api::OperationPhase::kFailed;
}

void AddSwaps(const GroupView& view, core::GroupSnapshot& snapshot) {
  std::set<std::string> requested;
  for (const api::Operation& op : view.operations) {  // oldest first
    if (op.spec.action != api::OperationAction::kSwapServiceInstance ||
        Finished(op) || !view.instances.count(op.spec.target) ||
        !requested.insert(op.spec.target).second) {
      continue;
    }
    snapshot.swaps.push_back({op.spec.target, op.status.from_unit});
  }
}

}  // namespace

core::GroupSnapshot BuildSnapshot(const GroupView& view, absl::Time now) {
  core::GroupSnapshot snapshot;
  snapshot.group = ToCoreGroup(view.group);
  for (const auto& [name, unit] : view.units) {
    snapshot.units.push_back(ToCoreUnit(unit, view));
  }
  const ReachedIndex reached = IndexReached(view);
  for (const auto& [name, si] : view.instances) {
    snapshot.instances.push_back(ToCoreInstance(si));
    AddAssignments(si, reached, snapshot.assignments);
  }
  AddSponsors(view, snapshot);
  AddSwaps(view, snapshot);
  snapshot.now = now;
  snapshot.last_adjustment = ParseRfc3339(view.group.status.last_adjustment);
  return snapshot;
}

}  // namespace vigil::controllers
