// End-to-end fencing before recovery: a real vigild and two node agents; the
// agent of the node holding the active is killed with kill -9, which leaves
// what it started running (as a dead agent on a live machine would). With
// spec.fencing the node is fenced first — by `vigild fence-local` (exec
// processes) or by destroying its domains through qemu:///system (VMs) — and
// only then is the service started on the other node: there is never a
// moment with two running actives. Without spec.fencing status says so
// (NotConfigured) and the orphan is still there, which is why fencing exists.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/e2e/cluster_fixture.h"
#include "virt/hypervisor.h"

namespace vigil::e2e {
namespace {

class NodeFencingTest : public ClusterTest {
 protected:
  // Node n1 declared with `fencing` before its agent registers it.
  void DeclareNodeN1(Json fencing) {
    Create(Obj("Node", "n1", {{"fencing", std::move(fencing)}}));
  }
  Json FenceLocalN1() {
    return {{"command",
             {kVigildBinary, "fence-local", "--data-dir", (dir_ / "n1").string(), "--node", "n1"}},
            {"timeout", "5s"}};
  }
  // A 2N group, unit a on n1 (preferred) and b on n2, each with one
  // component made by `component(unit)`.
  void CreateService(const std::function<Json(const std::string&)>& component) {
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const auto& [unit, node, rank] : {std::tuple{"a", "n1", 1}, std::tuple{"b", "n2", 2}}) {
      Create(Obj("ServiceUnit", unit, {{"serviceGroup", "g"}, {"node", node}, {"rank", rank}}));
      Json spec = component(unit);
      spec["serviceUnit"] = unit;
      spec["csTypes"] = {"svc"};
      Create(Obj("Component", std::string(unit) + "-svc", spec));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "svc"}, {"csType", "svc"}}}}}));
  }
  void StartActiveOnN1() {
    ASSERT_NO_FATAL_FAILURE(StartAgent("n1"));
    ASSERT_NO_FATAL_FAILURE(StartAgent("n2"));
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; }, milliseconds(60000)))
        << Status("ServiceInstance", "si").dump();
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "b"; }, milliseconds(60000)));
  }
  Json Fencing(const std::string& node) {
    return Status("Node", node).value("fencing", Json::object());
  }
  static Json Sleeper(const std::string&) {
    return {{"exec", {{"instantiate", {"sleep", "600"}}}}};
  }
  // After the agents are gone (one could restart a domain meanwhile), the
  // test's domains are destroyed and undefined.
  void TearDown() override {
    ClusterTest::TearDown();
    for (const std::string& domain : domains_) {
      (void)libvirt_->DestroyDomain(domain);
      (void)libvirt_->UndefineDomain(domain);
    }
  }
  std::unique_ptr<virt::LibvirtHypervisor> libvirt_;  // set by the VM test
  std::vector<std::string> domains_;                  // the VM test's domains
};

// The first moment (steady clock) the old active was seen gone and the new
// one seen running.
struct Moments {
  std::optional<std::chrono::steady_clock::time_point> a_gone, b_up;
};

TEST_F(NodeFencingTest, KilledAgentsProcessesAreFencedBeforeTheStandbyStarts) {
  ASSERT_NO_FATAL_FAILURE(DeclareNodeN1(FenceLocalN1()));
  ASSERT_NO_FATAL_FAILURE(CreateService(Sleeper));
  ASSERT_NO_FATAL_FAILURE(StartActiveOnN1());
  const int64_t a_pid = WaitRecorded("n1", "a-svc");  // what fence-local reads
  ASSERT_GT(a_pid, 0);
  ASSERT_TRUE(ProcessAlive(a_pid));

  const Steady::time_point killed = Steady::now();
  agents_["n1"]->Signal(SIGKILL);
  Moments at;
  ASSERT_TRUE(WaitFor(
      [&] {
        const Steady::time_point now = Steady::now();
        if (!at.a_gone && !ProcessAlive(a_pid)) at.a_gone = now;
        if (!at.b_up && ProcessAlive(Status("Component", "b-svc").value("pid", 0))) at.b_up = now;
        return at.b_up.has_value() && ConfirmedUnit("Active") == "b";
      },
      milliseconds(20000)))
      << Status("ServiceInstance", "si").dump() << Fencing("n1").dump() << vigild_->Output();
  const double outage = Ms(Steady::now() - killed);
  ASSERT_TRUE(at.a_gone.has_value()) << "the old active still runs beside the new one";
  EXPECT_LE(*at.a_gone, *at.b_up);
  std::printf("agent of n1 killed -> its process fenced %.0f ms, new active running %.0f ms, "
              "confirmed %.0f ms\n",
              Ms(*at.a_gone - killed), Ms(*at.b_up - killed), outage);
  const Json fencing = Fencing("n1");
  EXPECT_EQ(fencing.value("phase", ""), "Fenced") << fencing.dump();
  EXPECT_EQ(fencing.value("method", ""), "command") << fencing.dump();
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

TEST_F(NodeFencingTest, WithoutFencingTheDeadAgentsProcessLivesOnAndStatusSaysSo) {
  ASSERT_NO_FATAL_FAILURE(CreateService(Sleeper));
  ASSERT_NO_FATAL_FAILURE(StartActiveOnN1());
  const int64_t a_pid = WaitRecorded("n1", "a-svc");  // what fence-local reads
  ASSERT_GT(a_pid, 0);
  agents_["n1"]->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "b"; }))
      << Status("ServiceInstance", "si").dump();
  EXPECT_TRUE(ProcessAlive(a_pid));  // nothing stopped it: only the agent could
  ASSERT_TRUE(WaitFor([&] { return Fencing("n1").value("phase", "") == "NotConfigured"; }))
      << Fencing("n1").dump();
}

TEST_F(NodeFencingTest, UnconfirmedFenceWithWaitForConfirmationHoldsTheService) {
  ASSERT_NO_FATAL_FAILURE(DeclareNodeN1(
      {{"command", {"false"}}, {"timeout", "200ms"}, {"policy", "WaitForConfirmation"}}));
  ASSERT_NO_FATAL_FAILURE(CreateService(Sleeper));
  ASSERT_NO_FATAL_FAILURE(StartActiveOnN1());
  agents_["n1"]->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return Fencing("n1").value("attempts", 0) >= 3; }))
      << Fencing("n1").dump();
  EXPECT_EQ(Fencing("n1").value("phase", ""), "Fencing");
  EXPECT_NE(ConfirmedUnit("Active"), "b");
  for (const Json& a : Status("ServiceInstance", "si").value("assignments", Json::array())) {
    if (a.value("haState", "") != "Active") continue;
    EXPECT_EQ(a.value("unit", ""), "a") << "b must not take over unfenced: " << a.dump();
  }
  const int64_t b_pid = Status("Component", "b-svc").value("pid", 0);
  EXPECT_FALSE(ProcessAlive(b_pid));
}

// VMs: the fencer destroys the dead agent's domain through qemu:///system
// before the other node's domain starts.
TEST_F(NodeFencingTest, KilledAgentsDomainIsDestroyedBeforeTheStandbyDomainStarts) {
  if (!std::filesystem::exists("/run/libvirt/libvirt-sock")) {
    GTEST_SKIP() << "no libvirtd (run hack/setup-libvirt.sh)";
  }
  auto opened = virt::LibvirtHypervisor::Open("qemu:///system");
  ASSERT_TRUE(opened.ok()) << opened.status();
  libvirt_ = std::move(*opened);
  virt::LibvirtHypervisor* libvirt = libvirt_.get();
  if (!libvirt->IsAlive()) GTEST_SKIP() << "libvirtd does not answer";
  const std::string prefix = "vigil-fence-" + std::to_string(getpid()) + "-";
  domains_ = {prefix + "a", prefix + "b"};
  auto domain_xml = [&](const std::string& unit) {
    const char* type = access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "qemu";
    return std::string("<domain type='") + type + "'><name>" + prefix + unit +
           "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64'>hvm</type></os><devices/></domain>";
  };
  auto running = [&](const std::string& unit) {
    absl::StatusOr<virt::DomainStatus> state = libvirt->GetState(prefix + unit);
    return state.ok() && state->state == virt::DomainState::kRunning;
  };
  ASSERT_NO_FATAL_FAILURE(DeclareNodeN1({{"hypervisor", "qemu:///system"}, {"timeout", "10s"}}));
  ASSERT_NO_FATAL_FAILURE(CreateService([&](const std::string& unit) {
    return Json{{"virtualMachine", {{"domainXML", domain_xml(unit)}, {"shutdownTimeout", "1s"}}}};
  }));
  ASSERT_NO_FATAL_FAILURE(StartActiveOnN1());
  ASSERT_TRUE(running("a"));

  const Steady::time_point killed = Steady::now();
  agents_["n1"]->Signal(SIGKILL);
  Moments at;
  const bool failed_over = WaitFor(
      [&] {
        const Steady::time_point now = Steady::now();
        if (!at.a_gone && !running("a")) at.a_gone = now;
        if (!at.b_up && running("b")) at.b_up = now;
        return at.b_up.has_value() && ConfirmedUnit("Active") == "b";
      },
      milliseconds(60000));
  const Json fencing = Fencing("n1");
  ASSERT_TRUE(failed_over) << Status("ServiceInstance", "si").dump() << fencing.dump();
  ASSERT_TRUE(at.a_gone.has_value());
  EXPECT_LE(*at.a_gone, *at.b_up);
  std::printf("agent of n1 killed -> its domain destroyed %.0f ms, other domain running %.0f ms\n",
              Ms(*at.a_gone - killed), Ms(*at.b_up - killed));
  EXPECT_EQ(fencing.value("phase", ""), "Fenced") << fencing.dump();
  EXPECT_EQ(fencing.value("method", ""), "hypervisor") << fencing.dump();
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

}  // namespace
}  // namespace vigil::e2e
