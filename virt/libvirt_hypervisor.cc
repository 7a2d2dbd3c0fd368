// LibvirtHypervisor: one libvirt connection, re-opened with backoff when it
// closes, plus lifecycle-event fan-out to subscribers.
//
// Lifetimes: libvirt calls the event and close callbacks on the event-loop
// thread with an opaque pointer. That pointer is a heap-allocated
// shared_ptr<Shared> freed by libvirt itself once the callback is removed, so
// a callback in flight never touches a destroyed LibvirtHypervisor.
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "virt/hypervisor.h"
#include "virt/libvirt_util.h"

namespace vigil::virt {
namespace {

void IgnoreLibvirtError(void*, virErrorPtr) {}

// The state shared with libvirt callbacks (see the file comment).
struct Shared {
  explicit Shared(Clock* clock) : clock(clock) {}

  Clock* const clock;

  std::mutex mu;  // guards everything below except the dispatch members
  std::condition_variable cv;         // signalled on events, loss, and stop
  virConnectPtr conn = nullptr;       // the live connection, if any
  virConnectPtr lost_conn = nullptr;  // closed by the peer, to be released
  int event_callback_id = -1;
  int lost_event_callback_id = -1;
  absl::Status last_connect_error = absl::UnavailableError("not connected");
  bool reconnect_needed = false;
  bool stopping = false;
  uint64_t events_seen = 0;

  std::mutex dispatch_mu;  // held while callbacks run
  std::map<Hypervisor::SubscriptionId, LifecycleCallback> subscribers;
  Hypervisor::SubscriptionId next_id = 1;

  void Dispatch(const LifecycleEvent& event) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++events_seen;
    }
    cv.notify_all();
    std::lock_guard<std::mutex> lock(dispatch_mu);
    for (auto& [id, callback] : subscribers) callback(event);
  }
};

using SharedRef = std::shared_ptr<Shared>;

void FreeSharedRef(void* opaque) { delete static_cast<SharedRef*>(opaque); }

int OnLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail,
                void* opaque) {
  Shared& shared = **static_cast<SharedRef*>(opaque);
  LifecycleEvent lifecycle;
  lifecycle.received = shared.clock->Now();
  lifecycle.kind = KindFromLibvirtEvent(event, detail);
  lifecycle.domain = virDomainGetName(domain);
  lifecycle.libvirt_event = event;
  lifecycle.libvirt_detail = detail;
  shared.Dispatch(lifecycle);
  return 0;
}

void OnClose(virConnectPtr conn, int /*reason*/, void* opaque) {
  Shared& shared = **static_cast<SharedRef*>(opaque);
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    if (shared.conn != conn) return;
    shared.lost_conn = shared.conn;
    shared.lost_event_callback_id = shared.event_callback_id;
    shared.conn = nullptr;
    shared.event_callback_id = -1;
    shared.last_connect_error =
        absl::UnavailableError("connection to the hypervisor closed");
    shared.reconnect_needed = true;
  }
  LifecycleEvent lost;
  lost.kind = LifecycleEventKind::kConnectionLost;
  lost.received = shared.clock->Now();
  shared.Dispatch(lost);
}

// Releases one reference on a connection (virConnectRef'd by Acquire).
struct ConnRelease {
  void operator()(virConnect* conn) const { virConnectClose(conn); }
};
using ConnRef = std::unique_ptr<virConnect, ConnRelease>;

struct DomainRelease {
  void operator()(virDomain* domain) const { virDomainFree(domain); }
};
using DomainRef = std::unique_ptr<virDomain, DomainRelease>;

// Unregisters Vigil's callbacks from `conn` and drops Vigil's reference.
void ReleaseConnection(virConnectPtr conn, int event_callback_id) {
  if (conn == nullptr) return;
  if (event_callback_id >= 0) {
    virConnectDomainEventDeregisterAny(conn, event_callback_id);
  }
  virConnectUnregisterCloseCallback(conn, OnClose);
  virResetLastError();
  virConnectClose(conn);
}

class LibvirtHypervisorImpl : public LibvirtHypervisor {
 public:
  LibvirtHypervisorImpl(std::string uri, LibvirtOptions options)
      : uri_(std::move(uri)),
        options_(std::move(options)),
        shared_(std::make_shared<Shared>(options_.clock)) {}

  ~LibvirtHypervisorImpl() override {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->stopping = true;
    }
    shared_->cv.notify_all();
    if (reconnector_.joinable()) reconnector_.join();
    virConnectPtr conn = nullptr, lost = nullptr;
    int callback_id = -1, lost_callback_id = -1;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      std::swap(conn, shared_->conn);
      std::swap(lost, shared_->lost_conn);
      callback_id = shared_->event_callback_id;
      lost_callback_id = shared_->lost_event_callback_id;
    }
    // Outside the lock: libvirt may run callbacks that take it meanwhile.
    ReleaseConnection(lost, lost_callback_id);
    ReleaseConnection(conn, callback_id);
  }

  // Connects once (a failure leaves the reconnector trying) and starts the
  // reconnector thread.
  void Start() {
    if (!Connect().ok()) {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->reconnect_needed = true;
    }
    reconnector_ = std::thread([this] { ReconnectLoop(); });
  }

  const std::string& uri() const override { return uri_; }
  int connections_opened() const override { return connections_opened_; }

  absl::StatusOr<std::string> DefineDomain(std::string_view xml) override {
    absl::StatusOr<ConnRef> conn = Acquire();
    if (!conn.ok()) return conn.status();
    std::string text(xml);
    DomainRef domain(virDomainDefineXML(conn->get(), text.c_str()));
    if (!domain) return StatusFromLibvirt("define domain");
    return std::string(virDomainGetName(domain.get()));
  }

  absl::StatusOr<std::string> CreateTransientDomain(
      std::string_view xml) override {
    absl::StatusOr<ConnRef> conn = Acquire();
    if (!conn.ok()) return conn.status();
    std::string text(xml);
    DomainRef domain(virDomainCreateXML(conn->get(), text.c_str(), 0));
    if (!domain) return StatusFromLibvirt("create domain");
    return std::string(virDomainGetName(domain.get()));
  }

  absl::Status LookupDomain(std::string_view name) override {
    return Lookup(name).status();
  }

  absl::Status StartDomain(std::string_view name) override {
    absl::StatusOr<DomainRef> domain = Lookup(name);
    if (!domain.ok()) return domain.status();
    // Checked here because drivers differ in how they report it.
    if (virDomainIsActive(domain->get()) == 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "start domain ", std::string(name), ": already running"));
    }
    if (virDomainCreate(domain->get()) < 0) {
      return StatusFromLibvirt(
          absl::StrCat("start domain ", std::string(name)));
    }
    return absl::OkStatus();
  }

  absl::Status ShutdownDomain(std::string_view name,
                              std::chrono::milliseconds timeout) override;

  absl::Status DestroyDomain(std::string_view name) override {
    absl::StatusOr<DomainRef> domain = Lookup(name);
    if (!domain.ok()) return domain.status();
    if (virDomainDestroy(domain->get()) < 0) {
      return StatusFromLibvirt(
          absl::StrCat("destroy domain ", std::string(name)));
    }
    return absl::OkStatus();
  }

  absl::Status UndefineDomain(std::string_view name) override {
    absl::StatusOr<DomainRef> domain = Lookup(name);
    if (!domain.ok()) return domain.status();
    if (virDomainUndefine(domain->get()) < 0) {
      return StatusFromLibvirt(
          absl::StrCat("undefine domain ", std::string(name)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<DomainStatus> GetState(std::string_view name) override {
    absl::StatusOr<DomainRef> domain = Lookup(name);
    if (!domain.ok()) return domain.status();
    int state = 0;
    int reason = 0;
    if (virDomainGetState(domain->get(), &state, &reason, 0) < 0) {
      return StatusFromLibvirt(
          absl::StrCat("state of domain ", std::string(name)));
    }
    return DomainStatusFromLibvirt(state, reason);
  }

  absl::StatusOr<int> GetDomainId(std::string_view name) override {
    absl::StatusOr<DomainRef> domain = Lookup(name);
    if (!domain.ok()) return domain.status();
    unsigned int id = virDomainGetID(domain->get());
    if (id == static_cast<unsigned int>(-1)) {
      return absl::FailedPreconditionError(
          absl::StrCat("domain ", std::string(name), " is not running"));
    }
    return static_cast<int>(id);
  }

  absl::StatusOr<pid_t> GetQemuPid(std::string_view name) override;
  absl::Status PingGuestAgent(std::string_view name, std::chrono::milliseconds timeout) override;
  absl::StatusOr<MigrationStats> MigrateDomain(std::string_view name,
                                               const MigrationTarget& target,
                                               const std::function<bool()>& cancelled) override;

  SubscriptionId Subscribe(LifecycleCallback callback) override {
    std::lock_guard<std::mutex> lock(shared_->dispatch_mu);
    SubscriptionId id = shared_->next_id++;
    shared_->subscribers.emplace(id, std::move(callback));
    return id;
  }

  void Unsubscribe(SubscriptionId id) override {
    std::lock_guard<std::mutex> lock(shared_->dispatch_mu);
    shared_->subscribers.erase(id);
  }

  bool IsAlive() override {
    absl::StatusOr<ConnRef> conn = Acquire();
    return conn.ok() && virConnectIsAlive(conn->get()) == 1;
  }

 private:
  // A reference to the live connection, or Unavailable with the reason.
  absl::StatusOr<ConnRef> Acquire() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->conn == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "hypervisor ", uri_,
          " unreachable: ", shared_->last_connect_error.message()));
    }
    virConnectRef(shared_->conn);
    return ConnRef(shared_->conn);
  }

  absl::StatusOr<DomainRef> Lookup(std::string_view name) {
    absl::StatusOr<ConnRef> conn = Acquire();
    if (!conn.ok()) return conn.status();
    std::string text(name);
    DomainRef domain(virDomainLookupByName(conn->get(), text.c_str()));
    if (!domain)
      return StatusFromLibvirt(absl::StrCat("domain ", std::string(name)));
    return domain;
  }

  uint64_t EventsSeen() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return shared_->events_seen;
  }

  absl::Status Connect();
  void ReconnectLoop();
  // Waits up to `delay` or until stopping; returns false when stopping.
  bool WaitUnlessStopping(std::chrono::milliseconds delay);

  const std::string uri_;
  const LibvirtOptions options_;
  const SharedRef shared_;
  std::atomic<int> connections_opened_{0};
  std::thread reconnector_;
};

absl::Status LibvirtHypervisorImpl::Connect() {
  virConnectPtr conn = virConnectOpen(uri_.c_str());
  if (conn == nullptr) {
    absl::Status error = StatusFromLibvirt(absl::StrCat("connect to ", uri_));
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->last_connect_error = error;
    return error;
  }
  // Drivers without keepalive (test:///, local ones) return 1 or fail; both
  // are fine since such connections cannot be lost to a network or daemon.
  virConnectSetKeepAlive(conn, options_.keepalive_interval_seconds,
                         options_.keepalive_count);
  // Drivers without close callbacks (test:///) accept and drop the
  // registration without freeing the opaque: one small leak per connection.
  virConnectRegisterCloseCallback(conn, OnClose, new SharedRef(shared_),
                                  FreeSharedRef);
  virResetLastError();
  int callback_id = virConnectDomainEventRegisterAny(
      conn, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
      VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle), new SharedRef(shared_),
      FreeSharedRef);
  if (callback_id < 0) {
    absl::Status error = StatusFromLibvirt("subscribe to lifecycle events");
    ReleaseConnection(conn, -1);
    return error;
  }
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->conn = conn;
  shared_->event_callback_id = callback_id;
  ++connections_opened_;
  return absl::OkStatus();
}

bool LibvirtHypervisorImpl::WaitUnlessStopping(
    std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  return !shared_->cv.wait_for(lock, delay,
                               [this] { return shared_->stopping; });
}

void LibvirtHypervisorImpl::ReconnectLoop() {
  for (;;) {
    virConnectPtr lost = nullptr;
    int lost_callback_id = -1;
    {
      std::unique_lock<std::mutex> lock(shared_->mu);
      shared_->cv.wait(lock, [this] {
        return shared_->stopping || shared_->reconnect_needed;
      });
      if (shared_->stopping) return;
      std::swap(lost, shared_->lost_conn);
      lost_callback_id = shared_->lost_event_callback_id;
    }
    ReleaseConnection(lost, lost_callback_id);
    std::chrono::milliseconds backoff = options_.reconnect_initial;
    while (!Connect().ok()) {
      if (!WaitUnlessStopping(backoff)) return;
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->reconnect_needed = false;
    }
    LifecycleEvent restored;
    restored.kind = LifecycleEventKind::kConnectionRestored;
    restored.received = options_.clock->Now();
    shared_->Dispatch(restored);
  }
}

absl::Status LibvirtHypervisorImpl::ShutdownDomain(
    std::string_view name, std::chrono::milliseconds timeout) {
  const Clock::TimePoint deadline = options_.clock->Now() + timeout;
  absl::StatusOr<DomainRef> domain = Lookup(name);
  if (!domain.ok()) return domain.status();
  if (virDomainIsActive(domain->get()) == 0) return absl::OkStatus();
  if (virDomainShutdown(domain->get()) < 0) {
    return StatusFromLibvirt(
        absl::StrCat("shut down domain ", std::string(name)));
  }
  // Wake on every lifecycle event, and re-check at least every 100 ms in
  // case the stop event was missed (e.g. across a reconnection).
  for (;;) {
    uint64_t seen = EventsSeen();
    int active = virDomainIsActive(domain->get());
    if (active == 0) return absl::OkStatus();
    if (active < 0)
      return StatusFromLibvirt(absl::StrCat("domain ", std::string(name)));
    Clock::TimePoint now = options_.clock->Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("domain ", std::string(name), " still running ",
                       timeout.count(), " ms after the shutdown request"));
    }
    std::unique_lock<std::mutex> lock(shared_->mu);
    shared_->cv.wait_for(
        lock,
        std::min<Clock::TimePoint::duration>(deadline - now,
                                             std::chrono::milliseconds(100)),
        [&] { return shared_->events_seen != seen || shared_->stopping; });
  }
}

absl::StatusOr<pid_t> LibvirtHypervisorImpl::GetQemuPid(std::string_view name) {
  absl::StatusOr<int> id = GetDomainId(name);
  if (!id.ok()) return id.status();
  std::string path =
      absl::StrCat(options_.qemu_pid_dir, "/", std::string(name), ".pid");
  std::ifstream file(path);
  std::string text;
  if (!file || !std::getline(file, text)) {
    return absl::NotFoundError(absl::StrCat(
        "no qemu pid for domain ", std::string(name), ": cannot read ", path));
  }
  int pid = 0;
  if (!absl::SimpleAtoi(text, &pid) || pid <= 1) {
    return absl::InternalError(
        absl::StrCat("bad qemu pid \"", text, "\" in ", path));
  }
  return static_cast<pid_t>(pid);
}

absl::Status LibvirtHypervisorImpl::PingGuestAgent(std::string_view name,
                                                   std::chrono::milliseconds timeout) {
  absl::StatusOr<DomainRef> domain = Lookup(name);
  if (!domain.ok()) return domain.status();
  const int seconds = static_cast<int>(std::max<int64_t>(1, (timeout.count() + 999) / 1000));
  char* reply = virDomainQemuAgentCommand(domain->get(), R"({"execute":"guest-ping"})", seconds, 0);
  if (reply == nullptr) {
    return StatusFromLibvirt(absl::StrCat("guest agent of domain ", std::string(name)));
  }
  free(reply);  // NOLINT: libvirt allocates the reply with malloc
  return absl::OkStatus();
}

// Aborts a domain's migration job when its time is up or the caller cancels,
// from its own thread while virDomainMigrate3 blocks the caller's.
class MigrationWatchdog {
 public:
  enum class Verdict { kRunning, kTimedOut, kCancelled };

  MigrationWatchdog(virDomainPtr domain, std::chrono::milliseconds timeout,
                    const std::function<bool()>& cancelled)
      : thread_([this, domain, timeout, &cancelled] { Watch(domain, timeout, cancelled); }) {}
  ~MigrationWatchdog() { Finish(); }

  // Stops watching; returns why the job was aborted, if it was.
  Verdict Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return verdict_;
  }

 private:
  static constexpr std::chrono::milliseconds kPoll{100};

  void Watch(virDomainPtr domain, std::chrono::milliseconds timeout,
             const std::function<bool()>& cancelled) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      if (cancelled && cancelled()) {
        verdict_ = Verdict::kCancelled;
      } else if (std::chrono::steady_clock::now() >= deadline) {
        verdict_ = Verdict::kTimedOut;
      }
      if (verdict_ != Verdict::kRunning) {
        virDomainAbortJob(domain);  // the migration call then fails
        virResetLastError();
        return;
      }
      cv_.wait_for(lock, kPoll, [this] { return done_; });
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Verdict verdict_ = Verdict::kRunning;
  std::thread thread_;  // last: starts once the members above exist
};

// The completed migration's statistics, read on the destination's domain.
MigrationStats CompletedMigrationStats(virDomainPtr moved) {
  MigrationStats stats;
  int type = 0;
  virTypedParameterPtr params = nullptr;
  int count = 0;
  if (virDomainGetJobStats(moved, &type, &params, &count, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0) {
    virResetLastError();
    return stats;
  }
  unsigned long long downtime = 0;
  if (virTypedParamsGetULLong(params, count, VIR_DOMAIN_JOB_DOWNTIME, &downtime) == 1) {
    stats.downtime = std::chrono::milliseconds(downtime);
  }
  virTypedParamsFree(params, count);
  return stats;
}

absl::StatusOr<MigrationStats> LibvirtHypervisorImpl::MigrateDomain(
    std::string_view name, const MigrationTarget& target,
    const std::function<bool()>& cancelled) {
  const std::string what = absl::StrCat("migrate domain ", std::string(name), " to ",
                                        target.hypervisor);
  absl::StatusOr<DomainRef> domain = Lookup(name);
  if (!domain.ok()) return domain.status();
  if (virDomainIsActive(domain->get()) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": domain ", std::string(name), " is not running"));
  }
  ConnRef destination(virConnectOpen(target.hypervisor.c_str()));
  if (!destination) {
    absl::Status error = StatusFromLibvirt(absl::StrCat(what, ": connect"));
    return absl::UnavailableError(error.message());
  }
  virConnectSetKeepAlive(destination.get(), options_.keepalive_interval_seconds,
                         options_.keepalive_count);
  virTypedParameterPtr params = nullptr;
  int count = 0;
  int capacity = 0;
  if (!target.address.empty()) {
    virTypedParamsAddString(&params, &count, &capacity, VIR_MIGRATE_PARAM_URI,
                            target.address.c_str());
  }
  MigrationWatchdog watchdog(domain->get(), target.timeout, cancelled);
  virDomainPtr moved = virDomainMigrate3(domain->get(), destination.get(), params, count,
                                         VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST);
  absl::Status status = moved != nullptr ? absl::OkStatus() : StatusFromLibvirt(what);
  MigrationStats stats;
  if (moved != nullptr) {
    stats = CompletedMigrationStats(moved);
    virDomainFree(moved);
  }
  virTypedParamsFree(params, count);
  switch (watchdog.Finish()) {
    case MigrationWatchdog::Verdict::kTimedOut:
      if (!status.ok()) {
        return absl::DeadlineExceededError(absl::StrCat(
            what, ": aborted after ", target.timeout.count(), " ms (", status.message(), ")"));
      }
      break;
    case MigrationWatchdog::Verdict::kCancelled:
      if (!status.ok()) {
        return absl::CancelledError(absl::StrCat(what, ": cancelled (", status.message(), ")"));
      }
      break;
    case MigrationWatchdog::Verdict::kRunning:
      break;
  }
  if (!status.ok()) return status;
  return stats;
}

}  // namespace

absl::Status EnsureLibvirtEventLoop() {
  static const absl::Status* const started = [] {
    if (virInitialize() < 0) {
      return new absl::Status(StatusFromLibvirt("initialize libvirt"));
    }
    virSetErrorFunc(nullptr, IgnoreLibvirtError);
    if (virEventRegisterDefaultImpl() < 0) {
      return new absl::Status(StatusFromLibvirt("register event loop"));
    }
    std::thread([] {
      for (;;) virEventRunDefaultImpl();
    }).detach();
    return new absl::Status();
  }();
  return *started;
}

namespace {

// See LibvirtOptions::qemu_pid_dir.
std::string QemuPidDirFor(const std::string& uri) {
  const size_t param = uri.find("socket=");
  if (param != std::string::npos) {
    std::string socket = uri.substr(param + 7);
    socket = socket.substr(0, socket.find('&'));
    const size_t slash = socket.rfind('/');
    if (slash != std::string::npos && slash > 0) return socket.substr(0, slash) + "/qemu";
  }
  return "/run/libvirt/qemu";
}

}  // namespace

absl::StatusOr<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::Open(
    std::string uri, LibvirtOptions options) {
  if (uri.empty()) return absl::InvalidArgumentError("empty hypervisor URI");
  if (options.qemu_pid_dir.empty()) options.qemu_pid_dir = QemuPidDirFor(uri);
  if (absl::Status status = EnsureLibvirtEventLoop(); !status.ok()) {
    return status;
  }
  auto hypervisor = std::make_unique<LibvirtHypervisorImpl>(std::move(uri),
                                                            std::move(options));
  hypervisor->Start();
  return std::unique_ptr<LibvirtHypervisor>(std::move(hypervisor));
}

}  // namespace vigil::virt
