#include "controllers/group_reconciler.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controllers/assignment_engine.h"
#include "controllers/group_status.h"

namespace vigil::controllers {
namespace {

std::string Key(const std::string& instance, const std::string& unit) {
  return absl::StrCat(instance, "\n", unit);
}

}  // namespace

void ApplyChangesIndexed(const std::vector<core::Change>& changes,
                         std::vector<core::Assignment>& assignments,
                         std::vector<AppliedChange>& applied) {
  std::unordered_map<std::string, size_t> index;
  index.reserve(assignments.size() + changes.size());
  for (size_t i = 0; i < assignments.size(); ++i) {
    index.emplace(Key(assignments[i].instance, assignments[i].unit), i);
  }
  std::vector<bool> removed(assignments.size(), false);
  for (const core::Change& change : changes) {
    const std::string key = Key(change.instance, change.unit);
    auto it = index.find(key);
    std::optional<core::HaState> before;
    if (it != index.end()) before = assignments[it->second].ha_state;
    applied.push_back({change, before});
    switch (change.kind) {
      case core::ChangeKind::kAssign:
        if (it != index.end()) break;
        index.emplace(key, assignments.size());
        assignments.push_back({change.instance, change.unit, change.ha_state, false});
        removed.push_back(false);
        break;
      case core::ChangeKind::kSetHaState:
        if (it == index.end()) break;
        assignments[it->second].ha_state = change.ha_state;
        assignments[it->second].confirmed = false;
        assignments[it->second].successor = change.successor;
        break;
      case core::ChangeKind::kRemove:
        if (it == index.end()) break;
        removed[it->second] = true;
        index.erase(it);
        break;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < assignments.size(); ++i) {
    if (removed[i]) continue;
    if (kept != i) assignments[kept] = std::move(assignments[i]);  // no self-move
    ++kept;
  }
  assignments.resize(kept);
}

namespace {

// A decision never needs more rounds than this to reach a step that waits
// for confirmation; the cap only guards against a core that never settles.
constexpr int kMaxRounds = 32;

// Records swap progress; keeps the snapshot's swap requests in step (the
// unit a started swap moves away from; finished swaps dropped).
void TrackSwaps(const std::vector<core::SwapProgress>& progress,
                core::GroupSnapshot& snapshot,
                std::map<std::string, core::SwapProgress>& latest) {
  for (const core::SwapProgress& p : progress) {
    latest[p.instance] = p;
    auto it = std::find_if(snapshot.swaps.begin(), snapshot.swaps.end(),
                           [&](const core::SwapRequest& r) { return r.instance == p.instance; });
    if (it == snapshot.swaps.end()) continue;
    if (p.phase == core::SwapPhase::kInProgress) it->from_unit = p.from_unit;
    if (p.phase == core::SwapPhase::kDone || p.phase == core::SwapPhase::kRejected) {
      snapshot.swaps.erase(it);
    }
  }
}

struct CoreRun {
  std::map<std::string, std::string> last_reason;  // by SI
  std::map<std::string, core::SwapProgress> swaps;  // by SI
};

// Decides and applies until a decision changes nothing.
CoreRun RunCore(core::GroupSnapshot& snapshot, GroupReconcile& result) {
  CoreRun run;
  for (int round = 0; round < kMaxRounds; ++round) {
    core::Decision decision = core::DecideAssignments(snapshot);
    ++result.rounds;
    if (decision.adjustment_started) snapshot.last_adjustment = snapshot.now;
    TrackSwaps(decision.swaps, snapshot, run.swaps);
    const bool done = decision.changes.empty();
    for (const core::Change& change : decision.changes) {
      run.last_reason[change.instance] = change.reason;
    }
    ApplyChangesIndexed(decision.changes, snapshot.assignments, result.changes);
    result.last = std::move(decision);
    if (done) break;
  }
  result.requeue_at = result.last.requeue_at;
  for (const auto& [instance, progress] : run.swaps) result.swaps.push_back(progress);
  return run;
}

std::map<std::string, ObjectPtr> ByName(const std::vector<ObjectPtr>& objects) {
  std::map<std::string, ObjectPtr> out;
  for (const ObjectPtr& obj : objects) {
    if (obj != nullptr) out.emplace(api::NameOf(*obj), obj);
  }
  return out;
}

// A copy of `obj` with `status`, or nullopt when the status is unchanged.
std::optional<api::Json> WithStatus(const api::Json& obj, api::Json status) {
  auto current = obj.find("status");
  if (current != obj.end() && *current == status) return std::nullopt;
  api::Json copy = obj;
  copy["status"] = std::move(status);
  return copy;
}

std::map<std::string, std::string> NotesBySi(const core::Decision& decision) {
  std::map<std::string, std::string> notes;
  for (const core::InstanceNote& note : decision.notes) {
    std::string& text = notes[note.instance];
    text = text.empty() ? note.message : absl::StrCat(text, "; ", note.message);
  }
  return notes;
}

std::map<std::string, api::AssignmentState> WriteInstances(
    const GroupObjects& objects, const GroupView& view,
    const core::GroupSnapshot& snapshot, const CoreRun& run, absl::Time now,
    GroupReconcile& result) {
  std::map<std::string, InstanceOutcome> outcomes;
  for (const core::Assignment& a : snapshot.assignments) {
    outcomes[a.instance].assignments.push_back(a);
  }
  for (auto& [instance, note] : NotesBySi(result.last)) outcomes[instance].note = note;
  for (const auto& [instance, reason] : run.last_reason) {
    outcomes[instance].last_reason = reason;
  }
  const std::map<std::string, ObjectPtr> objs = ByName(objects.instances);
  std::map<std::string, api::AssignmentState> states;
  for (const auto& [name, si] : view.instances) {
    api::ServiceInstanceStatus status =
        NextInstanceStatus(si, outcomes[name], view, now);
    states[name] = status.assignment_state;
    auto obj = objs.find(name);
    if (obj == objs.end() || SameStatus(status, si.status)) continue;
    if (auto write = WithStatus(*obj->second, api::ToJson(status))) {
      result.instance_writes.push_back(*std::move(write));
    }
  }
  return states;
}

void WriteOperations(const GroupObjects& objects, const GroupView& view,
                     const CoreRun& run, absl::Time now, GroupReconcile& result) {
  const std::map<std::string, ObjectPtr> objs = ByName(objects.operations);
  std::set<std::string> handled;  // SIs whose oldest open swap was seen
  for (const api::Operation& op : view.operations) {  // oldest first
    if (op.spec.action != api::OperationAction::kSwapServiceInstance ||
        op.status.phase == api::OperationPhase::kSucceeded ||
        op.status.phase == api::OperationPhase::kFailed ||
        !handled.insert(op.spec.target).second) {
      continue;
    }
    auto progress = run.swaps.find(op.spec.target);
    auto obj = objs.find(op.metadata.name);
    if (progress == run.swaps.end() || obj == objs.end()) continue;
    api::OperationStatus status = NextSwapStatus(op, progress->second, now);
    if (auto write = WithStatus(*obj->second, api::ToJson(status))) {
      result.operation_writes.push_back(*std::move(write));
    }
  }
}

}  // namespace

std::string DescribeChange(const AppliedChange& applied) {
  const core::Change& c = applied.change;
  const char* state = core::ToString(c.ha_state);
  switch (c.kind) {
    case core::ChangeKind::kAssign:
      return absl::StrCat("assign ", c.instance, " -> ", c.unit, " ", state, " (",
                          c.reason, ")");
    case core::ChangeKind::kSetHaState: {
      const char* verb = "set";
      if (c.ha_state == core::HaState::kActive) verb = "promote";
      if (c.ha_state == core::HaState::kStandby &&
          applied.before == core::HaState::kActive) {
        verb = "demote";
      }
      return absl::StrCat(verb, " ", c.instance, " on ", c.unit, " to ", state, " (",
                          c.reason, ")");
    }
    case core::ChangeKind::kRemove:
      return absl::StrCat("remove ", c.instance, " from ", c.unit, " (", c.reason, ")");
  }
  return core::Describe(c);
}

absl::StatusOr<GroupReconcile> ReconcileGroup(const GroupObjects& objects,
                                              absl::Time now, ViewCache* cache) {
  absl::StatusOr<GroupView> view = ReadGroup(objects, cache);
  if (!view.ok()) return view.status();
  GroupReconcile result;
  result.unreadable = view->unreadable;
  core::GroupSnapshot snapshot = BuildSnapshot(*view, now);
  const CoreRun run = RunCore(snapshot, result);
  WriteOperations(objects, *view, run, now, result);
  GroupOutcome outcome;
  outcome.snapshot = &snapshot;
  outcome.last = &result.last;
  outcome.instance_states = WriteInstances(objects, *view, snapshot, run, now, result);
  api::ServiceGroupStatus status = NextGroupStatus(view->group, outcome, now);
  if (!SameStatus(status, view->group.status)) {
    result.group_write = WithStatus(*objects.group, api::ToJson(status));
  }
  return result;
}

}  // namespace vigil::controllers
