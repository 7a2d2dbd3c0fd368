// NodeLeaseController: marks a Node not Ready (condition Ready=False, reason
// NodeLeaseExpired) when the Lease its agent renews has not changed for the
// lease's spec.leaseDuration. The assignment controller then treats every
// unit on that node as out of service and fails their assignments over (see
// controllers/snapshot.h).
//
// Expiry is timed on this controller's own steady clock from when it last saw
// the Lease change, never from the renewTime the agent wrote (the clocks of
// two machines differ), as Kubernetes' node lifecycle controller does. A
// Lease due to expire is read from the store first: a renewal stored but
// not yet delivered by a lagging watch counts as seen then. A
// Lease already there when the controller starts is given startup_grace
// (its agent may be reconnecting to a restarted vigild) until it is first
// seen renewed; from then on only its leaseDuration counts.
// The agent marks its node Ready again itself once it renews (agent/).
//
// Thread safety: Start and Stop from one thread.
#ifndef VIGIL_CONTROLLERS_NODE_LEASE_CONTROLLER_H_
#define VIGIL_CONTROLLERS_NODE_LEASE_CONTROLLER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "client/client.h"
#include "controllers/informer.h"

namespace vigil::controllers {

struct NodeLeaseControllerOptions {
  std::string user = "node-lease-controller";  // written into audit lines
  std::chrono::milliseconds startup_grace{5000};
  std::function<void(const std::string&)> log;  // default: stderr
};

class NodeLeaseController {
 public:
  // REQUIRES: client outlives the controller.
  NodeLeaseController(client::Client* client, NodeLeaseControllerOptions options);
  ~NodeLeaseController();  // Stops.

  // Starts the informers (waiting for their first lists) and the timer thread.
  // Errors: DeadlineExceeded if an informer did not sync.
  absl::Status Start();
  void Stop();

 private:
  using Steady = std::chrono::steady_clock;
  // What was last seen of one node's Lease.
  struct Seen {
    std::string resource_version;
    Steady::time_point at;
    std::chrono::milliseconds duration{0};
    std::string holder;
    // Not expired before this: a Lease found by the first list is given
    // startup_grace until it is seen to change.
    Steady::time_point grace_until;
  };

  void OnLease(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void Run();
  // Marks the nodes whose lease expired; returns when the next one may.
  Steady::time_point CheckLeases(Steady::time_point now);
  void MarkNotReady(const std::string& node, const Seen& seen, Steady::time_point now);
  // True if the stored Lease changed since `seen` (then recorded as seen
  // renewed at `now`).
  bool RenewedMeanwhile(const std::string& node, const Seen& seen, Steady::time_point now);
  void Log(const std::string& line) const;

  client::Client* const client_;
  const NodeLeaseControllerOptions options_;
  Informer leases_;
  Informer nodes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Seen> seen_;  // GUARDED_BY(mu_) by node name
  Steady::time_point started_at_;
  bool leases_synced_ = false;  // GUARDED_BY(mu_) first list of Leases delivered
  bool stopping_ = false;       // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_NODE_LEASE_CONTROLLER_H_
