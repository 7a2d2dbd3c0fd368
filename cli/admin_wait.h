// Waiting for an admin operation to take effect: the conditions the admin
// commands wait for, each a Condition evaluated on successive ClusterViews,
// and the loop that polls the server, prints progress lines and stops at
// success, at a failure the condition detects, or at the deadline.
//
// Thread safety: a Condition and the loop belong to one thread.
#ifndef VIGIL_CLI_ADMIN_WAIT_H_
#define VIGIL_CLI_ADMIN_WAIT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "cli/admin_view.h"
#include "client/client.h"

namespace vigil::cli {

using SteadyClock = std::chrono::steady_clock;

// Where a condition stands on one view.
struct Verdict {
  enum class State { kPending, kDone, kFailed };
  State state = State::kPending;
  std::string detail;  // pending: what is awaited; failed: why
};

// Evaluated on each view; may keep state between calls (grace periods).
using Condition = std::function<Verdict(const ClusterView& view, SteadyClock::time_point now)>;

// The target holds no assignment any more, and every SI in `served` (those
// active on it when the command started) is active elsewhere, confirmed.
// An SI of `served` with no active assignment at all for `grace` after the
// target let go of it fails the condition: no other unit could take it (the
// SI's status message says why).
Condition Released(const AdminTarget& target, std::set<std::string> served,
                   std::chrono::milliseconds grace);

// The target holds no assignment and all its units are Uninstantiated.
Condition Uninstantiated(const AdminTarget& target);

// Every unit of the target that may take work (its unit, node and group
// Unlocked) is Enabled and InService; every followed SI's assignments are
// confirmed with none quiescing; nothing changed for `quiet`; and, for a
// group with autoAdjust, its probation (plus `quiet`) has passed since
// `since`, so a switchback it makes is seen. A unit of the target that is
// Disabled fails the condition. For an SI target: the SI has a confirmed
// active.
Condition Settled(const AdminTarget& target, SteadyClock::time_point since,
                  std::chrono::milliseconds quiet);

// Operation `name` Succeeded (Failed fails the condition with its message).
// Prints its phase and message as they change.
Condition OperationDone(const std::string& name, std::ostream& out);

// Both conditions, `first` until it is done, then `second`.
Condition Then(Condition first, Condition second);

// The cluster as the admin commands see it while they wait: a full read
// every poll period, and between reads every version of every
// ServiceInstance from a watch (so a quiesced assignment that lasts a few
// milliseconds is still seen). Without a watch (the server refused one) it
// only polls.
class ClusterFeed {
 public:
  // Opens the watch, then reads the view. Start it before changing anything
  // so that no version written after the change is missed.
  // Errors: the client's, when the view cannot be read.
  absl::Status Start(client::Client& client);
  // Re-reads the whole view, keeping instances the watch has seen newer.
  absl::Status Refresh();
  // Waits until `until` for the next ServiceInstance change and applies it;
  // true if one was applied. Sleeps until `until` without a watch.
  bool Next(SteadyClock::time_point until);
  const ClusterView& view() const { return view_; }

 private:
  client::Client* client_ = nullptr;
  std::unique_ptr<client::WatchStream> watch_;
  ClusterView view_;
};

struct WaitOptions {
  SteadyClock::time_point deadline;
  std::chrono::milliseconds poll{50};
  std::string what;  // "lock of node/n1", for the timeout message
};

// Follows `feed` (started) until `condition` is done or failed or the
// deadline passes, re-reading the whole view every options.poll and
// printing progress lines of the target's followed SIs to `out` at every
// change. Errors: DeadlineExceeded "timed out waiting for <what>:
// <what is still awaited>", FailedPrecondition with the condition's failure,
// or the client's error when the server cannot be read.
absl::Status WaitFor(ClusterFeed& feed, const AdminTarget& target, Condition condition,
                     const WaitOptions& options, ProgressPrinter& printer, std::ostream& out);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_ADMIN_WAIT_H_
