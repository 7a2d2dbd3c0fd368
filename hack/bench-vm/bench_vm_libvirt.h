// LibvirtProbe: the VM benchmark's own connection to the hypervisor, next to
// the node agents'. It measures what libvirt itself achieves, so Vigil's
// figures can be judged against it: when libvirt's stopped-failed event for
// a killed qemu reaches a subscriber, and how long a plain domain start
// (virDomainCreate -> running) takes. It also finds a domain's qemu PID for
// the kill and destroys/undefines the benchmark's own domains at the end.
// GuestDomainXml describes the benchmark's domains.
//
// Thread safety: safe for use from one thread; libvirt's event thread only
// records events under an internal mutex.
#ifndef VIGIL_HACK_BENCH_VM_BENCH_VM_LIBVIRT_H_
#define VIGIL_HACK_BENCH_VM_BENCH_VM_LIBVIRT_H_

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "virt/hypervisor.h"

namespace vigil::bench {

// What the benchmark's domains boot: the multiboot kernel `kernel` (the
// tick guest, see bench_vm_ticks.h), through qboot when `qboot`, else
// through qemu's default firmware, SeaBIOS.
struct GuestImage {
  std::string kernel;
  bool qboot = false;
};

// Debian's qboot firmware (package qemu-system-data): it reaches the kernel
// sooner than SeaBIOS.
inline constexpr char kQboot[] = "/usr/share/qemu/qboot.rom";
// Whether kQboot exists.
bool QbootAvailable();

// A diskless 64 MiB domain named `name` that boots `guest` and sends its
// serial port's bytes as UDP datagrams to 127.0.0.1:`tick_port`: type 'kvm'
// when /dev/kvm is usable, 'qemu' (TCG) otherwise.
std::string GuestDomainXml(const std::string& name, const GuestImage& guest, int tick_port);

// Whether /dev/kvm is usable (domains get KVM rather than TCG).
bool KvmAvailable();

class LibvirtProbe {
 public:
  // Connects to `uri` and subscribes to lifecycle events. Unavailable when
  // the daemon does not answer.
  static absl::StatusOr<std::unique_ptr<LibvirtProbe>> Open(const std::string& uri);
  ~LibvirtProbe();

  // The PID of the running domain's qemu. FailedPrecondition if it is not
  // running; NotFound if there is no such domain.
  absl::StatusOr<pid_t> QemuPid(const std::string& domain);

  // Whether the domain exists and is running.
  bool Running(const std::string& domain);

  // A stop of a domain as libvirt reported it.
  struct StopEvent {
    absl::Time received;             // when it reached this process
    virt::LifecycleEventKind kind;   // kStoppedFailed or kDestroyed
  };

  // The first stopped-failed or destroyed event of `domain` received at or
  // after `after` (a destroy by the agent can reach libvirt before libvirt
  // has noticed the dead qemu itself); waits up to `timeout`.
  std::optional<StopEvent> WaitStopped(const std::string& domain, absl::Time after,
                                       absl::Duration timeout);

  // Defines the domain `xml` names (once), starts it (virDomainCreate) and
  // waits until libvirt reports it running. Returns when it was started and
  // when it was seen running; the caller destroys it (Destroy), and the
  // definition stays until Remove. DeadlineExceeded after 30 s.
  struct Started {
    absl::Time requested, running;
  };
  absl::StatusOr<Started> StartDomain(const std::string& name, const std::string& xml);

  // Destroys the running domain (virDomainDestroy).
  absl::Status Destroy(const std::string& domain);

  // Destroys (if running) and undefines the domain. OK when it does not
  // exist. Only ever called with the benchmark's own domain names.
  absl::Status Remove(const std::string& domain);

  // Whether a domain of that name is defined or running.
  bool Exists(const std::string& domain);

 private:
  explicit LibvirtProbe(std::unique_ptr<virt::LibvirtHypervisor> hypervisor);
  void OnEvent(const virt::LifecycleEvent& event);

  std::unique_ptr<virt::LibvirtHypervisor> hypervisor_;
  virt::Hypervisor::SubscriptionId subscription_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<StopEvent>> stopped_;  // guarded by mu_
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_VM_BENCH_VM_LIBVIRT_H_
