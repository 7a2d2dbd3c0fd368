// VmRunner against libvirt's in-process test:///default driver: lifecycle,
// failures seen through libvirt events and through a pidfd, pauses, bad
// input and adoption. Fast and hermetic (no daemon).
#include "agent/vm_runner.h"

#include <libvirt/libvirt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>

#include "tests/agent/runner_harness.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;
using std::chrono::milliseconds;
using testing::Csi;
using testing::Steady;

std::string UniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  return "vigil-test-" + std::to_string(getpid()) + "-" + base + "-" + std::to_string(++counter);
}

std::string TestDomainXml(const std::string& name) {
  return "<domain type='test'><name>" + name +
         "</name><memory>65536</memory><os><type>hvm</type></os></domain>";
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// Delegates to a real hypervisor, but its lifecycle events can be held back
// (as while the libvirtd connection is down) and connection events injected.
class GatedHypervisor : public virt::Hypervisor {
 public:
  explicit GatedHypervisor(std::shared_ptr<virt::Hypervisor> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<std::string> DefineDomain(std::string_view xml) override {
    return inner_->DefineDomain(xml);
  }
  absl::StatusOr<std::string> CreateTransientDomain(std::string_view xml) override {
    return inner_->CreateTransientDomain(xml);
  }
  absl::Status LookupDomain(std::string_view name) override { return inner_->LookupDomain(name); }
  absl::Status StartDomain(std::string_view name) override { return inner_->StartDomain(name); }
  absl::Status ShutdownDomain(std::string_view name, milliseconds timeout) override {
    return inner_->ShutdownDomain(name, timeout);
  }
  absl::Status DestroyDomain(std::string_view name) override { return inner_->DestroyDomain(name); }
  absl::Status UndefineDomain(std::string_view name) override {
    return inner_->UndefineDomain(name);
  }
  absl::StatusOr<virt::DomainStatus> GetState(std::string_view name) override {
    return inner_->GetState(name);
  }
  absl::StatusOr<int> GetDomainId(std::string_view name) override {
    return inner_->GetDomainId(name);
  }
  absl::StatusOr<pid_t> GetQemuPid(std::string_view name) override {
    return inner_->GetQemuPid(name);
  }
  // The guest agent's answer set by SetGuestAgent, else the real driver's.
  absl::Status PingGuestAgent(std::string_view name, milliseconds timeout) override {
    {
      std::lock_guard lock(mu_);
      if (guest_agent_.has_value()) return *guest_agent_;
    }
    return inner_->PingGuestAgent(name, timeout);
  }
  // A live migration "succeeds" (the domain is destroyed here, as if it had
  // left) or fails as set by SetMigration; the test driver cannot migrate.
  absl::StatusOr<virt::MigrationStats> MigrateDomain(
      std::string_view name, const virt::MigrationTarget& target,
      const std::function<bool()>& cancelled) override {
    absl::Status outcome;
    {
      std::lock_guard lock(mu_);
      migrations_.push_back(target);
      if (!migration_.has_value()) return inner_->MigrateDomain(name, target, cancelled);
      outcome = *migration_;
    }
    if (!outcome.ok()) return outcome;
    if (absl::Status left = inner_->DestroyDomain(name); !left.ok()) return left;
    return virt::MigrationStats{.downtime = milliseconds(7)};
  }
  SubscriptionId Subscribe(virt::LifecycleCallback callback) override {
    {
      std::lock_guard lock(mu_);
      callbacks_.push_back(callback);
    }
    return inner_->Subscribe([this, callback](const virt::LifecycleEvent& event) {
      std::lock_guard lock(mu_);
      if (!held_) callback(event);
    });
  }
  void Unsubscribe(SubscriptionId id) override { inner_->Unsubscribe(id); }
  bool IsAlive() override { return inner_->IsAlive(); }

  // Every guest-agent ping answers `answer` from now on (the test driver has
  // no guest agent).
  void SetGuestAgent(absl::Status answer) {
    std::lock_guard lock(mu_);
    guest_agent_ = std::move(answer);
  }

  // Every live migration ends with `outcome` from now on.
  void SetMigration(absl::Status outcome) {
    std::lock_guard lock(mu_);
    migration_ = std::move(outcome);
  }
  std::vector<virt::MigrationTarget> migrations() {
    std::lock_guard lock(mu_);
    return migrations_;
  }

  // Holds events back and tells subscribers the connection is lost (false),
  // or lets them through again and tells them it is restored (true).
  void SetConnected(bool connected) {
    std::lock_guard lock(mu_);
    held_ = !connected;
    virt::LifecycleEvent event;
    event.kind = connected ? virt::LifecycleEventKind::kConnectionRestored
                           : virt::LifecycleEventKind::kConnectionLost;
    for (const auto& callback : callbacks_) callback(event);
  }

 private:
  std::shared_ptr<virt::Hypervisor> inner_;
  std::mutex mu_;
  bool held_ = false;
  std::vector<virt::LifecycleCallback> callbacks_;  // GUARDED_BY(mu_)
  std::optional<absl::Status> guest_agent_;         // GUARDED_BY(mu_)
  std::optional<absl::Status> migration_;           // GUARDED_BY(mu_)
  std::vector<virt::MigrationTarget> migrations_;   // GUARDED_BY(mu_)
};

// SI "si" Quiesced, handed over to unit b on `node`, whose node takes live
// migrations at `hypervisor` ("": none).
CsiAssignment QuiescedFor(const std::string& node, const std::string& hypervisor) {
  CsiAssignment csi = Csi("si", HaState::kQuiesced);
  csi.successor = {.unit = "b", .node = node, .live_migration = {.hypervisor = hypervisor}};
  return csi;
}

class VmRunnerTest : public testing::RunnerHarness {
 protected:
  void SetUp() override {
    RunnerHarness::SetUp();
    std::filesystem::create_directories(dir_ + "/qemu");
    virt::LibvirtOptions options;
    options.qemu_pid_dir = dir_ + "/qemu";
    auto opened = virt::LibvirtHypervisor::Open("test:///default", options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    hypervisor_ = std::move(*opened);
  }
  void TearDown() override {
    loop_.RunSync([this] { runners_.clear(); });
    for (const std::string& name : names_) {
      (void)hypervisor_->DestroyDomain(name);
      (void)hypervisor_->UndefineDomain(name);
    }
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    RunnerHarness::TearDown();
  }

  api::VirtualMachineSpec XmlSpec(const std::string& name) {
    names_.push_back(name);
    api::VirtualMachineSpec spec;
    spec.domain_xml = TestDomainXml(name);
    spec.shutdown_timeout = Millis(500);
    spec.start_timeout = Millis(5000);
    return spec;
  }
  VmRunnerOptions Options() {
    VmRunnerOptions options;
    options.hypervisor = hypervisor_;
    options.instantiation = {.attempts = 2, .delay = Millis(20)};
    options.cleanup_timeout = Millis(1000);
    return options;
  }
  size_t AddRunner(api::VirtualMachineSpec spec, VmRunnerOptions options) {
    return Add([&] {
      return std::make_unique<VmRunner>(Context(), ComponentIdentity{"vm", "su", "n1"}, spec,
                                        options, Callbacks());
    });
  }
  void Activate() {
    OnLoop([](ComponentRunner& r) { r.SetAssignments({Csi("si", HaState::kActive)}); });
  }
  bool WaitRunning() {
    return WaitState([](const RunnerState& s) {
      return s.presence == PresenceState::kInstantiated && s.ready && s.domain.id >= 0;
    });
  }
  virt::DomainState DomainState(const std::string& name) {
    auto state = hypervisor_->GetState(name);
    return state.ok() ? state->state : virt::DomainState::kNoState;
  }
  std::string LastFailure() {
    std::lock_guard lock(mu_);
    return failures_.empty() ? "" : failures_.back().reason;
  }
  // A process that is not our child (as qemu is not), standing in for qemu:
  // its PID goes into the test driver's "<name>.pid".
  pid_t FakeQemu(const std::string& name) {
    FILE* out = popen("sleep 60 >/dev/null 2>&1 & echo $!", "r");
    int pid = 0;
    if (out == nullptr || fscanf(out, "%d", &pid) != 1) pid = 0;
    if (out != nullptr) pclose(out);
    pids_.push_back(pid);
    std::ofstream(dir_ + "/qemu/" + name + ".pid") << pid << "\n";
    return pid;
  }

  // Starts domain `name` (spec.allowMigration = `allowed`) through a
  // GatedHypervisor whose live migrations end with `outcome`, made Active.
  std::shared_ptr<GatedHypervisor> StartMigratable(const std::string& name, bool allowed,
                                                   absl::Status outcome,
                                                   Millis migration_timeout = Millis(0)) {
    auto gated = std::make_shared<GatedHypervisor>(hypervisor_);
    gated->SetMigration(std::move(outcome));
    VmRunnerOptions options = Options();
    options.hypervisor = gated;
    api::VirtualMachineSpec spec = XmlSpec(name);
    spec.allow_migration = allowed;
    spec.migration_timeout = migration_timeout;
    AddRunner(spec, options);
    Activate();
    return gated;
  }

  // Runs a domain, quiesces it for a successor on n2 whose liveMigration
  // hypervisor is `target`, and expects a plain shutdown, no migration.
  void ShutDownWithoutMigration(bool allowed, const std::string& target) {
    const std::string name = UniqueName("nomigrate");
    auto gated = StartMigratable(name, allowed, absl::OkStatus());
    ASSERT_TRUE(WaitRunning());
    OnLoop([&](ComponentRunner& r) { r.SetAssignments({QuiescedFor("n2", target)}); });
    ASSERT_TRUE(WaitState([](const RunnerState& s) {
      return s.presence == PresenceState::kUninstantiated && s.reason == "Stopped";
    })) << Last().reason;
    EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
    EXPECT_TRUE(gated->migrations().empty());
  }

  std::shared_ptr<virt::Hypervisor> hypervisor_;
  std::vector<std::string> names_;
  std::vector<pid_t> pids_;
};

TEST_F(VmRunnerTest, StartsDomainWhenActiveAndShutsItDownWhenUnassigned) {
  const std::string name = UniqueName("life");
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning()) << Last().reason << ": " << Last().message;
  EXPECT_EQ(DomainState(name), virt::DomainState::kRunning);
  RunnerState state = Last();
  EXPECT_EQ(state.domain.name, name);
  EXPECT_EQ(state.domain.state, "running");
  EXPECT_EQ(state.ha_state, HaState::kActive);
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kActive));

  OnLoop([](ComponentRunner& r) { r.SetAssignments({Csi("si", HaState::kStandby)}); });
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.presence == PresenceState::kUninstantiated && s.domain.id == -1;
  }));
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kStandby));
  EXPECT_EQ(Last().reason, "Stopped");
  EXPECT_EQ(Last().domain.state, "shutoff");
  EXPECT_TRUE(failures_.empty());
}

TEST_F(VmRunnerTest, DisabledUnitStopsItsDomain) {
  const std::string name = UniqueName("disable");
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  OnLoop([](ComponentRunner& r) { r.SetEnabled(false); });
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.presence == PresenceState::kUninstantiated && s.domain.id == -1;
  }));
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
}

TEST_F(VmRunnerTest, DestroyFromOutsideIsAFailureAndRestartBringsItBack) {
  const std::string name = UniqueName("destroy");
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  const int first_id = Last().domain.id;
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "DomainDestroyed")) << LastFailure();
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.failed && s.presence == PresenceState::kUninstantiated;
  }));
  EXPECT_EQ(Last().reason, "DomainDestroyed");
  EXPECT_EQ(Last().last_failure.source, "libvirt");

  OnLoop([](ComponentRunner& r) { r.Restart(); });
  ASSERT_TRUE(WaitState([&](const RunnerState& s) {
    return s.presence == PresenceState::kInstantiated && s.domain.id > first_id;
  }));
  EXPECT_EQ(Last().restart_count, 1);
  // Late events of the destroyed instance must not fail the new one.
  EXPECT_FALSE(WaitFailures(2, milliseconds(300)));
  EXPECT_EQ(DomainState(name), virt::DomainState::kRunning);
}

TEST_F(VmRunnerTest, RestartDestroysAndStartsAgainWithoutSpuriousFailure) {
  const std::string name = UniqueName("restart");
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  const int first_id = Last().domain.id;
  OnLoop([](ComponentRunner& r) { r.Restart(); });
  ASSERT_TRUE(WaitState([&](const RunnerState& s) {
    return s.presence == PresenceState::kInstantiated && s.domain.id > first_id;
  })) << api::ToString(Last().presence)
      << " " << Last().reason << " " << Last().message << " id " << Last().domain.id << " first "
      << first_id;
  EXPECT_FALSE(WaitFailures(1, milliseconds(300)));
}

TEST_F(VmRunnerTest, KilledQemuIsSeenByPidfd) {
  const std::string name = UniqueName("pidfd");
  const pid_t qemu = FakeQemu(name);
  ASSERT_GT(qemu, 0);
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  EXPECT_EQ(Last().pid, qemu);
  EXPECT_EQ(Last().domain.qemu_pid, qemu);
  // Fenced when the failure is reported, before libvirt's clean-up: the
  // agent may report the unit failed (and the failover start) at once.
  std::atomic<int> fenced_at_failure{-1};
  on_failure_ = [&](const api::Failure&) {  // on the loop thread
    fenced_at_failure = runners_[0]->Fenced() ? 1 : 0;
  };
  const Steady::time_point killed = Steady::now();
  ASSERT_EQ(kill(qemu, SIGKILL), 0);
  ASSERT_TRUE(WaitFailures(1));
  const double ms = std::chrono::duration<double, std::milli>(failure_times_[0] - killed).count();
  std::printf("kill -9 of (fake) qemu -> failure reported: %.2f ms\n", ms);
  EXPECT_TRUE(StartsWith(LastFailure(), "QemuExited")) << LastFailure();
  EXPECT_LT(ms, 100);
  // The cleanup destroyed the domain (the real qemu would be gone anyway).
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.failed && s.presence == PresenceState::kUninstantiated;
  }));
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
  EXPECT_EQ(Last().last_failure.source, "pidfd");
  EXPECT_EQ(fenced_at_failure.load(), 1);
}

TEST_F(VmRunnerTest, PauseMakesItNotReadyAndResumeReadyAgain) {
  const std::string name = UniqueName("pause");
  AddRunner(XmlSpec(name), Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  virConnectPtr outside = virConnectOpen("test:///default");  // like `virsh suspend`
  ASSERT_NE(outside, nullptr);
  virDomainPtr domain = virDomainLookupByName(outside, name.c_str());
  ASSERT_NE(domain, nullptr);
  ASSERT_EQ(virDomainSuspend(domain), 0);
  EXPECT_TRUE(
      WaitState([](const RunnerState& s) { return !s.ready && s.reason == "DomainPaused"; }));
  EXPECT_EQ(Last().domain.state, "paused");
  EXPECT_EQ(Last().presence, PresenceState::kInstantiated);
  ASSERT_EQ(virDomainResume(domain), 0);
  EXPECT_TRUE(WaitState([](const RunnerState& s) { return s.ready && s.reason == "Running"; }));
  EXPECT_EQ(Last().domain.state, "running");
  EXPECT_TRUE(failures_.empty());
  virDomainFree(domain);
  virConnectClose(outside);
}

TEST_F(VmRunnerTest, LongPauseIsAFailure) {
  const std::string name = UniqueName("longpause");
  VmRunnerOptions options = Options();
  options.paused_grace = Millis(100);
  AddRunner(XmlSpec(name), options);
  Activate();
  ASSERT_TRUE(WaitRunning());
  ASSERT_TRUE(hypervisor_->GetState(name).ok());
  virConnectPtr outside = virConnectOpen("test:///default");
  ASSERT_NE(outside, nullptr);
  virDomainPtr domain = virDomainLookupByName(outside, name.c_str());
  ASSERT_EQ(virDomainSuspend(domain), 0);
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "DomainPaused")) << LastFailure();
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.failed && s.domain.id == -1; }));
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
  virDomainFree(domain);
  virConnectClose(outside);
}

TEST_F(VmRunnerTest, MalformedXmlIsInvalidDomainXml) {
  api::VirtualMachineSpec spec = XmlSpec(UniqueName("bad"));
  spec.domain_xml = "<domain type='test'><name>";
  AddRunner(spec, Options());
  Activate();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "InstantiationFailed: InvalidDomainXML")) << LastFailure();
  RunnerState state = Last();
  EXPECT_EQ(state.presence, PresenceState::kInstantiationFailed);
  EXPECT_FALSE(state.ready);
  EXPECT_EQ(state.reason, "InvalidDomainXML");
  EXPECT_NE(state.message.find("attempt 2 of 2"), std::string::npos) << state.message;
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kStandby));  // nothing runs
}

TEST_F(VmRunnerTest, UnknownDomainNameIsDomainNotFound) {
  api::VirtualMachineSpec spec;
  spec.domain_name = UniqueName("missing");
  spec.start_timeout = Millis(5000);
  AddRunner(spec, Options());
  Activate();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(Last().reason, "DomainNotFound");
  EXPECT_EQ(Last().presence, PresenceState::kInstantiationFailed);
}

TEST_F(VmRunnerTest, PredefinedDomainIsStartedByName) {
  const std::string name = UniqueName("named");
  names_.push_back(name);
  ASSERT_TRUE(hypervisor_->DefineDomain(TestDomainXml(name)).ok());
  api::VirtualMachineSpec spec;
  spec.domain_name = name;
  spec.shutdown_timeout = Millis(500);
  spec.start_timeout = Millis(5000);
  AddRunner(spec, Options());
  Activate();
  ASSERT_TRUE(WaitRunning());
  EXPECT_EQ(DomainState(name), virt::DomainState::kRunning);
}

TEST_F(VmRunnerTest, UnreachableHypervisorIsHypervisorUnavailable) {
  virt::LibvirtOptions libvirt;
  libvirt.reconnect_initial = Millis(1000);
  auto opened = virt::LibvirtHypervisor::Open(
      "qemu+unix:///system?socket=" + dir_ + "/no-such-socket", libvirt);
  ASSERT_TRUE(opened.ok()) << opened.status();
  VmRunnerOptions options = Options();
  options.hypervisor = std::move(*opened);
  AddRunner(XmlSpec(UniqueName("unreachable")), options);
  Activate();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(Last().reason, "HypervisorUnavailable");
  EXPECT_EQ(Last().presence, PresenceState::kInstantiationFailed);
}

TEST_F(VmRunnerTest, NoHypervisorIsHypervisorUnavailable) {
  VmRunnerOptions options = Options();
  options.hypervisor = nullptr;
  options.hypervisor_error = "cannot open hypervisor bogus://";
  AddRunner(XmlSpec(UniqueName("none")), options);
  Activate();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(Last().reason, "HypervisorUnavailable");
  EXPECT_NE(Last().message.find("bogus://"), std::string::npos);
}

TEST_F(VmRunnerTest, AdoptKeepsTheRunningDomain) {
  const std::string name = UniqueName("adopt");
  api::VirtualMachineSpec spec = XmlSpec(name);
  ASSERT_TRUE(hypervisor_->DefineDomain(spec.domain_xml).ok());
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  const int id = *hypervisor_->GetDomainId(name);
  const pid_t qemu = FakeQemu(name);
  const uint64_t ticks = *ReadStartTicks(qemu);
  AddRunner(spec, Options());
  OnLoop([&](ComponentRunner& r) {
    r.Adopt({.pid = qemu,
             .start_ticks = ticks,
             .start_time = "2026-01-01T00:00:00.000Z",
             .csis = {Csi("si", HaState::kActive)},
             .token = ""});
  });
  ASSERT_TRUE(WaitState([&](const RunnerState& s) { return s.domain.id == id; }));
  EXPECT_EQ(Last().presence, PresenceState::kInstantiated);
  EXPECT_EQ(Last().reason, "Adopted");
  EXPECT_EQ(Last().pid, qemu);
  Activate();
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kActive));
  EXPECT_EQ(*hypervisor_->GetDomainId(name), id);  // not restarted
  EXPECT_TRUE(failures_.empty());
}

TEST_F(VmRunnerTest, AdoptOfADeadQemuIsAFailure) {
  const std::string name = UniqueName("adoptdead");
  const pid_t qemu = FakeQemu(name);
  const uint64_t ticks = *ReadStartTicks(qemu);
  kill(qemu, SIGKILL);
  for (int i = 0; i < 3000 && ReadStartTicks(qemu).ok(); ++i) usleep(1000);
  AddRunner(XmlSpec(name), Options());
  OnLoop([&](ComponentRunner& r) {
    r.Adopt({.pid = qemu,
             .start_ticks = ticks,
             .start_time = "",
             .csis = {Csi("si", HaState::kActive)},
             .token = ""});
  });
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "QemuExited")) << LastFailure();
}

TEST_F(VmRunnerTest, AdoptOfAStoppedDomainIsAFailure) {
  const std::string name = UniqueName("adoptstopped");
  api::VirtualMachineSpec spec = XmlSpec(name);
  ASSERT_TRUE(hypervisor_->DefineDomain(spec.domain_xml).ok());  // defined, not running
  AddRunner(spec, Options());
  OnLoop([&](ComponentRunner& r) {
    r.Adopt({.pid = 0,
             .start_ticks = 0,
             .start_time = "",
             .csis = {Csi("si", HaState::kActive)},
             .token = ""});
  });
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "DomainStopped")) << LastFailure();
}

TEST_F(VmRunnerTest, LostConnectionIsNoFailureButADeathMeanwhileIs) {
  const std::string name = UniqueName("reconnect");
  auto gated = std::make_shared<GatedHypervisor>(hypervisor_);
  VmRunnerOptions options = Options();
  options.hypervisor = gated;
  AddRunner(XmlSpec(name), options);
  Activate();
  ASSERT_TRUE(WaitRunning());
  const int id = Last().domain.id;

  // libvirtd restarting: no failure, the domain keeps running.
  gated->SetConnected(false);
  EXPECT_FALSE(WaitFailures(1, milliseconds(200)));
  gated->SetConnected(true);
  EXPECT_FALSE(WaitFailures(1, milliseconds(200)));
  EXPECT_EQ(Last().presence, PresenceState::kInstantiated);
  EXPECT_EQ(*hypervisor_->GetDomainId(name), id);

  // The domain dies while the connection is down (its event is lost): the
  // re-read state on reconnection makes it a failure.
  gated->SetConnected(false);
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  EXPECT_FALSE(WaitFailures(1, milliseconds(200)));
  gated->SetConnected(true);
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "DomainStopped")) << LastFailure();
}

// spec.guestAgentPing: the domain counts as instantiated once its guest
// agent answers, and missed pings while it runs are a failure.
TEST_F(VmRunnerTest, GuestAgentAnswerMakesItReadyAndSilenceIsAFailure) {
  const std::string name = UniqueName("agent");
  auto gated = std::make_shared<GatedHypervisor>(hypervisor_);
  gated->SetGuestAgent(absl::DeadlineExceededError("guest agent is not responding"));
  VmRunnerOptions options = Options();
  options.hypervisor = gated;
  api::VirtualMachineSpec spec = XmlSpec(name);
  spec.guest_agent_ping = Millis(50);
  AddRunner(spec, options);
  Activate();
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.reason == "AwaitingGuestAgent"; }))
      << Last().reason;
  EXPECT_EQ(DomainState(name), virt::DomainState::kRunning);
  EXPECT_FALSE(WaitState([](const RunnerState& s) { return s.ready; }, milliseconds(300)));
  EXPECT_EQ(Last().presence, PresenceState::kInstantiating);
  EXPECT_FALSE(ReachedOnLoop("si", HaState::kActive));

  gated->SetGuestAgent(absl::OkStatus());  // the guest has booted
  ASSERT_TRUE(WaitRunning()) << Last().reason;
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kActive));
  EXPECT_FALSE(WaitFailures(1, milliseconds(300)));  // answering: healthy

  gated->SetGuestAgent(absl::DeadlineExceededError("guest agent is not responding"));
  const Steady::time_point silenced = Steady::now();
  ASSERT_TRUE(WaitFailures(1));
  const double ms = std::chrono::duration<double, std::milli>(failure_times_[0] - silenced).count();
  EXPECT_TRUE(StartsWith(LastFailure(), "GuestAgentUnresponsive")) << LastFailure();
  EXPECT_NE(LastFailure().find("not responding"), std::string::npos) << LastFailure();
  EXPECT_GE(ms, 80);  // three missed pings, 50 ms apart
  EXPECT_LT(ms, 2000);
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.failed && s.domain.id == -1; }));
  EXPECT_EQ(Last().last_failure.source, "guest-agent");
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
}

// A guest agent that never answers (here: the test driver has none, and
// says so) fails the start after startTimeout, with the reason.
TEST_F(VmRunnerTest, GuestAgentThatNeverAnswersFailsTheStart) {
  const std::string name = UniqueName("noagent");
  api::VirtualMachineSpec spec = XmlSpec(name);
  spec.guest_agent_ping = Millis(50);
  spec.start_timeout = Millis(300);
  AddRunner(spec, Options());
  Activate();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_TRUE(StartsWith(LastFailure(), "InstantiationFailed: GuestAgentUnresponsive"))
      << LastFailure();
  EXPECT_NE(LastFailure().find("did not answer within 300ms"), std::string::npos)
      << LastFailure();
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.domain.id == -1; }));
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
}

// Pings stop while the domain is paused (no failure before paused_grace)
// and resume with it.
TEST_F(VmRunnerTest, PausedGuestIsNotPinged) {
  const std::string name = UniqueName("agentpause");
  auto gated = std::make_shared<GatedHypervisor>(hypervisor_);
  gated->SetGuestAgent(absl::OkStatus());
  VmRunnerOptions options = Options();
  options.hypervisor = gated;
  api::VirtualMachineSpec spec = XmlSpec(name);
  spec.guest_agent_ping = Millis(20);
  AddRunner(spec, options);
  Activate();
  ASSERT_TRUE(WaitRunning());
  virConnectPtr outside = virConnectOpen("test:///default");
  ASSERT_NE(outside, nullptr);
  virDomainPtr domain = virDomainLookupByName(outside, name.c_str());
  ASSERT_NE(domain, nullptr);
  ASSERT_EQ(virDomainSuspend(domain), 0);
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.reason == "DomainPaused"; }));
  gated->SetGuestAgent(absl::DeadlineExceededError("frozen"));  // as a paused guest
  EXPECT_FALSE(WaitFailures(1, milliseconds(300)));
  gated->SetGuestAgent(absl::OkStatus());
  ASSERT_EQ(virDomainResume(domain), 0);
  EXPECT_TRUE(WaitState([](const RunnerState& s) { return s.ready && s.reason == "Running"; }));
  gated->SetGuestAgent(absl::DeadlineExceededError("hung after resume"));
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_NE(LastFailure().find("hung after resume"), std::string::npos) << LastFailure();
  virDomainFree(domain);
  virConnectClose(outside);
}

// allowMigration and a successor on a node that takes live migrations: the
// domain is migrated there (not shut down), and the quiesce is reached.
TEST_F(VmRunnerTest, QuiescedWithASuccessorThatTakesMigrationsLiveMigrates) {
  const std::string name = UniqueName("migrate");
  auto gated = StartMigratable(name, true, absl::OkStatus(), Millis(4000));
  ASSERT_TRUE(WaitRunning());
  OnLoop([](ComponentRunner& r) { r.SetAssignments({QuiescedFor("n2", "qemu+tls://n2/system")}); });
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.reason == "Migrated"; }))
      << Last().reason << ": " << Last().message;
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kQuiesced));
  EXPECT_EQ(Last().presence, PresenceState::kUninstantiated);
  EXPECT_TRUE(StartsWith(Last().message, "domain " + name + " live-migrated to node n2 in "))
      << Last().message;
  EXPECT_NE(Last().message.find("(guest paused 7 ms)"), std::string::npos) << Last().message;
  std::vector<virt::MigrationTarget> migrations = gated->migrations();
  ASSERT_EQ(migrations.size(), 1u);
  EXPECT_EQ(migrations[0].hypervisor, "qemu+tls://n2/system");
  EXPECT_EQ(migrations[0].timeout, milliseconds(4000));
  EXPECT_TRUE(failures_.empty());
}

// A refused migration is no failure: the domain is shut down here as
// without migration, and the condition says why.
TEST_F(VmRunnerTest, RefusedMigrationShutsTheDomainDownInstead) {
  const std::string name = UniqueName("refused");
  auto gated = StartMigratable(
      name, true, absl::InternalError("Attempt to migrate guest to the same host"));
  ASSERT_TRUE(WaitRunning());
  OnLoop([](ComponentRunner& r) { r.SetAssignments({QuiescedFor("n2", "qemu:///system")}); });
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.presence == PresenceState::kUninstantiated && s.reason == "Stopped";
  })) << Last().reason;
  EXPECT_EQ(DomainState(name), virt::DomainState::kShutOff);
  EXPECT_TRUE(ReachedOnLoop("si", HaState::kQuiesced));
  EXPECT_NE(Last().message.find("live migration to node n2 failed"), std::string::npos)
      << Last().message;
  EXPECT_NE(Last().message.find("same host"), std::string::npos) << Last().message;
  EXPECT_NE(Last().message.find("shut down here instead"), std::string::npos) << Last().message;
  EXPECT_EQ(gated->migrations().size(), 1u);
  EXPECT_TRUE(failures_.empty());
}

// Without allowMigration, or with a successor whose node takes none, the
// domain is shut down and no migration is tried.
TEST_F(VmRunnerTest, NoMigrationWithoutAllowMigration) {
  ASSERT_NO_FATAL_FAILURE(ShutDownWithoutMigration(/*allowed=*/false, "qemu+tls://n2/system"));
}

TEST_F(VmRunnerTest, NoMigrationToANodeThatTakesNone) {
  ASSERT_NO_FATAL_FAILURE(ShutDownWithoutMigration(/*allowed=*/true, ""));
}

}  // namespace
}  // namespace vigil::agent
