// LeaseKeeper: renews the Lease named after the agent's node, on its own
// threads (a busy agent loop must not let it lapse), and tells the agent, from
// another thread (a renewal hanging on a cut network must not delay it),
// when it has gone `self_fence_after` without a successful renewal, and when
// renewals succeed again.
//
// Renewals are sent every renew_interval whether or not the previous ones
// have been answered (up to kRenewersInFlight at once): on a loaded server
// one slow round trip must not hold back the next renewal. Sent one after
// the other, two consecutive round trips had to fit in self_fence_after;
// overlapped, each has self_fence_after - renew_interval.
//
// Why self-fencing is safe: the node controller times a lease from when it
// sees each renewal, which is after the agent sent it, and fails the node
// over once `lease_duration` has passed without one. The agent counts from
// when it sent its last acknowledged renewal, and stops serving after
// `self_fence_after` < `lease_duration`: a node that cannot reach the server
// has stopped its components for at least `lease_duration -
// self_fence_after` before anything is started in their place.
//
// Thread safety: Start and Stop from one thread; held() from any.
#ifndef VIGIL_AGENT_LEASE_KEEPER_H_
#define VIGIL_AGENT_LEASE_KEEPER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "client/client.h"

namespace vigil::agent {

struct LeaseOptions {
  std::string node;    // the Lease's name
  std::string holder;  // spec.holderIdentity
  std::string user;    // who writes (audit)
  std::chrono::milliseconds lease_duration{800};
  std::chrono::milliseconds renew_interval{200};
  std::chrono::milliseconds self_fence_after{500};
};

// Errors: InvalidArgument unless 0 < renew_interval < self_fence_after <
// lease_duration (naming the option and what would be valid).
absl::Status ValidateLeaseOptions(const LeaseOptions& options);

class LeaseKeeper {
 public:
  // Renewals in flight at most (one thread each).
  static constexpr int kRenewersInFlight = 3;

  // held == false: the lease went unrenewed for self_fence_after; true:
  // renewed again after that. Called on the keeper's watchdog thread.
  using OnChange = std::function<void(bool held, std::chrono::milliseconds since_renewal)>;
  using Log = std::function<void(const std::string&)>;

  // REQUIRES: client outlives the keeper; options are valid.
  LeaseKeeper(client::Client* client, LeaseOptions options, OnChange on_change, Log log);
  ~LeaseKeeper();  // Stops.

  // Renews once (creating the Lease if needed), then every renew_interval.
  // Errors: the first renewal's, if it failed (the keeper runs on anyway).
  absl::Status Start();
  void Stop();

  // True from the first successful renewal until self_fence_after passes
  // without one.
  bool held() const { return held_; }
  const LeaseOptions& options() const { return options_; }

 private:
  using Steady = std::chrono::steady_clock;
  absl::Status Renew();
  void LogIfSlow(Steady::time_point sent) const;
  void RenewLoop();
  void WatchLoop();

  client::Client* const client_;
  const LeaseOptions options_;
  const OnChange on_change_;
  const Log log_;
  // Records that a renewal sent at `sent` was acknowledged (renewals may
  // be acknowledged out of order: the latest send time wins).
  void Acknowledged(Steady::time_point sent);

  std::string acquire_time_;
  // When the last acknowledged renewal was sent (steady clock, ns).
  std::atomic<int64_t> last_renewal_sent_{0};
  std::atomic<bool> held_{false};
  std::atomic<bool> failing_{false};  // the last renewal failed (logged once per streak)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;            // GUARDED_BY(mu_)
  Steady::time_point next_send_;     // GUARDED_BY(mu_): the next renewal's turn
  std::vector<std::thread> renewers_;
  std::thread watchdog_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_LEASE_KEEPER_H_
