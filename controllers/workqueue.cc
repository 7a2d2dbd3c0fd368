#include "controllers/workqueue.h"

#include <algorithm>

namespace vigil::controllers {

WorkQueue::WorkQueue(WorkQueueOptions options) : options_(options) {}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  // A key being processed is queued again by Done(); never twice in flight.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds::zero()) return Add(key);
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  const Clock::time_point at = Clock::now() + delay;
  auto existing = delayed_at_.find(key);
  if (existing != delayed_at_.end()) {
    if (existing->second <= at) return;  // the earlier deadline wins
    auto [first, last] = delayed_.equal_range(existing->second);
    for (auto it = first; it != last; ++it) {
      if (it->second == key) {
        delayed_.erase(it);
        break;
      }
    }
  }
  delayed_.emplace(at, key);
  delayed_at_[key] = at;
  // A waiting Get() must recompute when to wake.
  cv_.notify_all();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    const int failures = failures_[key]++;
    const int shift = std::min(failures, 30);
    const auto scaled = options_.base_delay * (int64_t{1} << shift);
    delay = std::min<std::chrono::milliseconds>(scaled, options_.max_delay);
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::Get() { return GetUntil(std::nullopt); }

std::optional<std::string> WorkQueue::GetFor(std::chrono::milliseconds timeout) {
  return GetUntil(Clock::now() + timeout);
}

std::optional<std::string> WorkQueue::GetUntil(
    std::optional<Clock::time_point> give_up) {
  std::unique_lock lock(mu_);
  while (true) {
    if (shutting_down_) return std::nullopt;
    const Clock::time_point now = Clock::now();
    PromoteDueLocked(now);
    if (!queue_.empty()) break;
    if (give_up && now >= *give_up) return std::nullopt;
    std::optional<Clock::time_point> wake = NextDeadlineLocked();
    if (give_up && (!wake || *give_up < *wake)) wake = give_up;
    if (wake) {
      cv_.wait_until(lock, *wake);
    } else {
      cv_.wait(lock);
    }
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_at_.erase(key);
    AddLocked(key);
  }
}

std::optional<WorkQueue::Clock::time_point> WorkQueue::NextDeadlineLocked() const {
  if (delayed_.empty()) return std::nullopt;
  return delayed_.begin()->first;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.contains(key) && !shutting_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace vigil::controllers
