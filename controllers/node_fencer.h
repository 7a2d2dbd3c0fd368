// NodeFencer: makes sure what a node that stopped answering ran is stopped
// before it is started elsewhere (fencing before recovery, as Pacemaker and
// OpenSAF do).
//
// When a Node's Ready condition turns False (its lease expired: see
// NodeLeaseController), that outage is identified by the condition's
// lastTransitionTime. For a Node with spec.fencing, the fencer then tries,
// once per attempt:
//   - spec.fencing.hypervisor: destroy the domains of the node's
//     virtualMachine components through that libvirt URI — this confirms the
//     fence when every component of the node is a virtual machine;
//   - spec.fencing.command: run it (exit 0 confirms the node is off).
// Until a verdict is written to status.fencing (phase Fenced, or
// ProceededUnfenced once spec.fencing.timeout has passed under the
// ProceedAfterTimeout policy), the assignment controller keeps the units of
// the node holding their assignments (Readiness AwaitingFence, see
// controllers/snapshot.h), except pre-instantiable (SA-aware) units, whose
// standbys are promoted at once. Under WaitForConfirmation it retries every
// retry_interval for as long as the outage lasts. A Node without
// spec.fencing gets phase NotConfigured: recovery relies on the agent's
// self-fencing, and status says so.
//
// Every step is written to status.fencing (phase, attempts, message with the
// last error), never silent. One thread per outage in progress.
//
// Thread safety: Start and Stop from one thread.
#ifndef VIGIL_CONTROLLERS_NODE_FENCER_H_
#define VIGIL_CONTROLLERS_NODE_FENCER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "api/types.h"
#include "client/client.h"
#include "controllers/fence_methods.h"
#include "controllers/informer.h"

namespace vigil::controllers {

// What one fencing attempt is about.
struct FenceTarget {
  std::string node{};
  std::string outage{};                // the Ready=False lastTransitionTime
  api::NodeFencing fencing{};          // the node's spec.fencing
  std::vector<std::string> domains{};  // of its virtualMachine components
  bool only_vms = false;               // every component of the node is a VM
};

// What one attempt found.
struct FenceAttempt {
  bool confirmed = false;
  std::string method{};   // "hypervisor" or "command" when confirmed
  std::string message{};  // what was done, with the errors
};

// Runs the methods of `target.fencing` once: the hypervisor first (cheap,
// precise), then the command unless the hypervisor already confirmed.
FenceAttempt AttemptFence(FenceMethods& methods, const FenceTarget& target);

// The status.fencing to write after attempt number `attempts` of an outage
// whose fencing began `elapsed` ago, and whether to try again.
struct FenceDecision {
  api::FenceStatus status;  // phase, method, message, attempts (no times)
  bool retry = false;
};
FenceDecision DecideFence(const api::NodeFencing& fencing, const FenceAttempt& attempt,
                          int64_t attempts, std::chrono::milliseconds elapsed);

struct NodeFencerOptions {
  std::string user = "node-fencer";  // written into audit lines
  std::chrono::milliseconds retry_interval{1000};
  std::shared_ptr<FenceMethods> methods;  // null: MakeFenceMethods()
  std::function<void(const std::string&)> log;  // default: stderr
};

class NodeFencer {
 public:
  // REQUIRES: client outlives the fencer.
  NodeFencer(client::Client* client, NodeFencerOptions options);
  ~NodeFencer();  // Stops.

  // Starts the informers (waiting for their first lists) and the scan thread.
  // Errors: DeadlineExceeded if an informer did not sync.
  absl::Status Start();
  // Stops scanning and waits for attempts in flight (each is bounded by its
  // node's fencing timeout).
  void Stop();

 private:
  // One outage being fenced.
  struct Episode {
    std::string outage;
    std::thread thread;
    bool done = false;  // GUARDED_BY(mu_)
  };

  void Run();
  void Scan();
  // Starts fencing `node` for `outage` unless it is already being fenced or
  // its verdict is written. REQUIRES: mu_ held.
  void StartEpisode(const std::string& node, const std::string& outage);
  void Fence(const std::string& node, const std::string& outage);
  // The node's target as the caches hold it now; nullopt once the outage is
  // over (the node is Ready again, or gone).
  std::optional<FenceTarget> TargetOf(const std::string& node, const std::string& outage) const;
  // Waits retry_interval; false when stopping or the outage is over.
  bool WaitToRetry(const std::string& node, const std::string& outage);
  bool Write(const std::string& node, const api::FenceStatus& status);
  void Log(const std::string& line) const;

  client::Client* const client_;
  const NodeFencerOptions options_;
  const std::shared_ptr<FenceMethods> methods_;
  Informer nodes_;
  Informer units_;
  Informer components_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Episode>> episodes_;  // GUARDED_BY(mu_) by node
  std::map<std::string, std::string> noted_;  // GUARDED_BY(mu_) node -> outage marked NotConfigured
  bool stopping_ = false;                     // GUARDED_BY(mu_)
  bool changed_ = false;                      // GUARDED_BY(mu_) a Node changed since the last scan
  std::thread thread_;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_NODE_FENCER_H_
