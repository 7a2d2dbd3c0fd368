#include "controllers/assignment_engine.h"

#include "controllers/core_adjust.h"
#include "controllers/core_context.h"
#include "controllers/core_staging.h"

namespace vigil::core {

namespace {

// Spares to start so preferredInServiceUnits units are in service, and
// units to terminate: LockedInstantiation, or spares beyond the preferred
// count that hold nothing.
void ChoosePresence(const internal::GroupContext& ctx, Decision& decision) {
  for (int u : ctx.unit_order()) {
    const internal::UnitInfo& info = ctx.unit(u);
    Readiness readiness = ctx.unit_spec(u).readiness;
    if (readiness == Readiness::kAwaitingFence) continue;  // its node is unreachable
    bool stopped = readiness == Readiness::kOutOfService;
    if (info.locked_instantiation || !info.wanted_in_service) {
      if (!stopped && readiness != Readiness::kFailed && !info.holds_work) {
        decision.units_to_stop.push_back(ctx.unit_name(u));
      }
      continue;
    }
    if (stopped && info.admin_unlocked) {
      decision.units_to_start.push_back(ctx.unit_name(u));
    }
  }
}

}  // namespace

Decision DecideAssignments(const GroupSnapshot& snapshot) {
  internal::GroupContext ctx(snapshot);
  internal::AdjustOutcome outcome = internal::PlanAssignments(ctx);
  Decision decision;
  decision.adjustment_started = outcome.adjustment_started;
  decision.requeue_at = outcome.requeue_at;
  decision.swaps = std::move(outcome.swaps);
  internal::StageChanges(ctx, outcome.plan, decision);
  ChoosePresence(ctx, decision);
  return decision;
}

}  // namespace vigil::core
