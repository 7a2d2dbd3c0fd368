#include "agent/lease_keeper.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/component_runner.h"
#include "api/object.h"

namespace vigil::agent {
namespace {

using std::chrono::milliseconds;

std::string Ms(milliseconds d) { return absl::StrCat(d.count(), "ms"); }

}  // namespace

absl::Status ValidateLeaseOptions(const LeaseOptions& options) {
  if (options.node.empty()) return absl::InvalidArgumentError("lease: the node name is empty");
  if (options.renew_interval <= milliseconds(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease renew interval ", Ms(options.renew_interval), ": must be more than 0ms"));
  }
  if (options.self_fence_after <= options.renew_interval) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease self-fence time ", Ms(options.self_fence_after),
        ": must be more than the renew interval (", Ms(options.renew_interval), ")"));
  }
  if (options.lease_duration <= options.self_fence_after) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease duration ", Ms(options.lease_duration),
        ": must be more than the self-fence time (", Ms(options.self_fence_after),
        "), so that a cut-off node stops serving before it is failed over"));
  }
  return absl::OkStatus();
}

LeaseKeeper::LeaseKeeper(client::Client* client, LeaseOptions options, OnChange on_change,
                         Log log)
    : client_(client),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      log_(std::move(log)) {}

LeaseKeeper::~LeaseKeeper() { Stop(); }

absl::Status LeaseKeeper::Start() {
  acquire_time_ = FormatTime(std::chrono::system_clock::now());
  absl::Status first = Renew();
  if (first.ok()) held_ = true;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
    next_send_ = Steady::now() + options_.renew_interval;
  }
  for (int i = 0; i < kRenewersInFlight; ++i) renewers_.emplace_back([this] { RenewLoop(); });
  watchdog_ = std::thread([this] { WatchLoop(); });
  return first;
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& renewer : renewers_) renewer.join();
  renewers_.clear();
  if (watchdog_.joinable()) watchdog_.join();
}

// One renewal: a merge patch of the Lease's spec, or its creation.
absl::Status LeaseKeeper::Renew() {
  const Steady::time_point sent = Steady::now();
  const api::Json spec = {{"holderIdentity", options_.holder},
                          {"leaseDuration", Ms(options_.lease_duration)},
                          {"renewTime", FormatTime(std::chrono::system_clock::now())},
                          {"acquireTime", acquire_time_}};
  client::WriteOptions write;
  write.user = options_.user;
  absl::StatusOr<api::Json> written =
      client_->Patch("Lease", options_.node, {{"spec", spec}}, /*status=*/false, write);
  if (absl::IsNotFound(written.status())) {
    const api::Json lease = {{"apiVersion", std::string(api::kApiVersion)},
                             {"kind", "Lease"},
                             {"metadata", {{"name", options_.node}}},
                             {"spec", spec}};
    written = client_->Create(lease, write);
    // Another renewer created it meanwhile.
    if (absl::IsAlreadyExists(written.status())) {
      written = client_->Patch("Lease", options_.node, {{"spec", spec}}, /*status=*/false, write);
    }
  }
  if (!written.ok()) {
    if (!failing_.exchange(true) && log_) {
      log_("renewing lease " + options_.node + ": " + written.status().ToString());
    }
    return written.status();
  }
  if (failing_.exchange(false) && log_) log_("lease " + options_.node + " renewed again");
  LogIfSlow(sent);
  Acknowledged(sent);
  return absl::OkStatus();
}

void LeaseKeeper::Acknowledged(Steady::time_point sent) {
  const int64_t at = sent.time_since_epoch().count();
  int64_t last = last_renewal_sent_.load();
  while (last < at && !last_renewal_sent_.compare_exchange_weak(last, at)) {
  }
}

// A renewal slower than the renew interval eats into the margin before
// self-fencing: worth a line, as the first sign of an overloaded server.
void LeaseKeeper::LogIfSlow(Steady::time_point sent) const {
  const auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - sent);
  if (took <= options_.renew_interval || !log_) return;
  const auto sent_wall = std::chrono::system_clock::now() - took;
  log_(absl::StrCat("lease ", options_.node, " renewal sent at ", FormatTime(sent_wall), " took ",
                    Ms(took), " (self-fence after ", Ms(options_.self_fence_after), ")"));
}

// Run by each renewer: takes the next turn (one every renew_interval, or at
// once if turns were missed while every renewer was busy), waits for it and
// renews.
void LeaseKeeper::RenewLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const Steady::time_point turn = std::max(next_send_, Steady::now());
    next_send_ = turn + options_.renew_interval;
    if (cv_.wait_until(lock, turn, [this] { return stopping_; })) break;
    lock.unlock();
    (void)Renew();
    lock.lock();
  }
}

// Tells the agent when the lease is lost (self_fence_after without an
// acknowledged renewal) or held again; wakes at the deadline, or every half
// renew interval while the lease is lost.
void LeaseKeeper::WatchLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const Steady::time_point now = Steady::now();
    const Steady::time_point deadline =
        Steady::time_point(Steady::duration(last_renewal_sent_.load())) + options_.self_fence_after;
    const bool held = now < deadline;
    if (held != held_) {
      held_ = held;
      const auto since = std::chrono::duration_cast<milliseconds>(
          now - (deadline - options_.self_fence_after));
      lock.unlock();
      if (on_change_) on_change_(held, since);
      lock.lock();
      continue;
    }
    cv_.wait_until(lock, held ? deadline : now + options_.renew_interval / 2,
                   [this] { return stopping_; });
  }
}

}  // namespace vigil::agent
