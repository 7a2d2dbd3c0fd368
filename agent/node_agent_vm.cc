// NodeAgent: virtualMachine components and the hypervisors they run on.
#include "absl/strings/str_cat.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"
#include "agent/vm_runner.h"

namespace vigil::agent {
namespace {

constexpr char kDefaultHypervisor[] = "qemu:///system";

absl::StatusOr<std::shared_ptr<virt::Hypervisor>> OpenLibvirt(const std::string& uri) {
  absl::StatusOr<std::unique_ptr<virt::LibvirtHypervisor>> opened =
      virt::LibvirtHypervisor::Open(uri);
  if (!opened.ok()) return opened.status();
  return std::shared_ptr<virt::Hypervisor>(std::move(*opened));
}

}  // namespace

std::unique_ptr<ComponentRunner> NodeAgent::MakeVmRunner(const RunnerContext& context,
                                                         const ComponentIdentity& who,
                                                         const api::VirtualMachineSpec& spec,
                                                         const RunnerCallbacks& callbacks) {
  std::string uri = view_.node.has_value() ? view_.node->spec.hypervisor : "";
  if (uri.empty()) uri = kDefaultHypervisor;
  if (!hypervisors_.contains(uri) && !hypervisor_errors_.contains(uri)) {
    // Opened once per URI, on first use. An unreachable daemon is not an
    // error here: the hypervisor keeps re-connecting and calls fail
    // Unavailable meanwhile.
    auto opened = options_.hypervisor_factory ? options_.hypervisor_factory(uri) : OpenLibvirt(uri);
    if (opened.ok() && *opened != nullptr) {
      hypervisors_[uri] = *opened;
    } else {
      hypervisor_errors_[uri] =
          absl::StrCat("cannot open hypervisor ", uri, ": ",
                       opened.ok() ? "no hypervisor" : opened.status().ToString());
      Log(hypervisor_errors_[uri]);
    }
  }
  VmRunnerOptions vm;
  vm.instantiation = options_.vm_instantiation;
  vm.paused_grace = options_.vm_paused_grace;
  if (auto it = hypervisors_.find(uri); it != hypervisors_.end()) {
    vm.hypervisor = it->second;
  } else {
    vm.hypervisor_error = hypervisor_errors_[uri];
  }
  return std::make_unique<VmRunner>(context, who, spec, std::move(vm), callbacks);
}

}  // namespace vigil::agent
