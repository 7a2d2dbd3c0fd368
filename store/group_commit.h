// Group commit: many writer threads, one synced disk write per batch.
//
// Each writer enqueues its request and waits. The writer at the front of the
// queue becomes the leader: it takes every pending request (up to a limit),
// hands them to the commit function without holding the queue lock, then
// completes them all and passes leadership to the next waiting writer. While
// a leader waits on fsync, new writers pile up and form the next batch, so
// throughput grows with the number of concurrent writers.
//
// Thread safety: Submit may be called from any number of threads. The commit
// function is never called concurrently with itself.
#ifndef VIGIL_STORE_GROUP_COMMIT_H_
#define VIGIL_STORE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "store/write_plan.h"

namespace vigil::store {

// A request waiting in the queue; lives on the submitting thread's stack.
struct PendingWrite {
  explicit PendingWrite(WriteRequest r) : request(std::move(r)) {}

  WriteRequest request;
  absl::StatusOr<Json> result;  // set by the commit function
  bool done = false;            // GUARDED_BY(GroupCommitQueue::mu_)
  std::condition_variable cv;
};

class GroupCommitQueue {
 public:
  // Commits a batch: must set `result` of every request and must not throw.
  using CommitFunction = std::function<void(std::vector<PendingWrite*>&)>;

  GroupCommitQueue(CommitFunction commit, size_t max_batch);
  GroupCommitQueue(const GroupCommitQueue&) = delete;
  GroupCommitQueue& operator=(const GroupCommitQueue&) = delete;

  // Blocks until `request` was committed (in some batch) and returns its
  // result as the commit function set it.
  absl::StatusOr<Json> Submit(WriteRequest request);

 private:
  // Runs commit_, turning an exception into an Internal result for all.
  void CommitGuarded(std::vector<PendingWrite*>& batch);

  // Called by the leader with mu_ held: completes `batch`, wakes the writers
  // and the next leader.
  void Complete(const std::vector<PendingWrite*>& batch,
                const PendingWrite* leader);

  const CommitFunction commit_;
  const size_t max_batch_;
  std::mutex mu_;
  std::deque<PendingWrite*> queue_;  // GUARDED_BY(mu_); front is the leader
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_GROUP_COMMIT_H_
