#include "store/group_commit.h"

#include <algorithm>

namespace vigil::store {

GroupCommitQueue::GroupCommitQueue(CommitFunction commit, size_t max_batch)
    : commit_(std::move(commit)), max_batch_(std::max<size_t>(1, max_batch)) {}

absl::StatusOr<Json> GroupCommitQueue::Submit(WriteRequest request) {
  PendingWrite write(std::move(request));
  std::unique_lock lock(mu_);
  queue_.push_back(&write);
  write.cv.wait(lock, [&] { return write.done || queue_.front() == &write; });
  if (write.done) return std::move(write.result);

  size_t count = std::min(queue_.size(), max_batch_);
  std::vector<PendingWrite*> batch(queue_.begin(), queue_.begin() + count);
  lock.unlock();
  CommitGuarded(batch);
  lock.lock();
  Complete(batch, &write);
  return std::move(write.result);
}

void GroupCommitQueue::CommitGuarded(std::vector<PendingWrite*>& batch) {
  // An exception escaping here would leave the other writers waiting forever.
  try {
    commit_(batch);
  } catch (const std::exception& e) {
    for (PendingWrite* write : batch) {
      write->result = absl::InternalError(
          std::string("commit failed: ") + e.what());
    }
  }
}

void GroupCommitQueue::Complete(const std::vector<PendingWrite*>& batch,
                                const PendingWrite* leader) {
  for (PendingWrite* write : batch) {
    queue_.pop_front();
    if (write == leader) continue;
    write->done = true;
    // Notified under the lock: once the writer sees `done` it returns and
    // destroys `write`, so it must not be touched after unlocking.
    write->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
}

}  // namespace vigil::store
