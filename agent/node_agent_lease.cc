// NodeAgent: the node's Lease, and self-fencing when it cannot be renewed.
#include "absl/strings/str_cat.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {

namespace {

// A merge patch of the node's status: Ready=False, reason SelfFenced. Queued
// under the node's status key, it replaces a heartbeat still queued from
// before the lease lapsed, and follows (the writer is serial) one still in
// flight on a cut network: a Ready=True sent before a partition must not land
// after it and show the node back before its components may run again.
api::Json SelfFencedPatch(const std::string& now, const std::string& message,
                          const std::optional<api::Node>& node) {
  api::Condition ready;
  ready.type = "Ready";
  ready.status = api::ConditionStatus::kFalse;
  ready.last_transition_time = now;
  ready.reason = "SelfFenced";
  ready.message = message;
  if (node.has_value()) ready.observed_generation = node->metadata.generation;
  return {{"conditions", api::Json::array({api::ToJson(ready)})}};
}

}  // namespace

absl::Status NodeAgent::StartLease() {
  if (options_.lease_duration.count() == 0) return absl::OkStatus();
  LeaseOptions lease{.node = options_.node,
                     .holder = absl::StrCat(options_.node, "/", getpid()),
                     .user = options_.user,
                     .lease_duration = options_.lease_duration,
                     .renew_interval = options_.lease_renew_interval,
                     .self_fence_after = options_.lease_self_fence_after};
  if (absl::Status s = ValidateLeaseOptions(lease); !s.ok()) return s;
  lease_ = std::make_unique<LeaseKeeper>(
      client_, std::move(lease),
      [this](bool held, std::chrono::milliseconds since) { OnLeaseChange(held, since); },
      [this](const std::string& line) { Log(line); });
  if (absl::Status s = lease_->Start(); !s.ok()) {
    Log("first lease renewal failed (retrying): " + std::string(s.message()));
  }
  return absl::OkStatus();
}

// Called on the lease keeper's watchdog thread.
void NodeAgent::OnLeaseChange(bool held, std::chrono::milliseconds since_renewal) {
  loop_.Post([this, held, since_renewal] {
    if (held) {
      EndSelfFence();
    } else {
      SelfFence(since_renewal);
    }
  });
}

// Like a watchdog: the controller is about to fail this node over, so
// nothing here may go on serving. Every component is stopped at once.
void NodeAgent::SelfFence(std::chrono::milliseconds since_renewal) {
  if (unfence_timer_ != 0) loop_.Cancel(unfence_timer_);
  unfence_timer_ = 0;
  if (self_fenced_ || stopping_) return;
  self_fenced_ = true;
  Log(absl::StrCat("lease not renewed for ", since_renewal.count(),
                   "ms: stopping every component (self-fencing) before the node is failed over"));
  for (auto& [name, entry] : components_by_name_) entry->runner->Fence();
  writer_.Put("Node/" + options_.node,
              PatchStatusWrite(client_, options_.user, "Node", options_.node,
                               SelfFencedPatch(Now(), "the agent's lease lapsed: its components are stopped",
                                               view_.node)));
  ScheduleStatus();
}

// The lease is renewed again. Components may run again once the caches had
// time to show what the controller did meanwhile (its failover), so that a
// unit that is no longer active here is not started again from a stale view.
// The units return to service then (their components were stopped): their
// inServiceSince is stamped anew, so auto-adjust's probation counts from the
// node's return, not from before the partition.
void NodeAgent::EndSelfFence() {
  if (!self_fenced_ || unfence_timer_ != 0) return;
  Log(absl::StrCat("lease renewed again; components may run in ",
                   options_.lease_duration.count(), "ms"));
  writer_.Put("Node/" + options_.node,
              PatchStatusWrite(client_, options_.user, "Node", options_.node,
                               SelfFencedPatch(Now(), absl::StrCat("lease renewed again: back in ",
                                                                   options_.lease_duration.count(), "ms"),
                                               view_.node)));
  unfence_timer_ = loop_.PostAfter(options_.lease_duration, [this] {
    unfence_timer_ = 0;
    self_fenced_ = false;
    for (auto& [name, unit] : unit_states_) unit->in_service = false;
    Log("self-fencing ended");
    // The units' new inServiceSince is queued before the node's Ready: the
    // controller must not see the node back with the units' old probation.
    Reconcile();
    loop_.Cancel(heartbeat_timer_);
    Heartbeat();
  });
}

}  // namespace vigil::agent
