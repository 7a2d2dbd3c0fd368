// NodeAgent's per-unit and per-component bookkeeping, shared by its .cc
// files (node_agent.cc, node_agent_runners.cc, node_agent_status.cc).
#ifndef VIGIL_AGENT_NODE_AGENT_INTERNAL_H_
#define VIGIL_AGENT_NODE_AGENT_INTERNAL_H_

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "agent/component_runner.h"
#include "agent/local_api.h"
#include "agent/node_agent.h"
#include "api/types.h"

namespace vigil::agent {

using SteadyTime = std::chrono::steady_clock::time_point;

struct NodeAgent::UnitState {
  bool failed = false;  // operState Disabled until repaired
  // A failed component still being cleaned up: the unit is reported
  // Disabled (and failed over) only once it is gone, so the standby never
  // starts while the failed active still runs.
  std::string fencing_component;
  SteadyTime failed_at;
  SteadyTime repaired_at;
  // Failures soon after a repair, in a row: each doubles the wait before
  // the next repair, so a unit that cannot start does not flap.
  int quick_failures = 0;
  api::Failure last_failure;
  int64_t restart_count = 0;
  std::deque<SteadyTime> unit_restarts;  // within unitRestartProbation
  bool restarting = false;               // a unit restart is in progress
  bool in_service = false;               // readiness last reported
  std::string in_service_since;
  std::vector<api::ReachedHaState> reached;  // haStates last reported
  api::Json last_status;                     // last status queued for writing
};

struct NodeAgent::ComponentEntry {
  std::unique_ptr<ComponentRunner> runner;
  std::string unit;
  std::string kind;                 // "exec", "saAware" or "virtualMachine"
  api::Json spec;                   // the spec the runner was made or updated with
  bool removing = false;            // gone from the view: stopping, then erased
  std::deque<SteadyTime> restarts;  // within componentRestartProbation
  std::vector<CsiAssignment> csis;  // what it was last told to hold
  std::vector<api::Condition> conditions;
  api::Json last_status;

  bool Wants(const std::string& si) const {
    return std::any_of(csis.begin(), csis.end(),
                       [&](const CsiAssignment& c) { return c.service_instance == si; });
  }
  bool Holds(const std::string& si) const {
    std::vector<CsiAssignment> running = runner->RunningCsis();
    return std::any_of(running.begin(), running.end(),
                       [&](const CsiAssignment& c) { return c.service_instance == si; });
  }
};

// Routes the local API's calls (server threads) to the saAware runners
// (loop thread).
class NodeAgent::LocalApiAdapter : public LocalApiHandler {
 public:
  explicit LocalApiAdapter(NodeAgent* agent) : agent_(agent) {}
  absl::StatusOr<api::Json> Register(const std::string& component, const std::string& token,
                                     std::shared_ptr<SaSession> session) override;
  void Confirm(const std::string& component, const std::string& token, int64_t seq, bool ok,
               const std::string& message) override;
  void Heartbeat(const std::string& component, const std::string& token) override;
  void HealthCheckAnswer(const std::string& component, const std::string& token,
                         int64_t seq) override;
  void ReportError(const std::string& component, const std::string& token,
                   std::optional<api::RecoveryAction> recovery, const std::string& reason) override;

 private:
  void OnRunner(const std::string& component, std::function<void(SaAwareRunner&)> action);
  NodeAgent* const agent_;
};

// "exec", "saAware", "virtualMachine" or "" for a component's spec.
std::string ComponentKind(const api::ComponentSpec& spec);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_NODE_AGENT_INTERNAL_H_
