// The blocking steps of a virtualMachine component's lifecycle, as plain
// functions over a virt::Hypervisor: they run on a VmWorker thread, never on
// the agent's loop. Each returns what the VmRunner needs to decide, including
// a condition reason for the user (InvalidDomainXML, DomainNotFound,
// HypervisorUnavailable, StartFailed, ...).
//
// Thread safety: pure functions; the Hypervisor is safe for concurrent use.
#ifndef VIGIL_AGENT_VM_DOMAIN_H_
#define VIGIL_AGENT_VM_DOMAIN_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "agent/health_check.h"
#include "api/types.h"
#include "virt/hypervisor.h"

namespace vigil::agent {

// What starting a domain gave.
struct DomainStart {
  absl::Status status;           // OK: running
  std::string reason;            // condition reason when !status.ok()
  bool start_attempted = false;  // the domain may run (cleanup must destroy it)
  bool already_running = false;  // it ran before we started it (taken over)
  std::string name;
  int id = -1;
  pid_t qemu_pid = 0;  // 0: the hypervisor exposes none (e.g. test:///)
  uint64_t start_ticks = 0;
  std::string state;  // "running", ...
};

// What a domain looks like now.
struct DomainCheck {
  absl::Status status;  // NotFound: no such domain; Unavailable: no connection
  virt::DomainStatus state;
  int id = -1;
  pid_t qemu_pid = 0;
};

// "running", "paused", "shutoff", ... for status.domain.state.
std::string DomainStateText(virt::DomainState state);

// True for states in which the guest runs (running, blocked).
bool IsRunning(virt::DomainState state);

// Defines the domain from spec.domain_xml (or checks that spec.domain_name
// exists) and starts it, unless it runs already; then reads its id and qemu
// PID. REQUIRES: not on the agent's loop thread.
DomainStart StartDomainBlocking(virt::Hypervisor& hypervisor, const api::VirtualMachineSpec& spec);

// Graceful stop: asks the guest to shut down, re-checking `cancelled` at
// least every 500 ms, for up to `timeout`; then destroys it. OK once the
// domain is off (or gone). REQUIRES: not on the loop thread.
absl::Status StopDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name,
                                std::chrono::milliseconds timeout,
                                const std::function<bool()>& cancelled);

// Destroys the domain at once. OK when it is off afterwards (including when
// it was not running, or is not defined at all).
absl::Status DestroyDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name);

// The domain's state, id and qemu PID.
DomainCheck CheckDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name);

// A health probe that pings the domain's QEMU guest agent (`guest-ping`
// through libvirt): healthy when the agent answers within the timeout.
std::unique_ptr<Probe> MakeGuestAgentProbe(std::shared_ptr<virt::Hypervisor> hypervisor,
                                           std::string domain);

// How the guest-agent pings of spec.guestAgentPing run: one ping per period,
// each waiting up to a period (libvirt rounds up to whole seconds), failed
// after three missed pings in a row; until the agent first answers (the
// guest is booting) it is asked every 100 ms or period, whichever is shorter.
HealthCheckSettings GuestAgentPingSettings(std::chrono::milliseconds period);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_VM_DOMAIN_H_
