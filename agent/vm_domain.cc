#include "agent/vm_domain.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/process.h"

namespace vigil::agent {
namespace {

using std::chrono::milliseconds;

// How long each graceful-shutdown wait lasts before `cancelled` is polled.
constexpr milliseconds kShutdownSlice{500};

std::string ReasonFor(const absl::Status& status, const std::string& otherwise) {
  if (absl::IsUnavailable(status)) return "HypervisorUnavailable";
  return otherwise;
}

// Defines the domain or checks the named one exists; returns its name.
DomainStart Resolve(virt::Hypervisor& hypervisor, const api::VirtualMachineSpec& spec) {
  DomainStart out;
  if (!spec.domain_xml.empty()) {
    absl::StatusOr<std::string> name = hypervisor.DefineDomain(spec.domain_xml);
    // XML without a <uuid> gets a new one at each definition, which libvirt
    // refuses for an existing domain of that name: the existing definition
    // (from an earlier instantiation) is used then.
    const std::string existing = DomainNameOf(spec);
    if (!name.ok() && !absl::IsInvalidArgument(name.status()) &&
        !absl::IsUnavailable(name.status()) && !existing.empty() &&
        hypervisor.LookupDomain(existing).ok()) {
      name = existing;
    }
    if (!name.ok()) {
      out.status = name.status();
      out.reason = absl::IsInvalidArgument(name.status())
                       ? "InvalidDomainXML"
                       : ReasonFor(name.status(), "DefineFailed");
      return out;
    }
    out.name = *name;
    return out;
  }
  out.status = hypervisor.LookupDomain(spec.domain_name);
  if (!out.status.ok()) {
    out.reason =
        absl::IsNotFound(out.status) ? "DomainNotFound" : ReasonFor(out.status, "LookupFailed");
  }
  out.name = spec.domain_name;
  return out;
}

bool Off(const absl::Status& status) {
  return status.ok() || absl::IsFailedPrecondition(status) || absl::IsNotFound(status);
}

}  // namespace

std::string DomainStateText(virt::DomainState state) {
  return absl::AsciiStrToLower(std::string(virt::DomainStateName(state)));
}

bool IsRunning(virt::DomainState state) {
  return state == virt::DomainState::kRunning || state == virt::DomainState::kBlocked;
}

DomainStart StartDomainBlocking(virt::Hypervisor& hypervisor, const api::VirtualMachineSpec& spec) {
  DomainStart out = Resolve(hypervisor, spec);
  if (!out.status.ok()) return out;
  out.start_attempted = true;
  absl::Status started = hypervisor.StartDomain(out.name);
  // Already running (a copy nobody recorded): it is taken over, never
  // started twice.
  out.already_running = absl::IsFailedPrecondition(started);
  if (!started.ok() && !out.already_running) {
    out.status = started;
    out.reason = ReasonFor(started, "StartFailed");
    return out;
  }
  DomainCheck check = CheckDomainBlocking(hypervisor, out.name);
  if (!check.status.ok() || !IsRunning(check.state.state)) {
    out.status = check.status.ok() ? absl::UnavailableError(absl::StrCat(
                                         "domain ", out.name, " is ",
                                         DomainStateText(check.state.state), " after its start"))
                                   : check.status;
    out.reason = check.status.ok() ? "DomainNotRunning" : ReasonFor(check.status, "StartFailed");
    return out;
  }
  out.id = check.id;
  out.qemu_pid = check.qemu_pid;
  out.state = DomainStateText(check.state.state);
  if (out.qemu_pid != 0) out.start_ticks = ReadStartTicks(out.qemu_pid).value_or(0);
  return out;
}

absl::Status StopDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name,
                                milliseconds timeout, const std::function<bool()>& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::Status status = absl::DeadlineExceededError("no time for a graceful shutdown");
  while (!cancelled()) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) break;
    status = hypervisor.ShutdownDomain(name, std::min(left, kShutdownSlice));
    if (!absl::IsDeadlineExceeded(status)) break;
  }
  if (Off(status)) return absl::OkStatus();
  return DestroyDomainBlocking(hypervisor, name);
}

absl::Status DestroyDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name) {
  absl::Status status = hypervisor.DestroyDomain(name);
  return Off(status) ? absl::OkStatus() : status;
}

DomainCheck CheckDomainBlocking(virt::Hypervisor& hypervisor, const std::string& name) {
  DomainCheck out;
  absl::StatusOr<virt::DomainStatus> state = hypervisor.GetState(name);
  if (!state.ok()) {
    out.status = state.status();
    return out;
  }
  out.state = *state;
  if (!IsRunning(state->state) && state->state != virt::DomainState::kPaused) return out;
  out.id = hypervisor.GetDomainId(name).value_or(-1);
  out.qemu_pid = hypervisor.GetQemuPid(name).value_or(0);
  return out;
}

namespace {

class GuestAgentProbe : public Probe {
 public:
  GuestAgentProbe(std::shared_ptr<virt::Hypervisor> hypervisor, std::string domain)
      : hypervisor_(std::move(hypervisor)), domain_(std::move(domain)) {}
  absl::Status Check(Millis timeout) override {
    return hypervisor_->PingGuestAgent(domain_, timeout);
  }

 private:
  const std::shared_ptr<virt::Hypervisor> hypervisor_;
  const std::string domain_;
};

}  // namespace

std::unique_ptr<Probe> MakeGuestAgentProbe(std::shared_ptr<virt::Hypervisor> hypervisor,
                                           std::string domain) {
  return std::make_unique<GuestAgentProbe>(std::move(hypervisor), std::move(domain));
}

HealthCheckSettings GuestAgentPingSettings(std::chrono::milliseconds period) {
  return {.period = period,
          .timeout = period,
          .failure_threshold = 3,
          .startup_interval = std::min(period, std::chrono::milliseconds(100))};
}

}  // namespace vigil::agent
