#include "agent/status_writer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kRetryBase{20};
constexpr std::chrono::milliseconds kRetryMax{2000};

}  // namespace

StatusWriter::StatusWriter(Log log, std::chrono::milliseconds quiet_period)
    : log_(std::move(log)), quiet_period_(quiet_period) {}

StatusWriter::~StatusWriter() { Stop(std::chrono::milliseconds(0)); }

void StatusWriter::Start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void StatusWriter::Stop(std::chrono::milliseconds flush_timeout) {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    flush_deadline_ = Steady::now() + flush_timeout;
  }
  cv_.notify_all();
  thread_.join();
}

void StatusWriter::Put(const std::string& key, Write write, bool urgent) {
  {
    std::lock_guard lock(mu_);
    auto [it, added] = slots_.try_emplace(key);
    it->second.write = std::move(write);
    it->second.version = next_version_++;
    it->second.not_before = Steady::time_point();
    it->second.failures = 0;
    if (urgent) {
      // Promote: an urgent report jumps ahead of the normal queue.
      std::erase(normal_, key);
      if (std::find(urgent_.begin(), urgent_.end(), key) == urgent_.end()) {
        urgent_.push_back(key);
      }
    } else if (added) {
      normal_.push_back(key);
    }
  }
  cv_.notify_all();
}

bool StatusWriter::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return slots_.empty() && in_flight_ == 0; });
}

int64_t StatusWriter::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

// Takes the first due key, urgent ones first; ordinary ones only after the
// quiet period. The slot stays in slots_ (a Put while writing replaces it;
// Finish compares versions).
bool StatusWriter::TakeNextLocked(std::string* key, Slot* slot, bool* urgent) {
  const Steady::time_point now = Steady::now();
  for (std::deque<std::string>* queue : {&urgent_, &normal_}) {
    if (queue == &normal_ && now < quiet_until_) return false;
    for (auto it = queue->begin(); it != queue->end(); ++it) {
      const Slot& candidate = slots_.at(*it);
      if (candidate.not_before > now) continue;
      *key = *it;
      *slot = candidate;
      *urgent = queue == &urgent_;
      queue->erase(it);
      return true;
    }
  }
  return false;
}

// When the next queued report becomes due (at most 200 ms ahead: Stop and
// Put wake the thread anyway).
Steady::time_point StatusWriter::NextDueLocked() const {
  const Steady::time_point now = Steady::now();
  Steady::time_point due = now + std::chrono::milliseconds(200);
  for (const std::string& key : urgent_) due = std::min(due, slots_.at(key).not_before);
  for (const std::string& key : normal_) {
    due = std::min(due, std::max(slots_.at(key).not_before, quiet_until_));
  }
  return std::max(due, now);
}

void StatusWriter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    std::string key;
    Slot slot;
    bool urgent = false;
    if (TakeNextLocked(&key, &slot, &urgent)) {
      ++in_flight_;
      lock.unlock();
      absl::Status status = slot.write();
      lock.lock();
      --in_flight_;
      if (urgent) quiet_until_ = Steady::now() + quiet_period_;
      Finish(key, slot, status);
      cv_.notify_all();
      continue;
    }
    if (stopping_ && (slots_.empty() || Steady::now() >= flush_deadline_)) return;
    Steady::time_point wake = NextDueLocked();
    if (stopping_) wake = std::min(wake, flush_deadline_);
    cv_.wait_until(lock, wake);
  }
}

void StatusWriter::Finish(const std::string& key, const Slot& slot, const absl::Status& status) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  const bool superseded = it->second.version != slot.version;
  if (status.ok()) ++writes_;
  if (superseded) {
    // A newer report arrived while writing; it is queued already unless
    // Put found the key present and did not requeue it.
    if (std::find(urgent_.begin(), urgent_.end(), key) == urgent_.end() &&
        std::find(normal_.begin(), normal_.end(), key) == normal_.end()) {
      normal_.push_back(key);
    }
    return;
  }
  if (status.ok() || absl::IsNotFound(status)) {
    slots_.erase(it);
    return;
  }
  Slot& retry = it->second;
  ++retry.failures;
  auto delay = std::min(kRetryMax, kRetryBase * (1 << std::min(retry.failures, 7)));
  retry.not_before = Steady::now() + delay;
  normal_.push_back(key);
  if (log_ && (retry.failures == 1 || retry.failures % 20 == 0)) {
    log_(absl::StrCat("writing ", key, " failed (", retry.failures,
                      " times, retrying): ", status.message()));
  }
}

StatusWriter::Write UpdateStatusWrite(client::Client* client, std::string user, std::string kind,
                                      std::string name, api::Json status) {
  return [=]() -> absl::Status {
    api::Json obj = {{"apiVersion", std::string(api::kApiVersion)},
                     {"kind", kind},
                     {"metadata", {{"name", name}}},
                     {"status", status}};
    return client->UpdateStatus(obj, {.dry_run = false, .user = user}).status();
  };
}

StatusWriter::Write PatchStatusWrite(client::Client* client, std::string user, std::string kind,
                                     std::string name, api::Json patch) {
  return [=]() -> absl::Status {
    return client
        ->Patch(kind, name, {{"status", patch}}, /*status=*/true, {.dry_run = false, .user = user})
        .status();
  };
}

}  // namespace vigil::agent
