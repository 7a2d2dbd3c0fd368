#include "agent/lease_keeper.h"

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
  }
  renewer_ = std::thread([this] { RenewLoop(); });
  watchdog_ = std::thread([this] { WatchLoop(); });
  return first;
}

void LeaseKeeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
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
  }
  if (!written.ok()) {
    if (!failing_ && log_) log_("renewing lease " + options_.node + ": " + written.status().ToString());
    failing_ = true;
    return written.status();
  }
  if (failing_ && log_) log_("lease " + options_.node + " renewed again");
  failing_ = false;
  last_renewal_sent_ = sent.time_since_epoch().count();
  return absl::OkStatus();
}

void LeaseKeeper::RenewLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const Steady::time_point next = Steady::now() + options_.renew_interval;
    lock.unlock();
    (void)Renew();
    lock.lock();
    cv_.wait_until(lock, next, [this] { return stopping_; });
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
