// NodeAgent with virtualMachine components on libvirt's in-process
// test:///default driver (injected through NodeAgentOptions'
// hypervisor_factory): bad input gives a clear Ready=false reason on the
// component only, and the group fails over to the good one.
#include <unistd.h>

#include <atomic>
#include <string>

#include "tests/agent/agent_fixture.h"
#include "virt/hypervisor.h"

namespace vigil::agent::testing {
namespace {

std::string TestDomainXml(const std::string& name) {
  return "<domain type='test'><name>" + name +
         "</name><memory>65536</memory><os><type>hvm</type></os></domain>";
}

class VmAgentTest : public AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    auto opened = virt::LibvirtHypervisor::Open("test:///default");
    ASSERT_TRUE(opened.ok()) << opened.status();
    hypervisor_ = std::shared_ptr<virt::Hypervisor>(std::move(*opened));
    static std::atomic<int> counter{0};
    prefix_ = "vigil-test-" + std::to_string(getpid()) + "-agent" + std::to_string(++counter) + "-";
  }
  void TearDown() override {
    AgentFixture::TearDown();
    for (const std::string unit : {"a", "b"}) {
      (void)hypervisor_->DestroyDomain(prefix_ + unit);
      (void)hypervisor_->UndefineDomain(prefix_ + unit);
    }
  }
  NodeAgentOptions VmOptions() {
    NodeAgentOptions options = AgentOptions("n1");
    options.vm_instantiation = {.attempts = 2, .delay = milliseconds(50)};
    options.hypervisor_factory = [this](const std::string& uri) {
      opened_uris_.push_back(uri);
      return absl::StatusOr<std::shared_ptr<virt::Hypervisor>>(hypervisor_);
    };
    return options;
  }
  // A 2N group of units a and b on n1 with one virtualMachine component
  // each; `a_vm` is unit a's virtualMachine spec.
  void CreateGroup(Json a_vm, const std::string& hypervisor = "qemu:///system") {
    Create(Obj("Node", "n1", {{"hypervisor", hypervisor}}));
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const std::string unit : {"a", "b"}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", "n1"}, {"rank", unit == "a" ? 1 : 2}}));
      Json vm = unit == "a" ? a_vm
                            : Json{{"domainXML", TestDomainXml(prefix_ + unit)},
                                   {"shutdownTimeout", "200ms"}};
      Create(Obj("Component", unit + "-vm",
                 {{"serviceUnit", unit},
                  {"csTypes", {"vm"}},
                  {"recovery", "ComponentRestart"},
                  {"virtualMachine", vm}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "vm"}, {"csType", "vm"}}}}}));
  }
  std::string ReadyReason(const std::string& component) {
    Json conditions = Status("Component", component).value("conditions", Json::array());
    return conditions.empty() ? "" : conditions[0].value("reason", "");
  }
  // Waits until `component` reports `reason`, in its Ready condition or in
  // its recorded failure (reports are coalesced: by the time one is written
  // the condition may have moved on to a retry).
  bool WaitReported(const std::string& component, const std::string& reason) {
    return WaitFor([&] {
      return ReadyReason(component) == reason ||
             FailureReason("Component", component).find(reason) != std::string::npos;
    });
  }
  bool DomainRunning(const std::string& unit) {
    auto state = hypervisor_->GetState(prefix_ + unit);
    return state.ok() && state->state == virt::DomainState::kRunning;
  }

  std::shared_ptr<virt::Hypervisor> hypervisor_;
  std::string prefix_;
  std::vector<std::string> opened_uris_;  // agent's loop thread, read after sync
};

TEST_F(VmAgentTest, RunsTheActiveDomainOnTheNodesHypervisor) {
  StartController();
  CreateGroup({{"domainXML", TestDomainXml(prefix_ + "a")}, {"shutdownTimeout", "200ms"}});
  StartAgent(VmOptions());
  ASSERT_TRUE(WaitActiveOn("a"));
  EXPECT_TRUE(DomainRunning("a"));
  EXPECT_FALSE(DomainRunning("b"));
  EXPECT_TRUE(WaitFor([&] { return ReadyReason("a-vm") == "Running"; }));
  Json domain = Status("Component", "a-vm").value("domain", Json::object());
  EXPECT_EQ(domain.value("name", ""), prefix_ + "a");
  EXPECT_EQ(domain.value("state", ""), "running");
  EXPECT_GE(domain.value("id", -1), 0);
  EXPECT_EQ(opened_uris_, std::vector<std::string>{"qemu:///system"});  // one, shared

  // Destroyed from outside: restarted in place (ComponentRestart).
  ASSERT_TRUE(hypervisor_->DestroyDomain(prefix_ + "a").ok());
  ASSERT_TRUE(WaitFor([&] {
    return Status("Component", "a-vm").value("restartCount", 0) == 1 && DomainRunning("a") &&
           ReadyReason("a-vm") == "Running";
  }));
  EXPECT_TRUE(FailureReason("Component", "a-vm").starts_with("DomainDestroyed"));
  EXPECT_TRUE(WaitActiveOn("a"));
}

TEST_F(VmAgentTest, MalformedXmlIsReportedAndTheGroupFailsOver) {
  StartController();
  CreateGroup({{"domainXML", "<domain type='test'><name>"}});
  StartAgent(VmOptions());
  ASSERT_TRUE(WaitReported("a-vm", "InvalidDomainXML")) << Status("Component", "a-vm").dump();
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_TRUE(DomainRunning("b"));
  // The component's own report may land after the failover it caused.
  EXPECT_TRUE(WaitFor([&] {
    return FailureReason("Component", "a-vm").starts_with("InstantiationFailed: InvalidDomainXML");
  })) << FailureReason("Component", "a-vm");
}

TEST_F(VmAgentTest, UnknownDomainNameIsReportedAndTheGroupFailsOver) {
  StartController();
  CreateGroup({{"domainName", prefix_ + "missing"}});
  StartAgent(VmOptions());
  ASSERT_TRUE(WaitReported("a-vm", "DomainNotFound")) << Status("Component", "a-vm").dump();
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_TRUE(DomainRunning("b"));
}

TEST_F(VmAgentTest, UnreachableHypervisorIsReported) {
  StartController();
  CreateGroup({{"domainXML", TestDomainXml(prefix_ + "a")}},
              "qemu+unix:///system?socket=" + dir_ + "/no-such-socket");
  NodeAgentOptions options = VmOptions();
  options.hypervisor_factory = nullptr;  // the real LibvirtHypervisor::Open
  StartAgent(options);
  ASSERT_TRUE(WaitReported("a-vm", "HypervisorUnavailable")) << Status("Component", "a-vm").dump();
  ASSERT_TRUE(WaitFor([&] {
    return Status("Component", "b-vm").value("presenceState", "") != "" &&
           FailureReason("Component", "a-vm").starts_with("InstantiationFailed");
  }));
  EXPECT_FALSE(DomainRunning("a"));
}

}  // namespace
}  // namespace vigil::agent::testing
