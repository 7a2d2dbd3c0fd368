// AssignmentController: the live reconciler that keeps every ServiceGroup's
// assignments where the decision core wants them (docs/architecture.md).
//
// Informers cache ServiceGroups, ServiceUnits, ServiceInstances, Nodes,
// Operations and Components; their handlers map each event to the affected
// work-queue keys (a ServiceGroup name, or "operation:NAME" for an
// Operation the node agents carry out) and return. Worker threads
// (options.workers) each take one key at a time; the queue never hands one
// key to two of them at once:
//   - a group: ReconcileGroup (controllers/group_reconciler.h) on the cached
//     objects, then UpdateStatus (compare-and-swap on resourceVersion) of
//     the swap Operations, the group and the SIs whose status changed; a
//     conflict requeues the key rate-limited; the core's requeue_at becomes
//     AddAfter; success Forgets the key's failures;
//   - an operation: NextOperationStatus (controllers/operation_progress.h).
// Deciding (reading the caches and the overlay, running the core) is
// serialized under one lock and takes milliseconds; the writes, which wait
// for the store's disk sync, overlap: when a node holding the actives of
// many groups fails, their promotions go out together instead of one group
// after the other. The workers start only once every informer has synced,
// so a reconcile never sees half a cache. Cached objects are never mutated;
// the statuses written are remembered until the informer catches up, so an
// event that arrives before the echo of its own write does not cause a
// conflict.
// SIs whose group does not exist are left without assignments.
// Restart-safe: everything is re-derived from the store (confirmations from
// the units' status.haStates, timers from lastAdjustment and the
// conditions), and a settled group is not written to.
//
// Thread safety: Start and Stop from one thread; stats() from any thread.
#ifndef VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_H_
#define VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "controllers/group_reconciler.h"
#include "controllers/informer.h"
#include "controllers/object_index.h"
#include "controllers/workqueue.h"

namespace vigil::controllers {

struct AssignmentControllerOptions {
  // The controller's clock (tests may fake it).
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Receives one line per change made and per problem (default: stderr).
  std::function<void(const std::string&)> log;
  // Also log one line per reconcile with its CPU time.
  bool debug = false;
  // How long Start waits for the informers' first lists.
  std::chrono::milliseconds sync_timeout{std::chrono::seconds(30)};
  WorkQueueOptions queue;
  // Keys reconciled at once (at least 1).
  int workers = 4;
  std::string user = "assignment-controller";  // written into audit lines
};

// Counters since Start. CPU times are the worker threads' (user + system,
// CLOCK_THREAD_CPUTIME_ID): `decide` covers snapshot + core + status building,
// `total` the whole reconcile including the writes.
struct AssignmentControllerStats {
  int64_t reconciles = 0;        // keys processed
  int64_t group_reconciles = 0;  // of which groups
  int64_t writes = 0;
  int64_t conflicts = 0;
  int64_t errors = 0;
  int64_t changes = 0;
  absl::Duration last_total_cpu;
  absl::Duration last_decide_cpu;
  absl::Duration sum_total_cpu;
  absl::Duration sum_decide_cpu;
  absl::Duration max_total_cpu;

  absl::Duration AverageTotalCpu() const;
  absl::Duration AverageDecideCpu() const;
};

class AssignmentController {
 public:
  // REQUIRES: client outlives the controller.
  explicit AssignmentController(client::Client* client,
                                AssignmentControllerOptions options = {});
  ~AssignmentController();  // Stops if running.

  AssignmentController(const AssignmentController&) = delete;
  AssignmentController& operator=(const AssignmentController&) = delete;

  // Starts the informers, waits until all have synced, then starts the
  // workers (every group and open operation is reconciled once at start).
  // Errors: DeadlineExceeded if the informers did not sync within
  // options.sync_timeout (everything started is stopped again).
  // REQUIRES: not running.
  absl::Status Start();
  // Stops the workers and the informers; no write happens after it returns.
  void Stop();

  AssignmentControllerStats stats() const;

 private:
  struct Overlay;  // statuses written, until the informers catch up

  void AddHandlers();
  void OnGroup(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnUnit(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnInstance(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnNode(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnOperation(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnComponent(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void EnqueueGroupsOf(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void EnqueueGroupsOfUnits(const std::vector<std::string>& units);
  void EnqueueOperationsOn(const std::string& target);

  void RunWorker();
  void Process(const std::string& key);
  // Returns false when the key must be retried (rate-limited).
  bool ReconcileGroupKey(const std::string& group, absl::Time now);
  bool ReconcileOperationKey(const std::string& name, absl::Time now);
  // The rest of this block REQUIRES decide_mu_ held.
  // The core's verdict on the group's cached objects (counted in stats).
  absl::StatusOr<GroupReconcile> Decide(const ObjectPtr& group, absl::Time now);
  // The group is gone: the statuses that take its SIs' assignments away.
  std::vector<api::Json> OrphanReleases(const std::string& group, absl::Time now);
  GroupObjects Gather(const ObjectPtr& group);
  // The cached object, or the overlay's copy when that is newer.
  ObjectPtr Fetch(Informer& informer, const std::string& name);
  // The writes: REQUIRE decide_mu_ NOT held (they wait for the store).
  // Writes `obj`'s status; false on any error (conflicts counted).
  bool WriteStatus(const api::Json& obj);
  // Writes every status, concurrently; true if all succeeded (each
  // recorded as WriteStatus records it).
  bool WriteStatuses(const std::vector<api::Json>& objs);
  static constexpr size_t kConcurrentStatusWrites = 16;
  // Counts a status write and, if it succeeded, keeps the written object
  // in the overlay; false if it failed.
  bool RecordWrite(const api::Json& obj, absl::StatusOr<api::Json> written);
  void LogChanges(const std::string& group, const GroupReconcile& result);
  void Log(const std::string& line) const;

  client::Client* const client_;
  const AssignmentControllerOptions options_;
  WorkQueue queue_;
  Informer groups_, units_, instances_, nodes_, operations_, components_;
  ObjectIndex unit_group_;      // unit -> its group
  ObjectIndex unit_node_;       // unit -> its node
  ObjectIndex instance_group_;  // SI -> its group
  ObjectIndex sponsors_;        // SI -> the SIs it depends on
  ObjectIndex node_host_;       // node -> the SI of the VM hosting it (spec.hostedBy)
  ObjectIndex targets_;         // operation -> its target
  std::mutex decide_mu_;              // held while reading caches and deciding
  std::unique_ptr<Overlay> overlay_;  // GUARDED_BY(decide_mu_)
  std::vector<std::thread> workers_;
  std::atomic<bool> running_{false};

  mutable std::mutex stats_mu_;
  AssignmentControllerStats stats_;  // GUARDED_BY(stats_mu_)
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_ASSIGNMENT_CONTROLLER_H_
