#include "controllers/operation_progress.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controllers/group_status.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {

bool OperationFinished(const api::Operation& op) {
  return op.status.phase == api::OperationPhase::kSucceeded ||
         op.status.phase == api::OperationPhase::kFailed;
}

namespace {

bool UnitServing(const api::ServiceUnit& unit) {
  return unit.status.oper_state == api::OperState::kEnabled &&
         unit.status.readiness_state == api::ReadinessState::kInService;
}

struct Verdict {
  api::OperationPhase phase = api::OperationPhase::kRunning;
  std::string message;
};

Verdict Missing(const char* kind, const std::string& name) {
  return {api::OperationPhase::kFailed, absl::StrCat(kind, " ", name, " not found")};
}

Verdict RestartUnit(const api::ServiceUnit* unit, absl::Time started,
                    const std::string& target) {
  if (unit == nullptr) return Missing("ServiceUnit", target);
  if (UnitServing(*unit) && ParseRfc3339(unit->status.in_service_since) > started) {
    return {api::OperationPhase::kSucceeded, absl::StrCat("unit ", target, " restarted")};
  }
  return {api::OperationPhase::kRunning,
          absl::StrCat("waiting for the agent of node ", unit->spec.node,
                       " to restart unit ", target)};
}

Verdict RestartComponent(const api::Component* component, absl::Time started,
                         const std::string& target) {
  if (component == nullptr) return Missing("Component", target);
  if (component->status.presence_state == api::PresenceState::kInstantiated &&
      ParseRfc3339(component->status.start_time) > started) {
    return {api::OperationPhase::kSucceeded,
            absl::StrCat("component ", target, " restarted")};
  }
  return {api::OperationPhase::kRunning,
          absl::StrCat("waiting for the agent of unit ", component->spec.service_unit,
                       " to restart component ", target)};
}

Verdict Repaired(const OperationTargets& targets, const std::string& target) {
  if (targets.unit != nullptr) {
    if (UnitServing(*targets.unit)) {
      return {api::OperationPhase::kSucceeded, absl::StrCat("unit ", target, " in service")};
    }
    return {api::OperationPhase::kRunning,
            absl::StrCat("waiting for unit ", target, " to be enabled and in service")};
  }
  if (targets.node != nullptr) {
    if (!NodeReady(*targets.node)) {
      return {api::OperationPhase::kRunning,
              absl::StrCat("waiting for node ", target, " to be ready")};
    }
    std::vector<std::string> disabled;
    for (const api::ServiceUnit* unit : targets.node_units) {
      if (unit->status.oper_state == api::OperState::kDisabled) {
        disabled.push_back(unit->metadata.name);
      }
    }
    if (!disabled.empty()) {
      return {api::OperationPhase::kRunning,
              absl::StrCat("waiting for the agent of node ", target,
                           " to repair its failed units: ", absl::StrJoin(disabled, ", "))};
    }
    return {api::OperationPhase::kSucceeded,
            absl::StrCat("node ", target, " ready, none of its units failed")};
  }
  return {api::OperationPhase::kFailed,
          absl::StrCat("no ServiceUnit or Node named ", target)};
}

Verdict Judge(const api::Operation& op, const OperationTargets& targets,
              absl::Time started) {
  const std::string& target = op.spec.target;
  switch (op.spec.action) {
    case api::OperationAction::kSwapServiceInstance:
      return Missing("ServiceInstance", target);
    case api::OperationAction::kRestartUnit:
      return RestartUnit(targets.unit, started, target);
    case api::OperationAction::kRestartComponent:
      return RestartComponent(targets.component, started, target);
    case api::OperationAction::kRepaired:
      return Repaired(targets, target);
  }
  return Missing("target", target);
}

}  // namespace

std::optional<api::OperationStatus> NextOperationStatus(const api::Operation& op,
                                                        const OperationTargets& targets,
                                                        absl::Time now) {
  if (OperationFinished(op)) return std::nullopt;
  if (op.spec.action == api::OperationAction::kSwapServiceInstance &&
      targets.instance != nullptr) {
    return std::nullopt;
  }
  api::OperationStatus next = op.status;
  next.observed_generation = op.metadata.generation;
  if (next.start_time.empty()) next.start_time = Rfc3339Millis(now);
  const Verdict verdict = Judge(op, targets, ParseRfc3339(next.start_time));
  next.phase = verdict.phase;
  next.message = verdict.message;
  const bool complete = verdict.phase != api::OperationPhase::kRunning;
  if (complete) next.completion_time = Rfc3339Millis(now);
  api::Condition condition;
  condition.type = "Complete";
  condition.status = complete ? api::ConditionStatus::kTrue : api::ConditionStatus::kFalse;
  condition.observed_generation = op.metadata.generation;
  condition.reason = std::string(api::ToString(verdict.phase));
  SetCondition(next.conditions, condition, now);
  return next;
}

}  // namespace vigil::controllers
