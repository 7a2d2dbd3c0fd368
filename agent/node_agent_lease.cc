// NodeAgent: the node's Lease, and self-fencing when it cannot be renewed.
#include "absl/strings/str_cat.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {

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
  ScheduleStatus();
}

// The lease is renewed again. Components may run again once the caches had
// time to show what the controller did meanwhile (its failover), so that a
// unit that is no longer active here is not started again from a stale view.
void NodeAgent::EndSelfFence() {
  if (!self_fenced_ || unfence_timer_ != 0) return;
  Log(absl::StrCat("lease renewed again; components may run in ",
                   options_.lease_duration.count(), "ms"));
  unfence_timer_ = loop_.PostAfter(options_.lease_duration, [this] {
    unfence_timer_ = 0;
    self_fenced_ = false;
    Log("self-fencing ended");
    loop_.Cancel(heartbeat_timer_);
    Heartbeat();
    Reconcile();
  });
}

}  // namespace vigil::agent
