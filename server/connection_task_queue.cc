#include "api/strings.h"
#include "server/connection_task_queue.h"

#include <pthread.h>

#include <utility>

namespace vigil::server {

ConnectionTaskQueue::~ConnectionTaskQueue() { shutdown(); }

void ConnectionTaskQueue::enqueue(std::function<void()> fn) {
  JoinFinished();
  std::lock_guard<std::mutex> lock(mu_);
  threads_.emplace_front();
  ThreadList::iterator self = threads_.begin();
  // The thread is started only once its own list slot exists, and reports
  // that slot when done so the next enqueue can join and erase it.
  *self = std::thread([this, self, fn = std::move(fn)] {
    pthread_setname_np(pthread_self(), "vigil-http");  // visible in top -H
    fn();
    std::lock_guard<std::mutex> done_lock(mu_);
    finished_.push_back(self);
  });
}

void ConnectionTaskQueue::JoinFinished() {
  std::vector<std::thread> to_join;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (ThreadList::iterator it : finished_) {
      to_join.push_back(std::move(*it));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : to_join) t.join();
}

void ConnectionTaskQueue::shutdown() {
  ThreadList all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(threads_);
  }
  for (std::thread& t : all) {
    if (t.joinable()) t.join();
  }
  // Every thread of `all` has reported itself by now; drop those reports.
  std::lock_guard<std::mutex> lock(mu_);
  finished_.clear();
}

size_t ConnectionTaskQueue::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_.size() - finished_.size();
}

}  // namespace vigil::server
