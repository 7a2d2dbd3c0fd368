// End-to-end admin operations, run with the `vigil` binary as a user would:
// a real vigild, two remote node agents (n1, n2) and real processes. A 2N
// group g: unit a on n1 (rank 1, preferred) and b on n2, each running
// `sleep` while it holds SI si active.
//   - vigil lock node n1: si is active on n2 after one graceful switchover
//     (a quiesced, then b active), never two confirmed actives, one outage
//     only, measured; vigil unlock node n1: a is back as standby and, as
//     the group prefers a (autoAdjust), the SI switches back.
//   - vigil drain node n1 with an SA-aware service (preinstantiated on both
//     nodes): switched over, then its process on n1 is terminated.
//   - LockedInstantiation set directly (not through vigil) on the unit
//     holding the active: still a graceful switchover, then terminated.
//   - vigil shutdown node n1: the assignment is quiesced (Quiescing), then
//     the node ends Locked.
//   - vigil lock when no other unit can take the SI: exit 1 with the reason.
//   - vigil repaired su a / node n1: a unit that failed (autoRepair off)
//     comes back as standby.
//   - vigil drain node n1 / lock node n2 with a VM that allows migration:
//     live-migrated between two real libvirt daemons; with an unreachable
//     target, shut down and started instead.
#include <signal.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "tests/e2e/cluster_fixture.h"
#include "virt/hypervisor.h"

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;

const std::string kVigilBinary = std::string(VIGIL_BIN_DIR) + "/vigil";
const std::string kSaExample = std::string(VIGIL_BIN_DIR) + "/vigil-sa-example";

// Periods without a confirmed active assignment of one SI, seen by polling
// every 2 ms while something runs.
struct Outages {
  int count = 0;
  double longest_ms = 0;
};

class NodeAdminTest : public ClusterTest {
 protected:
  // Runs `vigil --server URL args...`, echoing what it printed.
  RunResult Vigil(std::vector<std::string> args) {
    args.insert(args.begin(), {kVigilBinary, "--server", url_});
    const Steady::time_point start = Steady::now();
    RunResult result = e2e::Run(args);
    std::printf("$ vigil");
    for (size_t i = 3; i < args.size(); ++i) std::printf(" %s", args[i].c_str());
    std::printf("\n%s(exit %d, %.0f ms)\n", result.output.c_str(), result.exit_code,
                Ms(Steady::now() - start));
    return result;
  }

  // Runs vigil while a second client polls SI `si` for outages.
  std::pair<RunResult, Outages> VigilMeasured(std::vector<std::string> args,
                                              const std::string& si = "si") {
    std::atomic<bool> done{false};
    Outages outages;
    std::thread poller([&] {
      client::HttpClientOptions options;
      options.server = url_;
      client::HttpClient http(options);
      bool served = true;
      Steady::time_point lost;
      while (!done.load()) {
        absl::StatusOr<Json> obj = http.Get("ServiceInstance", si);
        bool active = false;
        if (obj.ok()) {
          for (const Json& a :
               obj->value("status", Json::object()).value("assignments", Json::array())) {
            active |= a.value("haState", "") == "Active" && a.value("confirmed", false);
          }
        }
        if (served && !active) lost = Steady::now();
        if (!served && active) {
          ++outages.count;
          outages.longest_ms = std::max(outages.longest_ms, Ms(Steady::now() - lost));
        }
        served = active;
        std::this_thread::sleep_for(milliseconds(2));
      }
    });
    RunResult result = Vigil(std::move(args));
    done = true;
    poller.join();
    return {result, outages};
  }

  std::string AdminState(const std::string& kind, const std::string& name) {
    absl::StatusOr<Json> obj = http_->Get(kind, name);
    return obj.ok() ? obj->value("spec", Json::object()).value("adminState", "Unlocked") : "?";
  }
  int64_t Pid(const std::string& component) { return Status("Component", component).value("pid", 0); }

  // Group g (2N) with unit a on n1 (rank 1) and b on n2 (rank 2), one
  // component each from `component_spec` (named a-svc, b-svc), SI `si`.
  void CreateService(const Json& group_extra, const Json& component_spec,
                     const Json& attributes = Json::object()) {
    Json group = {{"redundancyModel", "2N"}};
    group.update(group_extra);
    Create(Obj("ServiceGroup", "g", group));
    for (const auto& [unit, node] : {std::pair{"a", "n1"}, std::pair{"b", "n2"}}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", node}, {"rank", std::string(unit) == "a" ? 1 : 2}}));
      Json component = component_spec;
      component["serviceUnit"] = unit;
      component["csTypes"] = {"svc"};
      Create(Obj("Component", std::string(unit) + "-svc", component));
    }
    // Both units in service before the SI exists, so that it goes to the
    // preferred one (a) whichever agent reports first.
    ASSERT_TRUE(WaitFor([&] {
      return Status("ServiceUnit", "a").value("readinessState", "") == "InService" &&
             Status("ServiceUnit", "b").value("readinessState", "") == "InService";
    })) << Status("ServiceUnit", "a").dump() << Status("ServiceUnit", "b").dump();
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"},
                {"csis", {{{"name", "svc"}, {"csType", "svc"}, {"attributes", attributes}}}}}));
  }

  // Both agents, then the service active on a (n1) and standby on b (n2).
  void StartService(const Json& group_extra = Json::object(),
                    const Json& component = {{"exec", {{"instantiate", {"sleep", "600"}}}}},
                    const Json& attributes = Json::object()) {
    ASSERT_NO_FATAL_FAILURE(StartAgent("n1"));
    ASSERT_NO_FATAL_FAILURE(StartAgent("n2"));
    ASSERT_NO_FATAL_FAILURE(CreateService(group_extra, component, attributes));
    ASSERT_TRUE(WaitFor([&] {
      return !ConfirmedUnit("Active").empty() && !ConfirmedUnit("Standby").empty();
    })) << Status("ServiceInstance", "si").dump();
    // Rarely the controller still sees a out of service when the SI comes
    // and starts it on b: lock b for a moment to move it to a.
    if (ConfirmedUnit("Active") == "b") {
      std::printf("setup: si started on b; moving it to a\n");
      ASSERT_NO_FATAL_FAILURE(SetUnitAdmin("b", "Locked"));
      ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; }))
          << Status("ServiceInstance", "si").dump();
      ASSERT_NO_FATAL_FAILURE(SetUnitAdmin("b", "Unlocked"));
    }
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; }))
        << Status("ServiceInstance", "si").dump();
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "b"; }))
        << Status("ServiceInstance", "si").dump();
  }

  void SetUnitAdmin(const std::string& unit, const std::string& state) {
    absl::StatusOr<Json> patched =
        http_->Patch("ServiceUnit", unit, {{"spec", {{"adminState", state}}}});
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
};

TEST_F(NodeAdminTest, LockSwitchesOverGracefullyAndUnlockSwitchesBack) {
  ASSERT_NO_FATAL_FAILURE(StartService(
      {{"autoAdjust", {{"enabled", true}, {"probation", "1s"}, {"minInterval", "1s"}}}}));
  ASSERT_TRUE(WaitFor([&] { return ProcessAlive(Pid("a-svc")); }));
  const int64_t on_n1 = Pid("a-svc");

  auto [lock, outages] = VigilMeasured({"lock", "node", "n1"});
  ASSERT_EQ(lock.exit_code, 0) << lock.output << vigild_->Output();
  EXPECT_THAT(lock.output, HasSubstr("node/n1: Unlocked -> Locked\n"));
  EXPECT_THAT(lock.output, HasSubstr("si/si: active a on n1, standby b on n2\n"));
  EXPECT_THAT(lock.output, HasSubstr("si/si: quiesced on a on n1\n"));  // graceful, not a failover
  EXPECT_THAT(lock.output, HasSubstr("si/si: active b on n2 (was a on n1) \u2713\n"));
  std::printf("lock node n1: %d outage(s), longest %.1f ms\n", outages.count, outages.longest_ms);
  EXPECT_EQ(outages.count, 1);
  EXPECT_LT(outages.longest_ms, 3000);
  EXPECT_EQ(ConfirmedUnit("Active"), "b");
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(on_n1); }, milliseconds(5000)));
  EXPECT_TRUE(WaitFor([&] { return ProcessAlive(Pid("b-svc")); }, milliseconds(5000)));
  EXPECT_THAT(Vigil({"describe", "node", "n1"}).output,
              HasSubstr("Assignments:  <none>\nIn Progress:  <none>\n"));

  auto [unlock, back] = VigilMeasured({"unlock", "node/n1"});
  ASSERT_EQ(unlock.exit_code, 0) << unlock.output;
  EXPECT_THAT(unlock.output, HasSubstr("si/si: standby a on n1 \u2713\n"));
  EXPECT_THAT(unlock.output, HasSubstr("si/si: active a on n1 (was b on n2) \u2713\n"));
  std::printf("unlock node n1 (switchback): %d outage(s), longest %.1f ms\n", back.count,
              back.longest_ms);
  EXPECT_EQ(back.count, 1);
  EXPECT_EQ(ConfirmedUnit("Active"), "a");
  EXPECT_EQ(ConfirmedUnit("Standby"), "b");
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

TEST_F(NodeAdminTest, DrainSwitchesOverThenTerminatesTheNodesProcesses) {
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  ASSERT_NO_FATAL_FAILURE(StartService(Json::object(),
                                       {{"saAware", {{"command", {kSaExample}}}}},
                                       {{"PORT", std::to_string(port)}}));
  ASSERT_TRUE(WaitFor([&] { return ProcessAlive(Pid("a-svc")) && ProcessAlive(Pid("b-svc")); }));
  const int64_t on_n1 = Pid("a-svc");

  auto [drain, outages] = VigilMeasured({"drain", "node", "n1"});
  ASSERT_EQ(drain.exit_code, 0) << drain.output << vigild_->Output();
  EXPECT_THAT(drain.output, HasSubstr("node/n1: Unlocked -> Locked\n"));
  EXPECT_THAT(drain.output, HasSubstr("si/si: active b on n2 (was a on n1) \u2713\n"));
  EXPECT_THAT(drain.output, HasSubstr("node/n1: Locked -> LockedInstantiation\n"));
  EXPECT_THAT(drain.output, HasSubstr("node/n1 drained"));
  std::printf("drain node n1: %d outage(s), longest %.1f ms\n", outages.count, outages.longest_ms);
  EXPECT_EQ(outages.count, 1);
  EXPECT_FALSE(ProcessAlive(on_n1));  // the standby-capable process is gone too
  EXPECT_EQ(Status("ServiceUnit", "a").value("presenceState", ""), "Uninstantiated");
  EXPECT_TRUE(ProcessAlive(Pid("b-svc")));

  RunResult refused = Vigil({"unlock", "node", "n1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("cannot unlock node/n1: it is LockedInstantiation "
                                        "(valid now: unlock-instantiation)"));
  ASSERT_EQ(Vigil({"unlock-instantiation", "node", "n1"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return ProcessAlive(Pid("a-svc")); }))
      << Status("Component", "a-svc").dump();
  ASSERT_EQ(Vigil({"unlock", "node", "n1"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "a"; }));
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

// vigil refuses lock-instantiation unless Locked, but a manifest (or
// kubectl) may set it directly on a unit that holds the active: the unit
// must still hand its SI over gracefully (quiesced first), not fail over.
TEST_F(NodeAdminTest, LockedInstantiationSetDirectlyStillSwitchesOverGracefully) {
  ASSERT_NO_FATAL_FAILURE(StartService());
  absl::StatusOr<Json> patched =
      http_->Patch("ServiceUnit", "a", {{"spec", {{"adminState", "LockedInstantiation"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status();
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "b"; }))
      << Status("ServiceInstance", "si").dump();
  ASSERT_TRUE(WaitFor([&] {
    return Status("ServiceUnit", "a").value("presenceState", "") == "Uninstantiated";
  })) << Status("ServiceUnit", "a").dump();
  const std::string log = vigild_->Output();
  EXPECT_THAT(log, HasSubstr("set si on a to Quiesced (admin lock-instantiation of unit a)"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("failover"))) << log;
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

TEST_F(NodeAdminTest, ShutdownLetsTheAssignmentFinishThenLocks) {
  ASSERT_NO_FATAL_FAILURE(StartService());
  RunResult shutdown = Vigil({"shutdown", "node", "n1"});
  ASSERT_EQ(shutdown.exit_code, 0) << shutdown.output << vigild_->Output();
  EXPECT_THAT(shutdown.output, HasSubstr("node/n1: Unlocked -> ShuttingDown\n"));
  EXPECT_THAT(shutdown.output, HasSubstr("si/si: quiescing on a on n1\n"));
  EXPECT_THAT(shutdown.output, HasSubstr("shutdown of node/n1 complete: nothing assigned\n"
                                         "node/n1: ShuttingDown -> Locked\n"));
  EXPECT_EQ(AdminState("Node", "n1"), "Locked");
  EXPECT_EQ(ConfirmedUnit("Active"), "b");
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

TEST_F(NodeAdminTest, LockFailsWhenNoOtherUnitCanTakeTheSi) {
  ASSERT_NO_FATAL_FAILURE(StartService());
  ASSERT_EQ(Vigil({"lock", "su", "b"}).exit_code, 0);
  RunResult lock = Vigil({"lock", "node", "n1", "--timeout", "20s"});
  EXPECT_EQ(lock.exit_code, 1);
  EXPECT_THAT(lock.output, HasSubstr("error: lock of node/n1: si/si has no active assignment: "
                                     "no other unit can take it"));
  EXPECT_EQ(ConfirmedUnit("Active"), "");
  ASSERT_EQ(Vigil({"unlock", "node", "n1"}).exit_code, 0);
  EXPECT_EQ(ConfirmedUnit("Active"), "a");
}

TEST_F(NodeAdminTest, RepairedBringsAFailedUnitBack) {
  ASSERT_NO_FATAL_FAILURE(StartService(
      {{"autoRepair", false}},
      {{"disableRestart", true}, {"exec", {{"instantiate", {"sleep", "600"}}}}}));
  for (const std::string which : {"su", "node"}) {
    const std::string unit = ConfirmedUnit("Active");
    const std::string node = unit == "a" ? "n1" : "n2";
    ASSERT_TRUE(WaitFor([&] { return ProcessAlive(Pid(unit + "-svc")); }));
    ASSERT_EQ(kill(static_cast<pid_t>(Pid(unit + "-svc")), SIGKILL), 0);
    ASSERT_TRUE(WaitFor([&] {
      return Status("ServiceUnit", unit).value("operState", "") == "Disabled" &&
             !ConfirmedUnit("Active").empty() && ConfirmedUnit("Active") != unit;
    })) << Status("ServiceInstance", "si").dump();
    EXPECT_THAT(Vigil({"describe", "su", unit}).output, HasSubstr("Disabled"));
    RunResult repaired = Vigil({"repaired", which, which == "su" ? unit : node});
    ASSERT_EQ(repaired.exit_code, 0) << repaired.output << vigild_->Output();
    EXPECT_THAT(repaired.output, HasSubstr(": Succeeded"));
    EXPECT_THAT(repaired.output, HasSubstr("si/si: standby " + unit + " on " + node + " \u2713\n"));
    EXPECT_EQ(Status("ServiceUnit", unit).value("operState", ""), "Enabled");
    EXPECT_EQ(ConfirmedUnit("Standby"), unit);
  }
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

// Drain and lock with live migration, on two real libvirt daemons
// (qemu:///system for n1, the peer hypervisor of `hack/setup-libvirt.sh
// --peer` for n2): units a and b declare the same domain (same XML and
// <uuid>), allowMigration. Skipped, with the reason, without both daemons.
class LiveMigrationTest : public NodeAdminTest {
 protected:
  static constexpr char kPeerUri[] =
      "qemu+unix:///system?socket=/var/lib/vigil-peer-hypervisor/run/libvirt-sock";
  static constexpr char kPeerPidDir[] = "/var/lib/vigil-peer-hypervisor/run/qemu";

  void SetUp() override {
    for (const char* uri : {"qemu:///system", kPeerUri}) {
      auto opened = virt::LibvirtHypervisor::Open(uri);
      ASSERT_TRUE(opened.ok()) << opened.status();
      if (!(*opened)->IsAlive()) {
        GTEST_SKIP() << "no libvirtd answers on " << uri
                     << " (run: sudo hack/setup-libvirt.sh --peer)";
      }
      hypervisors_.push_back(std::move(*opened));
    }
    NodeAdminTest::SetUp();
    char hex[13];
    std::snprintf(hex, sizeof(hex), "%012x", static_cast<unsigned>(getpid()));
    domain_ = "vigil-e2e-migrate-" + std::to_string(getpid());
    uuid_ = std::string("6d1f7c2a-3b4e-4f5a-9c8d-") + hex;
  }
  // After the agents are gone (they leave domains running), the domain is
  // destroyed and undefined on both daemons.
  void TearDown() override {
    if (hypervisors_.size() < 2) return;
    NodeAdminTest::TearDown();
    for (auto& hypervisor : hypervisors_) {
      (void)hypervisor->DestroyDomain(domain_);
      (void)hypervisor->UndefineDomain(domain_);
    }
  }

  // n1 on qemu:///system, n2 on the peer; n2 takes live migrations at
  // `n2_migration` ("" : none), n1 always.
  void DeclareNodes(const std::string& n2_migration) {
    Create(Obj("Node", "n1",
               {{"hypervisor", "qemu:///system"},
                {"liveMigration",
                 {{"hypervisor", "qemu:///system"}, {"address", "tcp://127.0.0.1"}}}}));
    Json n2 = {{"hypervisor", kPeerUri}};
    if (!n2_migration.empty()) {
      n2["liveMigration"] = {{"hypervisor", n2_migration}, {"address", "tcp://127.0.0.1"}};
    }
    Create(Obj("Node", "n2", n2));
  }
  // A diskless 64 MiB domain with a fixed <uuid> (it runs with nothing to boot).
  Json VmComponent() {
    const char* type = access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "qemu";
    const std::string xml = std::string("<domain type='") + type + "'><name>" + domain_ +
                            "</name><uuid>" + uuid_ +
                            "</uuid><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                            "<os><type arch='x86_64'>hvm</type></os><devices/></domain>";
    return {{"virtualMachine",
             {{"domainXML", xml}, {"allowMigration", true}, {"shutdownTimeout", "1s"},
              {"migrationTimeout", "60s"}}}};
  }
  // The domain's state and libvirt's reason for it on node n1 (0) or n2 (1).
  std::string StateOn(int node) {
    auto state = hypervisors_[node]->GetState(domain_);
    if (!state.ok()) return std::string(state.status().message());
    return std::string(virt::DomainStateName(state->state)) + "/" + state->reason;
  }
  Json ReadyCondition(const std::string& component) {
    for (const Json& c : Status("Component", component).value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready") return c;
    }
    return Json::object();
  }
  int64_t QemuPid(const std::string& component) {
    return Status("Component", component).value("domain", Json::object()).value("qemuPid", 0);
  }

  std::vector<std::unique_ptr<virt::LibvirtHypervisor>> hypervisors_;
  std::string domain_;
  std::string uuid_;
};

// vigil drain node n1 moves the running VM to n2 without stopping it: n2's
// daemon says the domain runs because it was migrated in (not booted), n1's
// that it stopped because it was migrated out, and b's agent took the
// running domain over. vigil lock node n2 brings it back the same way.
TEST_F(LiveMigrationTest, DrainLiveMigratesTheVmAndLockMigratesItBack) {
  ASSERT_NO_FATAL_FAILURE(DeclareNodes(kPeerUri));
  ASSERT_NO_FATAL_FAILURE(StartService(Json::object(), VmComponent()));
  ASSERT_TRUE(WaitFor([&] { return ProcessAlive(QemuPid("a-svc")); }));
  const int64_t qemu_on_n1 = QemuPid("a-svc");
  // Running/booted, or Running/migrated when StartService had to move the
  // SI from b to a (a switchover: live-migrated too).
  EXPECT_THAT(StateOn(0), ::testing::StartsWith("Running/"));

  auto [drain, outages] = VigilMeasured({"drain", "node", "n1"});
  ASSERT_EQ(drain.exit_code, 0) << drain.output << vigild_->Output();
  EXPECT_THAT(drain.output,
              HasSubstr("si/si: live-migrating VMs that allow it from a on n1 to b on n2\n"));
  EXPECT_THAT(drain.output, HasSubstr("si/si: active b on n2 (was a on n1) \u2713\n"));
  EXPECT_THAT(drain.output, HasSubstr("node/n1 drained"));
  EXPECT_EQ(StateOn(1), "Running/migrated");
  EXPECT_EQ(StateOn(0), "ShutOff/migrated");
  const Json migrated = ReadyCondition("a-svc");
  EXPECT_EQ(migrated.value("reason", ""), "Migrated") << migrated.dump();
  EXPECT_THAT(migrated.value("message", ""),
              HasSubstr("domain " + domain_ + " live-migrated to node n2 in "));
  std::printf("drain node n1: %s; SI without a confirmed active: %d time(s), longest %.1f ms\n",
              migrated.value("message", "").c_str(), outages.count, outages.longest_ms);
  EXPECT_FALSE(ProcessAlive(qemu_on_n1));
  ASSERT_TRUE(WaitFor([&] { return ProcessAlive(QemuPid("b-svc")); }))
      << Status("Component", "b-svc").dump();
  std::ifstream pid_file(std::string(kPeerPidDir) + "/" + domain_ + ".pid");
  int64_t peer_qemu = 0;
  pid_file >> peer_qemu;
  EXPECT_EQ(QemuPid("b-svc"), peer_qemu);

  ASSERT_EQ(Vigil({"unlock-instantiation", "node", "n1"}).exit_code, 0);
  ASSERT_EQ(Vigil({"unlock", "node", "n1"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "a"; }));
  RunResult lock = Vigil({"lock", "node", "n2"});
  ASSERT_EQ(lock.exit_code, 0) << lock.output << vigild_->Output();
  EXPECT_THAT(lock.output, HasSubstr("si/si: active a on n1 (was b on n2) \u2713\n"));
  EXPECT_EQ(StateOn(0), "Running/migrated");
  EXPECT_EQ(ReadyCondition("b-svc").value("reason", ""), "Migrated");
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

// n2 says it takes live migrations at a URI nobody answers: the migration
// fails, and the VM is shut down on n1 and booted on n2 as without
// migration, with the reason in a's condition.
TEST_F(LiveMigrationTest, FailedMigrationFallsBackToStopAndStart) {
  ASSERT_NO_FATAL_FAILURE(DeclareNodes("qemu+unix:///system?socket=/nonexistent/libvirt-sock"));
  ASSERT_NO_FATAL_FAILURE(StartService(Json::object(), VmComponent()));
  ASSERT_TRUE(WaitFor([&] { return ProcessAlive(QemuPid("a-svc")); }));

  RunResult drain = Vigil({"drain", "node", "n1"});
  ASSERT_EQ(drain.exit_code, 0) << drain.output << vigild_->Output();
  EXPECT_THAT(drain.output, HasSubstr("si/si: active b on n2 (was a on n1) \u2713\n"));
  EXPECT_EQ(StateOn(1), "Running/booted");
  const Json stopped = ReadyCondition("a-svc");
  EXPECT_EQ(stopped.value("reason", ""), "Stopped") << stopped.dump();
  EXPECT_THAT(stopped.value("message", ""), HasSubstr("live migration to node n2 failed"));
  EXPECT_THAT(stopped.value("message", ""), HasSubstr("shut down here instead"));
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

}  // namespace
}  // namespace vigil::e2e
