#include "agent/event_loop.h"

#include <future>

namespace vigil::agent {

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
  thread_id_ = thread_.get_id();
}

void EventLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard lock(mu_);
  tasks_.clear();
  timers_.clear();
  deadlines_.clear();
}

void EventLoop::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

EventLoop::TimerId EventLoop::PostAfter(std::chrono::milliseconds delay, Task task) {
  TimerId id;
  {
    std::lock_guard lock(mu_);
    id = next_timer_++;
    if (stopping_) return id;
    timers_.emplace(id, std::move(task));
    deadlines_.emplace(Clock::now() + delay, id);
  }
  cv_.notify_one();
  return id;
}

void EventLoop::Cancel(TimerId id) {
  if (id == 0) return;
  std::lock_guard lock(mu_);
  // The deadline entry stays; it finds no task and is skipped.
  timers_.erase(id);
}

void EventLoop::RunSync(Task task) {
  std::promise<void> done;
  Post([&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

// Takes the next runnable task: posted tasks first, then due timers.
bool EventLoop::PopDueLocked(Task* task) {
  if (!tasks_.empty()) {
    *task = std::move(tasks_.front());
    tasks_.pop_front();
    return true;
  }
  const Clock::time_point now = Clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    TimerId id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled
    *task = std::move(it->second);
    timers_.erase(it);
    return true;
  }
  return false;
}

void EventLoop::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    Task task;
    if (PopDueLocked(&task)) {
      lock.unlock();
      task();
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (deadlines_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, deadlines_.begin()->first);
    }
  }
}

}  // namespace vigil::agent
