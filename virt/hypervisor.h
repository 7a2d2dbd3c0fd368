// Hypervisor: the seam between Vigil and a virtualization host. It defines,
// starts, stops and observes domains (virtual machines) by name, and tells
// subscribers about lifecycle changes as they happen.
//
// LibvirtHypervisor implements it with the libvirt C API over one connection
// (e.g. "qemu:///system", or "test:///default" in tests). libvirt's default
// event implementation runs on one event-loop thread per process, shared by
// every connection; a lost connection is re-opened in the background with
// backoff, and subscribers are told when it is lost and when it is back.
//
// Errors: every libvirt failure becomes an absl::Status carrying libvirt's own
// message. NotFound: no such domain. InvalidArgument: malformed domain XML or
// arguments. AlreadyExists: a conflicting domain exists. FailedPrecondition:
// the domain is in the wrong state for the operation (e.g. destroying a
// domain that is not running). DeadlineExceeded: a bounded wait ran out.
// Unavailable: no live connection to the hypervisor (a transient condition,
// not a domain failure). Internal: anything else libvirt reports.
//
// Thread safety: all methods of Hypervisor implementations are safe for
// concurrent use.
#ifndef VIGIL_VIRT_HYPERVISOR_H_
#define VIGIL_VIRT_HYPERVISOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"

namespace vigil::virt {

// A domain's state, as libvirt's virDomainState.
enum class DomainState {
  kNoState,
  kRunning,
  kBlocked,
  kPaused,
  kShuttingDown,
  kShutOff,
  kCrashed,
  kSuspended,  // power-management suspended
};

std::string_view DomainStateName(DomainState state);

// State plus the reason libvirt gives for it ("destroyed", "crashed",
// "ioerror", "booted", ...); `reason_code` is libvirt's raw reason number.
struct DomainStatus {
  DomainState state = DomainState::kNoState;
  int reason_code = 0;
  std::string reason;
};

// What a lifecycle event means for availability management.
enum class LifecycleEventKind {
  kStarted,
  kStoppedFailed,  // qemu failed (e.g. killed, failed to start)
  kCrashed,        // the guest crashed
  kShutdown,       // the guest shut itself down, or a graceful shutdown ended
  kDestroyed,      // destroyed (e.g. `virsh destroy`)
  kStopped,        // stopped for another reason (migration, saved, ...)
  kPausedIoError,  // paused on an I/O error: a failure, not healthy
  kPaused,         // paused for another reason (e.g. `virsh suspend`)
  kResumed,
  kConnectionLost,      // domain empty: the hypervisor connection dropped
  kConnectionRestored,  // domain empty: re-connected; re-read all state
  kOther,               // any other libvirt event (defined, undefined, ...)
};

std::string_view LifecycleEventKindName(LifecycleEventKind kind);

struct LifecycleEvent {
  LifecycleEventKind kind = LifecycleEventKind::kOther;
  std::string domain;         // empty for connection events
  int libvirt_event = -1;     // virDomainEventType, -1 for connection events
  int libvirt_detail = -1;    // its detail code
  Clock::TimePoint received;  // when the event reached this process
};

using LifecycleCallback = std::function<void(const LifecycleEvent&)>;

// Where Hypervisor::MigrateDomain sends a domain.
struct MigrationTarget {
  std::string hypervisor{};  // libvirt URI of the destination daemon, as reached from here
  std::string address{};     // migration data URI (e.g. "tcp://10.0.0.2"); empty: libvirt's choice
  std::chrono::milliseconds timeout{60000};  // the migration is aborted after this
};

// What a finished live migration reports.
struct MigrationStats {
  std::chrono::milliseconds downtime{-1};  // the guest paused for the switch; -1: not reported
};

class Hypervisor {
 public:
  using SubscriptionId = uint64_t;

  virtual ~Hypervisor() = default;

  // Defines (persistently) the domain described by `xml`, or updates its
  // definition, and returns its name. InvalidArgument for malformed XML.
  virtual absl::StatusOr<std::string> DefineDomain(std::string_view xml) = 0;

  // Creates and starts a transient domain from `xml`; returns its name.
  // AlreadyExists when a domain of that name is already running.
  virtual absl::StatusOr<std::string> CreateTransientDomain(
      std::string_view xml) = 0;

  // OK when a domain of that name is defined or running; NotFound otherwise.
  virtual absl::Status LookupDomain(std::string_view name) = 0;

  // Starts a defined, inactive domain. FailedPrecondition if it is running.
  virtual absl::Status StartDomain(std::string_view name) = 0;

  // Asks the guest to shut down and waits until the domain is off.
  // DeadlineExceeded when it is still running after `timeout` (the caller
  // then destroys it). OK at once if it is already off.
  virtual absl::Status ShutdownDomain(std::string_view name,
                                      std::chrono::milliseconds timeout) = 0;

  // Stops the domain at once (kills qemu). FailedPrecondition if not running.
  virtual absl::Status DestroyDomain(std::string_view name) = 0;

  // Removes a persistent definition (a running domain becomes transient).
  virtual absl::Status UndefineDomain(std::string_view name) = 0;

  virtual absl::StatusOr<DomainStatus> GetState(std::string_view name) = 0;

  // The hypervisor's id of a running domain. FailedPrecondition if inactive.
  virtual absl::StatusOr<int> GetDomainId(std::string_view name) = 0;

  // The PID of the domain's qemu process. FailedPrecondition if the domain
  // is not running; NotFound if the hypervisor does not expose one.
  virtual absl::StatusOr<pid_t> GetQemuPid(std::string_view name) = 0;

  // Asks the domain's QEMU guest agent for a `guest-ping` and waits for the
  // answer up to `timeout` (libvirt counts whole seconds: at least 1 s).
  // OK when the agent answered. DeadlineExceeded when it did not answer in
  // time; FailedPrecondition/InvalidArgument when the domain is not running
  // or has no guest agent channel; Unavailable without a connection.
  virtual absl::Status PingGuestAgent(std::string_view name,
                                      std::chrono::milliseconds timeout) = 0;

  // Live-migrates the running domain to `target`: this process connects to
  // both daemons and drives the migration; the guest keeps running
  // throughout, becomes persistent on the destination, and the source keeps
  // its (now inactive) definition. OK once it runs there and no longer here,
  // with the guest's downtime as libvirt measured it.
  // `cancelled` is polled (at least every 100 ms) and aborts the migration
  // when it returns true. DeadlineExceeded: aborted after target.timeout,
  // Cancelled: aborted on request (either way it still runs here).
  // FailedPrecondition: not running. Unavailable: a daemon is unreachable.
  // Otherwise libvirt's refusal (the driver cannot migrate, the destination
  // is this same host, incompatible CPU or devices, ...) with its message;
  // the domain then still runs here.
  virtual absl::StatusOr<MigrationStats> MigrateDomain(
      std::string_view name, const MigrationTarget& target,
      const std::function<bool()>& cancelled) = 0;

  // Calls `callback` for every lifecycle event of every domain, and for
  // connection loss and restoration, on the event-loop thread, until
  // Unsubscribe. Callbacks must return quickly; they may call this
  // Hypervisor's methods but must not call Subscribe/Unsubscribe.
  virtual SubscriptionId Subscribe(LifecycleCallback callback) = 0;
  // After return, no new call of that callback starts.
  virtual void Unsubscribe(SubscriptionId id) = 0;

  // Whether the connection is open and the peer answers keepalives.
  virtual bool IsAlive() = 0;
};

// Tuning of LibvirtHypervisor; the defaults suit qemu:///system.
struct LibvirtOptions {
  // Keepalive: the connection is declared dead after `keepalive_count`
  // unanswered probes sent `keepalive_interval_seconds` apart; this also
  // bounds how long any call can block on an unresponsive daemon.
  int keepalive_interval_seconds = 1;
  unsigned keepalive_count = 3;
  // Re-connection backoff: doubling from `reconnect_initial` up to
  // `reconnect_max`.
  std::chrono::milliseconds reconnect_initial{50};
  std::chrono::milliseconds reconnect_max{2000};
  // Where libvirt's qemu driver writes "<name>.pid". Empty: derived from the
  // URI -- DIR/qemu for a daemon reached through "?socket=DIR/libvirt-sock"
  // (a second local daemon, e.g. hack/setup-libvirt.sh --peer), else
  // /run/libvirt/qemu.
  std::string qemu_pid_dir;
  Clock* clock = RealClock::Get();
};

// Starts libvirt's default event implementation and its loop thread once per
// process (later calls do nothing). LibvirtHypervisor::Open calls it; call it
// yourself before opening any other libvirt connection in the process.
// Returns Internal if libvirt cannot register its event implementation.
absl::Status EnsureLibvirtEventLoop();

class LibvirtHypervisor : public Hypervisor {
 public:
  // Connects to `uri`. If the first connection fails, the hypervisor is still
  // returned: calls return Unavailable (with libvirt's message) while it keeps
  // re-connecting in the background. InvalidArgument for an empty URI.
  static absl::StatusOr<std::unique_ptr<LibvirtHypervisor>> Open(
      std::string uri, LibvirtOptions options = {});

  // The libvirt URI this hypervisor connects to.
  virtual const std::string& uri() const = 0;
  // How many times a connection was (re-)opened successfully.
  virtual int connections_opened() const = 0;
};

}  // namespace vigil::virt

#endif  // VIGIL_VIRT_HYPERVISOR_H_
