// NodeAgent: Vigil's agent for one node (docs/architecture.md). Embedded in
// vigild for the local node, or run alone (`vigild agent --server URL
// --node NAME`) with an HTTP client; it only ever talks to the API through
// a client::Client.
//
// It watches, through informers, its Node, the ServiceUnits placed on it
// (spec.node), their ServiceGroups and Components, the ServiceInstances
// assigned to those units, and the Operations aimed at them. On every
// change it reconciles, on one event-loop thread:
//   - one ComponentRunner per component (exec: ExecRunner; saAware:
//     SaAwareRunner; virtualMachine: VmRunner, on the Node's hypervisor) is
//     told the CSIs it should hold (its unit's
//     assignments, matched by csType) and whether its unit may run;
//   - failures reported by runners go up the local recovery ladder at once
//     (agent/recovery.h): component restart, unit restart; beyond that the
//     unit is marked operState Disabled with lastFailure — that status is
//     written first, ahead of everything else, as the controller's failover
//     starts when it lands — its components are cleaned up, and with
//     autoRepair (group and node) it is enabled and InService again once its
//     assignments are gone (or after repair_hold);
//   - statuses are written by a StatusWriter thread: ServiceUnit (presence,
//     operState, readiness, inServiceSince, haStates reached per SI,
//     restartCount, lastFailure), Component (presence, operState, haState,
//     pid, startTime, restartCount, lastFailure, Ready condition) and Node
//     (Ready condition and agent heartbeat every heartbeat_interval);
//   - Operations RestartUnit, RestartComponent and Repaired aimed at its
//     objects are carried out.
// What it started is recorded in <data_dir>/agent/<node>.json; a new agent
// re-attaches to those processes (same PIDs) instead of restarting them,
// and treats one that died meanwhile as a failure. Stop() leaves
// components running for that reason.
//
// Thread safety: Start and Stop from one thread.
#ifndef VIGIL_AGENT_NODE_AGENT_H_
#define VIGIL_AGENT_NODE_AGENT_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "agent/adoption_store.h"
#include "agent/component_runner.h"
#include "agent/event_loop.h"
#include "agent/lease_keeper.h"
#include "agent/node_view.h"
#include "agent/process.h"
#include "agent/process_monitor.h"
#include "agent/recovery.h"
#include "agent/status_writer.h"
#include "client/client.h"
#include "controllers/informer.h"
#include "virt/hypervisor.h"

namespace vigil::agent {

class LocalApiServer;
class SaAwareRunner;

struct NodeAgentOptions {
  std::string node;      // required
  std::string data_dir;  // required: logs/, agent.sock, agent/<node>.json
  std::chrono::milliseconds heartbeat_interval{1000};
  // A failed unit with auto-repair waits for the controller to take its
  // assignments away before it is repaired; after this long it is repaired
  // anyway (e.g. no controller runs).
  std::chrono::milliseconds repair_hold{5000};
  std::chrono::milliseconds sync_timeout{30000};
  std::string version = "0.1.0";
  std::string user;                             // audit name of its writes; default "agent/<node>"
  std::function<void(const std::string&)> log;  // default: stderr
  // Serve the local API for saAware components on <data_dir>/agent.sock.
  bool serve_local_api = true;
  // Opens the hypervisor of a libvirt URI (the Node's spec.hypervisor, default
  // qemu:///system) for virtualMachine components; one per URI, opened when
  // the first such component is seen. Default: LibvirtHypervisor::Open.
  std::function<absl::StatusOr<std::shared_ptr<virt::Hypervisor>>(const std::string& uri)>
      hypervisor_factory;
  // Instantiation retries of virtualMachine components (their spec has none).
  api::Instantiation vm_instantiation{.attempts = 2, .delay = std::chrono::milliseconds(1000)};
  // How long a virtualMachine's domain may stay paused before it is failed.
  std::chrono::milliseconds vm_paused_grace{10000};
  // The node's Lease (agent/lease_keeper.h): renewed every renew_interval;
  // the node is failed over once it is lease_duration old; the agent stops
  // every component itself after self_fence_after without a renewal, and
  // lets them run again lease_duration after it renews again (time for its
  // caches to show what the controller did meanwhile). A zero
  // lease_duration disables the lease (and self-fencing).
  std::chrono::milliseconds lease_duration{800};
  std::chrono::milliseconds lease_renew_interval{200};
  std::chrono::milliseconds lease_self_fence_after{500};
};

class NodeAgent {
 public:
  // REQUIRES: client outlives the agent.
  NodeAgent(client::Client* client, NodeAgentOptions options);
  ~NodeAgent();  // Stops.
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Registers the Node if missing, starts the informers and waits for their
  // first lists, re-attaches to recorded processes, and starts reconciling.
  // Errors: InvalidArgument for missing options; DeadlineExceeded if the
  // informers did not sync; Internal if the monitor or local API failed.
  absl::Status Start();
  // Stops reconciling and monitoring. Components keep running; the next
  // agent adopts them. Pending status writes are flushed (bounded).
  void Stop();
  // Terminates every component gracefully (as if unassigned), waiting up to
  // `timeout`; returns true if all stopped. REQUIRES: started.
  bool StopAllComponents(std::chrono::milliseconds timeout);

  std::string log_dir() const { return options_.data_dir + "/logs"; }
  std::string socket_path() const { return options_.data_dir + "/agent.sock"; }
  std::string state_path() const;
  // Successful status writes so far (tests and benchmarks).
  int64_t status_writes() const { return writer_.writes(); }

 private:
  struct UnitState;
  struct ComponentEntry;
  class LocalApiAdapter;

  void AddInformerHandlers();
  void ScheduleReconcile();
  void RunScheduledReconcile();  // loop thread
  void ScheduleStatus();
  void Reconcile();
  NodeView ReadView();
  // Whether an object (JSON, from an informer) concerns this node: its
  // Node, one of its units, a component of one, an SI assigned to one.
  // Called on informer threads; units are looked up in the unit cache.
  bool IsThisNode(const api::Json& node) const;
  bool IsLocalUnit(const api::Json& unit) const;
  bool IsLocalUnitName(const std::string& unit) const;
  bool IsOfLocalUnit(const api::Json& component) const;
  bool IsAssignedHere(const api::Json& instance) const;

  // Runners (node_agent_runners.cc).
  void EnsureRunners();
  std::unique_ptr<ComponentRunner> MakeRunner(const api::Component& component);
  // saAware runners and the local API they are reached through
  // (node_agent_local_api.cc).
  std::unique_ptr<ComponentRunner> MakeSaAwareRunner(const RunnerContext& context,
                                                     const ComponentIdentity& who,
                                                     const api::SaAwareSpec& spec,
                                                     const RunnerCallbacks& callbacks);
  // virtualMachine runners on the node's hypervisor (node_agent_vm.cc).
  std::unique_ptr<ComponentRunner> MakeVmRunner(const RunnerContext& context,
                                                const ComponentIdentity& who,
                                                const api::VirtualMachineSpec& spec,
                                                const RunnerCallbacks& callbacks);
  absl::Status StartLocalApi();
  void StopLocalApi();
  SaAwareRunner* FindSaAwareRunner(const std::string& component);
  void ApplyDesired();
  void RetireRemovedRunners();
  void OnRunnerFailure(const std::string& component, const api::Failure& failure);
  void RestartUnit(const std::string& unit);
  void FailUnit(const std::string& unit, const std::string& component, bool lifecycle_failure);
  void FailNode(const std::string& unit, const std::string& component,
                const FailureContext& context);
  bool CheckFenced(const std::string& unit);
  void MaybeRepair();
  void RepairUnit(const std::string& unit, const std::string& why);
  void HandleOperations();
  void AdoptOrphans();
  void KillUnrecorded();
  void SaveAdoption();

  // Status (node_agent_status.cc).
  void WriteStatuses();
  // Queues the unit's report if it changed; `urgent` (a failure) or a new
  // HA-state confirmation puts it ahead of all ordinary reports.
  void WriteUnitStatus(const std::string& unit, bool urgent);
  void WriteComponentStatus(const std::string& name);
  void Heartbeat();
  bool UnitMayRun(const std::string& unit) const;
  bool UnitInService(const std::string& unit) const;
  // True when the unit has components and every one is SA-aware
  // (pre-instantiable): its status says preInstantiable.
  bool AllComponentsSaAware(const std::string& unit) const;
  api::ServiceUnitStatus BuildUnitStatus(const std::string& unit);
  std::vector<api::ReachedHaState> ReachedHaStates(const std::string& unit);
  api::PresenceState UnitPresence(const std::string& unit) const;
  void Log(const std::string& line) const;
  std::string Now() const;

  // The lease and self-fencing (node_agent_lease.cc).
  absl::Status StartLease();
  void OnLeaseChange(bool held, std::chrono::milliseconds since_renewal);
  void SelfFence(std::chrono::milliseconds since_renewal);
  void EndSelfFence();

  client::Client* const client_;
  NodeAgentOptions options_;
  controllers::Informer node_informer_, group_informer_, unit_informer_, component_informer_,
      instance_informer_, operation_informer_;
  EventLoop loop_;
  ProcessMonitor monitor_;
  PosixSpawner spawner_;
  StatusWriter writer_;
  std::unique_ptr<LeaseKeeper> lease_;
  std::unique_ptr<LocalApiAdapter> local_api_adapter_;
  std::unique_ptr<LocalApiServer> local_api_;
  std::atomic<bool> reconcile_pending_{false};
  std::atomic<bool> status_pending_{false};
  bool started_ = false;
  bool stopping_ = false;  // loop thread: Stop() has detached the runners

  // Loop thread only.
  std::chrono::steady_clock::time_point next_reconcile_;  // see ScheduleReconcile
  NodeView view_;
  NodeViewCache view_cache_;
  std::map<std::string, std::unique_ptr<UnitState>> unit_states_;
  // Unit failovers on this node, within its unitFailoverProbation.
  std::deque<std::chrono::steady_clock::time_point> node_unit_failovers_;
  std::map<std::string, std::unique_ptr<ComponentEntry>> components_by_name_;
  AdoptionRecords adoption_;       // still to adopt (read at start)
  AdoptionRecords saved_records_;  // last written to the state file
  std::set<std::string> handled_operations_;
  // Hypervisors by URI, and why one could not be opened.
  std::map<std::string, std::shared_ptr<virt::Hypervisor>> hypervisors_;
  std::map<std::string, std::string> hypervisor_errors_;
  EventLoop::TimerId heartbeat_timer_ = 0;
  EventLoop::TimerId repair_timer_ = 0;
  bool stop_all_ = false;  // StopAllComponents: nothing may run any more
  bool self_fenced_ = false;  // the lease lapsed: nothing may run until it is back
  EventLoop::TimerId unfence_timer_ = 0;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_NODE_AGENT_H_
