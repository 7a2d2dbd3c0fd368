// VmE2eFixture: the real Registry on RocksDB, the AssignmentController and a
// NodeAgent driving real diskless domains on the qemu:///system daemon.
// Tests using it are skipped (with the reason) when no libvirtd answers;
// start one with hack/setup-libvirt.sh.
#ifndef VIGIL_TESTS_AGENT_VM_E2E_FIXTURE_H_
#define VIGIL_TESTS_AGENT_VM_E2E_FIXTURE_H_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/agent/agent_fixture.h"
#include "virt/hypervisor.h"

namespace vigil::agent::testing {


inline constexpr char kDaemonSocket[] = "/run/libvirt/libvirt-sock";

// A diskless 64 MiB domain: with nothing to boot it simply runs. KVM when
// /dev/kvm is usable, TCG otherwise.
inline std::string DisklessXml(const std::string& name) {
  const char* type = access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "qemu";
  return std::string("<domain type='") + type + "'><name>" + name +
         "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
         "<os><type arch='x86_64'>hvm</type></os><devices/></domain>";
}

class VmE2eTest : public AgentFixture {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDaemonSocket)) {
      GTEST_SKIP() << "no libvirtd socket " << kDaemonSocket << " (run hack/setup-libvirt.sh)";
    }
    auto opened = virt::LibvirtHypervisor::Open("qemu:///system");
    ASSERT_TRUE(opened.ok()) << opened.status();
    hypervisor_ = std::move(*opened);
    if (!hypervisor_->IsAlive()) {
      GTEST_SKIP() << "libvirtd does not answer on qemu:///system";
    }
    AgentFixture::SetUp();
    static std::atomic<int> counter{0};
    prefix_ = "vigil-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-";
  }
  void TearDown() override {
    if (hypervisor_ == nullptr) return;
    AgentFixture::TearDown();
    for (const std::string unit : {"a", "b"}) {
      (void)hypervisor_->DestroyDomain(Domain(unit));
      (void)hypervisor_->UndefineDomain(Domain(unit));
    }
  }

  std::string Domain(const std::string& unit) { return prefix_ + unit; }

  // A 2N group "g" of units a (rank 1) and b (rank 2) on node n1, one
  // virtualMachine component per unit (<unit>-vm), one SI "si".
  void CreateVmTwoN(const std::string& recovery) {
    Create(Obj("Node", "n1", {{"hypervisor", "qemu:///system"}}));
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const std::string unit : {"a", "b"}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", "n1"}, {"rank", unit == "a" ? 1 : 2}}));
      Create(Obj("Component", unit + "-vm",
                 {{"serviceUnit", unit},
                  {"csTypes", {"vm"}},
                  {"recovery", recovery},
                  {"virtualMachine",
                   {{"domainXML", DisklessXml(Domain(unit))},
                    {"shutdownTimeout", "500ms"},
                    {"startTimeout", "30s"}}}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "vm"}, {"csType", "vm"}}}}}));
  }
  Json DomainStatus(const std::string& component) {
    return Status("Component", component).value("domain", Json::object());
  }
  int64_t QemuPid(const std::string& component) {
    return DomainStatus(component).value("qemuPid", int64_t{0});
  }
  bool Running(const std::string& unit) {
    auto state = hypervisor_->GetState(Domain(unit));
    return state.ok() && state->state == virt::DomainState::kRunning;
  }
  bool WaitFailure(const std::string& component, const std::string& reason) {
    return WaitFor([&] { return FailureReason("Component", component).starts_with(reason); },
                   milliseconds(30000));
  }

  std::unique_ptr<virt::LibvirtHypervisor> hypervisor_;
  std::string prefix_;
};

}  // namespace vigil::agent::testing

#endif  // VIGIL_TESTS_AGENT_VM_E2E_FIXTURE_H_
