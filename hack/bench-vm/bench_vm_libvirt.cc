// LibvirtProbe: see bench_vm_libvirt.h.
#include "hack/bench-vm/bench_vm_libvirt.h"

#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"

namespace vigil::bench {

bool KvmAvailable() { return access("/dev/kvm", R_OK | W_OK) == 0; }

bool QbootAvailable() { return access(kQboot, R_OK) == 0; }

std::string GuestDomainXml(const std::string& name, const GuestImage& guest, int tick_port) {
  const std::string loader =
      guest.qboot ? absl::StrCat("<loader type='rom' readonly='yes'>", kQboot, "</loader>") : "";
  return absl::StrCat(
      "<domain type='", KvmAvailable() ? "kvm" : "qemu", "'><name>", name,
      "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type>",
      loader, "<kernel>", guest.kernel, "</kernel></os><devices><serial type='udp'>",
      "<source mode='connect' host='127.0.0.1' service='", tick_port, "'/>",
      "<source mode='bind' host='127.0.0.1' service='0'/><target port='0'/></serial>",
      "</devices></domain>");
}

absl::StatusOr<std::unique_ptr<LibvirtProbe>> LibvirtProbe::Open(const std::string& uri) {
  absl::StatusOr<std::unique_ptr<virt::LibvirtHypervisor>> opened =
      virt::LibvirtHypervisor::Open(uri);
  if (!opened.ok()) return opened.status();
  if (!(*opened)->IsAlive()) {
    return absl::UnavailableError(absl::StrCat("libvirtd does not answer on ", uri));
  }
  return std::unique_ptr<LibvirtProbe>(new LibvirtProbe(std::move(*opened)));
}

LibvirtProbe::LibvirtProbe(std::unique_ptr<virt::LibvirtHypervisor> hypervisor)
    : hypervisor_(std::move(hypervisor)) {
  subscription_ =
      hypervisor_->Subscribe([this](const virt::LifecycleEvent& event) { OnEvent(event); });
}

LibvirtProbe::~LibvirtProbe() { hypervisor_->Unsubscribe(subscription_); }

void LibvirtProbe::OnEvent(const virt::LifecycleEvent& event) {
  // Stamped here, on libvirt's event thread, the moment it is delivered.
  const absl::Time now = absl::Now();
  if (event.kind != virt::LifecycleEventKind::kStoppedFailed &&
      event.kind != virt::LifecycleEventKind::kDestroyed) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stopped_[event.domain].push_back({now, event.kind});
  cv_.notify_all();
}

std::optional<LibvirtProbe::StopEvent> LibvirtProbe::WaitStopped(const std::string& domain,
                                                                  absl::Time after,
                                                                  absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<StopEvent> found;
  auto arrived = [&] {
    for (const StopEvent& event : stopped_[domain]) {
      if (event.received >= after) {
        found = event;
        return true;
      }
    }
    return false;
  };
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), arrived);
  return found;
}

absl::StatusOr<pid_t> LibvirtProbe::QemuPid(const std::string& domain) {
  return hypervisor_->GetQemuPid(domain);
}

bool LibvirtProbe::Running(const std::string& domain) {
  absl::StatusOr<virt::DomainStatus> state = hypervisor_->GetState(domain);
  return state.ok() && state->state == virt::DomainState::kRunning;
}

bool LibvirtProbe::Exists(const std::string& domain) {
  return hypervisor_->LookupDomain(domain).code() != absl::StatusCode::kNotFound;
}

absl::StatusOr<LibvirtProbe::Started> LibvirtProbe::StartDomain(const std::string& name,
                                                                 const std::string& xml) {
  if (!hypervisor_->LookupDomain(name).ok()) {
    absl::StatusOr<std::string> defined = hypervisor_->DefineDomain(xml);
    if (!defined.ok()) return defined.status();
  }
  const absl::Time start = absl::Now();
  if (absl::Status started = hypervisor_->StartDomain(name); !started.ok()) return started;
  // virDomainCreate returns once qemu runs the guest; confirm that state.
  while (!Running(name)) {
    if (absl::Now() - start > absl::Seconds(30)) {
      return absl::DeadlineExceededError(absl::StrCat("domain ", name, " not running"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Started{start, absl::Now()};
}

absl::Status LibvirtProbe::Destroy(const std::string& domain) {
  return hypervisor_->DestroyDomain(domain);
}

absl::Status LibvirtProbe::Remove(const std::string& domain) {
  // A start still in flight (e.g. an agent killed mid-call) can bring the
  // domain back, transient, after an undefine: repeat until it is gone.
  absl::Status last;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Exists(domain)) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("domain ", domain, " still exists: ",
                                                      last.ToString()));
    }
    absl::Status destroyed = hypervisor_->DestroyDomain(domain);
    if (!destroyed.ok() && !absl::IsFailedPrecondition(destroyed)) last = destroyed;
    absl::Status undefined = hypervisor_->UndefineDomain(domain);
    if (!undefined.ok() && !absl::IsNotFound(undefined)) last = undefined;
    if (Exists(domain)) absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

}  // namespace vigil::bench
