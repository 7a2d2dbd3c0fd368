#include "store/watcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::store {
namespace {

// Log records examined per replay read: bounds the time Next() spends in
// the log before returning what it found.
constexpr size_t kReplayChunkRecords = 1000;

}  // namespace

Watcher::Watcher(std::string kind, int64_t start_revision,
                 const WatchHubOptions& options,
                 const std::atomic<int64_t>* published)
    : kind_(std::move(kind)),
      start_revision_(start_revision),
      options_(options),
      published_(published),
      last_activity_(Clock::now()) {}

void Watcher::AttachReplay(std::unique_ptr<EventReplay> replay, int64_t after,
                           int64_t up_to) {
  std::lock_guard lock(replay_mu_);
  replay_ = std::move(replay);
  replay_after_ = after;
  replay_up_to_ = up_to;
}

bool Watcher::Wants(const PublishedEvent& event) const {
  return event.event.revision > start_revision_ &&
         (kind_.empty() || event.kind == kind_);
}

void Watcher::Deliver(const std::vector<PublishedEventPtr>& batch) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stop_reason_ != nullptr || overflowed_) return;
    for (const PublishedEventPtr& event : batch) {
      if (!Wants(*event)) continue;
      if (live_.size() >= options_.buffer_events) {
        overflowed_ = true;
        live_.clear();
        break;
      }
      live_.push_back(event);
      wake = true;
    }
    wake = wake || overflowed_;
  }
  if (wake) cv_.notify_all();
}

absl::StatusOr<std::vector<Event>> Watcher::Next(
    std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::StatusOr<std::vector<Event>> replayed = NextFromReplay();
  if (!replayed.ok() || !replayed->empty()) return replayed;

  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_reason_ != nullptr) return absl::CancelledError(stop_reason_);
    if (overflowed_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "watch ended: more than ", options_.buffer_events,
          " events pending; the consumer fell behind (re-list and re-watch)"));
    }
    if (!live_.empty()) return TakeLive(lock);
    const Clock::time_point now = Clock::now();
    const Clock::time_point bookmark_at =
        last_activity_ + options_.bookmark_interval;
    if (now >= bookmark_at) {
      last_activity_ = now;
      return std::vector<Event>{Bookmark()};
    }
    if (now >= deadline) return std::vector<Event>{};
    cv_.wait_until(lock, std::min(deadline, bookmark_at));
  }
}

absl::StatusOr<std::vector<Event>> Watcher::NextFromReplay() {
  std::lock_guard replay_lock(replay_mu_);
  std::vector<Event> events;
  while (replay_ != nullptr && events.empty()) {
    absl::StatusOr<int64_t> last = replay_->Read(
        kind_, replay_after_, replay_up_to_, kReplayChunkRecords, &events);
    if (!last.ok()) {
      replay_.reset();
      return last.status();
    }
    replay_after_ = *last;
    if (replay_after_ >= replay_up_to_) replay_.reset();
  }
  if (!events.empty()) {
    std::lock_guard lock(mu_);
    if (stop_reason_ != nullptr) return absl::CancelledError(stop_reason_);
    last_activity_ = Clock::now();
  }
  return events;
}

absl::StatusOr<std::vector<Event>> Watcher::TakeLive(
    std::unique_lock<std::mutex>& lock) {
  std::deque<PublishedEventPtr> taken;
  taken.swap(live_);
  last_activity_ = Clock::now();
  lock.unlock();
  // Copies are made outside the lock so delivery never waits on them.
  std::vector<Event> events;
  events.reserve(taken.size());
  for (const PublishedEventPtr& event : taken) events.push_back(event->event);
  return events;
}

Event Watcher::Bookmark() const {
  Event bookmark;
  bookmark.type = Event::Type::kBookmark;
  bookmark.revision = std::max(published_->load(), start_revision_);
  bookmark.object = {
      {"kind", kind_},
      {"metadata", {{"resourceVersion", std::to_string(bookmark.revision)}}}};
  return bookmark;
}

void Watcher::Stop(const char* reason) {
  {
    std::lock_guard lock(mu_);
    if (stop_reason_ == nullptr) stop_reason_ = reason;
    live_.clear();
  }
  cv_.notify_all();
  std::lock_guard replay_lock(replay_mu_);
  replay_.reset();
}

}  // namespace vigil::store
