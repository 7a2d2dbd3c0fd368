#include "controllers/node_lease_controller.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/types.h"

namespace vigil::controllers {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kSyncTimeout{30000};
constexpr milliseconds kIdleWake{1000};

// The Node's Ready condition status ("True", "False", or "" if none).
std::string ReadyOf(const ObjectPtr& node) {
  if (node == nullptr) return "";
  const api::Json status = node->value("status", api::Json::object());
  for (const api::Json& condition : status.value("conditions", api::Json::array())) {
    if (condition.value("type", "") == "Ready") return condition.value("status", "");
  }
  return "";
}

std::string Rfc3339Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace

NodeLeaseController::NodeLeaseController(client::Client* client,
                                         NodeLeaseControllerOptions options)
    : client_(client), options_(std::move(options)), leases_(client, "Lease"),
      nodes_(client, "Node") {
  leases_.AddHandler([this](const ObjectPtr& o, const ObjectPtr& n) { OnLease(o, n); });
  // A node marked Ready again by its agent while its lease is still expired
  // is marked not Ready again.
  nodes_.AddHandler([this](const ObjectPtr&, const ObjectPtr&) { cv_.notify_all(); });
}

NodeLeaseController::~NodeLeaseController() { Stop(); }

absl::Status NodeLeaseController::Start() {
  {
    std::lock_guard lock(mu_);
    started_at_ = Steady::now();
    leases_synced_ = false;
    stopping_ = false;
  }
  // The Leases' first list is delivered before their informer reports sync.
  for (Informer* informer : {&leases_, &nodes_}) {
    informer->Start();
    if (!informer->WaitForSync(kSyncTimeout)) {
      Stop();
      return absl::DeadlineExceededError("informer for " + informer->kind() + " did not sync");
    }
    if (informer == &leases_) {
      std::lock_guard lock(mu_);
      leases_synced_ = true;
    }
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void NodeLeaseController::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  leases_.Stop();
  nodes_.Stop();
}

// Records when a Lease changed (a renewal), on this controller's clock; a
// deleted Lease is no longer timed.
void NodeLeaseController::OnLease(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  std::lock_guard lock(mu_);
  if (new_obj == nullptr) {
    seen_.erase(api::NameOf(*old_obj));
    return;
  }
  absl::StatusOr<api::Lease> lease = api::FromJson<api::Lease>(*new_obj);
  if (!lease.ok()) return;  // validated when written
  Seen& seen = seen_[lease->metadata.name];
  if (seen.resource_version == lease->metadata.resource_version) return;
  const Steady::time_point grace_until =
      leases_synced_ ? Steady::time_point() : started_at_ + options_.startup_grace;
  seen = {lease->metadata.resource_version, Steady::now(), lease->spec.lease_duration,
          lease->spec.holder_identity, grace_until};
  cv_.notify_all();
}

void NodeLeaseController::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const Steady::time_point next = CheckLeases(Steady::now());
    lock.lock();
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

NodeLeaseController::Steady::time_point NodeLeaseController::CheckLeases(Steady::time_point now) {
  std::vector<std::pair<std::string, Seen>> expired;
  Steady::time_point next = now + kIdleWake;
  {
    std::lock_guard lock(mu_);
    for (const auto& [node, seen] : seen_) {
      const Steady::time_point deadline = std::max(seen.at + seen.duration, seen.grace_until);
      if (now >= deadline) {
        expired.emplace_back(node, seen);
      } else {
        next = std::min(next, deadline);
      }
    }
  }
  for (const auto& [node, seen] : expired) {
    if (RenewedMeanwhile(node, seen, now)) {
      next = std::min(next, now + seen.duration);
      continue;
    }
    if (ReadyOf(nodes_.Get(node)) == "True") MarkNotReady(node, seen, now);
  }
  return next;
}

// The informer's watch may lag behind the store under load (a mass failover
// publishes thousands of events): a renewal already stored but not yet seen
// must not fail a live node over. The store is asked before expiring; a
// changed Lease counts as seen renewed now, as if its event had come.
bool NodeLeaseController::RenewedMeanwhile(const std::string& node, const Seen& seen,
                                           Steady::time_point now) {
  absl::StatusOr<api::Json> stored = client_->Get("Lease", node);
  if (!stored.ok()) return false;
  absl::StatusOr<api::Lease> lease = api::FromJson<api::Lease>(*stored);
  if (!lease.ok() || lease->metadata.resource_version == seen.resource_version) return false;
  std::lock_guard lock(mu_);
  Seen& current = seen_[node];
  if (current.resource_version == seen.resource_version) {
    current = {lease->metadata.resource_version, now, lease->spec.lease_duration,
               lease->spec.holder_identity, Steady::time_point()};
  }
  return true;
}

void NodeLeaseController::MarkNotReady(const std::string& node, const Seen& seen,
                                       Steady::time_point now) {
  const auto silent = std::chrono::duration_cast<milliseconds>(now - seen.at);
  const std::string message =
      absl::StrCat("lease not renewed for ", silent.count(), "ms (leaseDuration ",
                   seen.duration.count(), "ms, holder ", seen.holder, ")");
  const api::Json ready = {{"type", "Ready"},
                           {"status", "False"},
                           {"reason", "NodeLeaseExpired"},
                           {"message", message},
                           {"lastTransitionTime", Rfc3339Now()}};
  client::WriteOptions write;
  write.user = options_.user;
  absl::StatusOr<api::Json> patched = client_->Patch(
      "Node", node, {{"status", {{"conditions", api::Json::array({ready})}}}}, /*status=*/true,
      write);
  if (!patched.ok()) {
    if (!absl::IsNotFound(patched.status())) {
      Log("node " + node + ": marking it not Ready: " + patched.status().ToString());
    }
    return;
  }
  Log("node " + node + ": " + message + "; marked not Ready, its units fail over");
}

void NodeLeaseController::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "node lease controller: " << line << std::endl;
  }
}

}  // namespace vigil::controllers
