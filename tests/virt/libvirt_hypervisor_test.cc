// LibvirtHypervisor against libvirt's in-process test:/// driver: real
// libvirt, real events, no daemon.
#include <libvirt/libvirt.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/virt/event_recorder.h"
#include "virt/hypervisor.h"

namespace vigil::virt {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// A persistent test-driver domain XML with a name unique to this process.
std::string TestDomainXml(const std::string& name) {
  return "<domain type='test'><name>" + name +
         "</name><memory>65536</memory><os><type>hvm</type></os></domain>";
}

std::string UniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  return base + "-" + std::to_string(getpid()) + "-" +
         std::to_string(++counter);
}

class LibvirtHypervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pid_dir_ = std::filesystem::temp_directory_path() /
               ("vigil-virt-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(pid_dir_);
    LibvirtOptions options;
    options.qemu_pid_dir = pid_dir_.string();
    auto opened = LibvirtHypervisor::Open("test:///default", options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    hypervisor_ = std::move(*opened);
    ASSERT_TRUE(hypervisor_->IsAlive());
  }
  void TearDown() override { std::filesystem::remove_all(pid_dir_); }

  // Defines a fresh domain and returns its name.
  std::string Define(const std::string& base) {
    std::string name = UniqueName(base);
    auto defined = hypervisor_->DefineDomain(TestDomainXml(name));
    EXPECT_TRUE(defined.ok()) << defined.status();
    return name;
  }

  std::filesystem::path pid_dir_;
  std::unique_ptr<LibvirtHypervisor> hypervisor_;
};

TEST_F(LibvirtHypervisorTest, DefineStartDestroyUndefine) {
  std::string name = Define("lifecycle");
  ASSERT_TRUE(hypervisor_->LookupDomain(name).ok());
  auto state = hypervisor_->GetState(name);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, DomainState::kShutOff);
  EXPECT_EQ(hypervisor_->GetDomainId(name).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  state = hypervisor_->GetState(name);
  EXPECT_EQ(state->state, DomainState::kRunning);
  EXPECT_EQ(state->reason, "booted");
  auto id = hypervisor_->GetDomainId(name);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_GT(*id, 0);

  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  state = hypervisor_->GetState(name);
  EXPECT_EQ(state->state, DomainState::kShutOff);
  EXPECT_EQ(state->reason, "destroyed");

  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
  EXPECT_EQ(hypervisor_->LookupDomain(name).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LibvirtHypervisorTest, TheDefaultDomainRuns) {
  auto state = hypervisor_->GetState("test");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, DomainState::kRunning);
}

TEST_F(LibvirtHypervisorTest, DestroyDeliversEventWithinMilliseconds) {
  std::string name = Define("destroy-event");
  EventRecorder recorder(hypervisor_.get());
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  ASSERT_TRUE(recorder.WaitFor(LifecycleEventKind::kStarted, name));

  auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  auto destroyed = recorder.WaitFor(LifecycleEventKind::kDestroyed, name);
  ASSERT_TRUE(destroyed.has_value());
  auto latency = destroyed->received - before;
  EXPECT_LT(latency, milliseconds(100));
  std::printf("destroy -> event: %.3f ms\n",
              std::chrono::duration<double, std::milli>(latency).count());
  EXPECT_EQ(destroyed->libvirt_event, 5);  // VIR_DOMAIN_EVENT_STOPPED
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST_F(LibvirtHypervisorTest, GracefulShutdownStopsTheDomain) {
  std::string name = Define("shutdown");
  EventRecorder recorder(hypervisor_.get());
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  ASSERT_TRUE(hypervisor_->ShutdownDomain(name, milliseconds(2000)).ok());
  EXPECT_TRUE(recorder.WaitFor(LifecycleEventKind::kShutdown, name));
  auto state = hypervisor_->GetState(name);
  EXPECT_EQ(state->state, DomainState::kShutOff);
  EXPECT_EQ(state->reason, "shutdown");
  // Shutting down a domain that is already off succeeds at once.
  EXPECT_TRUE(hypervisor_->ShutdownDomain(name, milliseconds(0)).ok());
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST_F(LibvirtHypervisorTest, SuspendFromOutsideIsReportedAsPaused) {
  std::string name = Define("suspend");
  EventRecorder recorder(hypervisor_.get());
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  // Another client (like `virsh suspend`) on the same test:///default state.
  virConnectPtr outside = virConnectOpen("test:///default");
  ASSERT_NE(outside, nullptr);
  virDomainPtr domain = virDomainLookupByName(outside, name.c_str());
  ASSERT_NE(domain, nullptr);
  ASSERT_EQ(virDomainSuspend(domain), 0);
  EXPECT_TRUE(recorder.WaitFor(LifecycleEventKind::kPaused, name));
  auto state = hypervisor_->GetState(name);
  EXPECT_EQ(state->state, DomainState::kPaused);
  EXPECT_EQ(state->reason, "user");
  ASSERT_EQ(virDomainResume(domain), 0);
  EXPECT_TRUE(recorder.WaitFor(LifecycleEventKind::kResumed, name));
  virDomainFree(domain);
  virConnectClose(outside);
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST_F(LibvirtHypervisorTest, TransientDomainVanishesWhenDestroyed) {
  std::string name = UniqueName("transient");
  auto created = hypervisor_->CreateTransientDomain(TestDomainXml(name));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, name);
  EXPECT_EQ(hypervisor_->GetState(name)->state, DomainState::kRunning);
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  EXPECT_EQ(hypervisor_->LookupDomain(name).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LibvirtHypervisorTest, UnknownDomainIsNotFoundEverywhere) {
  const std::string name = "no-such-domain";
  for (absl::Status status :
       {hypervisor_->LookupDomain(name), hypervisor_->StartDomain(name),
        hypervisor_->DestroyDomain(name), hypervisor_->UndefineDomain(name),
        hypervisor_->ShutdownDomain(name, milliseconds(10)),
        hypervisor_->GetState(name).status(),
        hypervisor_->GetDomainId(name).status(),
        hypervisor_->GetQemuPid(name).status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
    EXPECT_THAT(status.message(), HasSubstr(name));
  }
}

TEST_F(LibvirtHypervisorTest, MalformedXmlIsInvalidArgument) {
  auto defined = hypervisor_->DefineDomain("<domain type='test'><name>");
  EXPECT_EQ(defined.status().code(), absl::StatusCode::kInvalidArgument)
      << defined.status();
  EXPECT_THAT(defined.status().message(), HasSubstr("define domain: "));
}

TEST_F(LibvirtHypervisorTest, WrongStateIsFailedPrecondition) {
  std::string name = Define("wrong-state");
  EXPECT_EQ(hypervisor_->DestroyDomain(name).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  absl::Status again = hypervisor_->StartDomain(name);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST_F(LibvirtHypervisorTest, QemuPidComesFromThePidFile) {
  std::string name = Define("pid");
  EXPECT_EQ(hypervisor_->GetQemuPid(name).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  EXPECT_EQ(hypervisor_->GetQemuPid(name).status().code(),
            absl::StatusCode::kNotFound);
  std::ofstream(pid_dir_ / (name + ".pid")) << "4242";
  auto pid = hypervisor_->GetQemuPid(name);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, 4242);
  std::ofstream(pid_dir_ / (name + ".pid")) << "garbage";
  EXPECT_EQ(hypervisor_->GetQemuPid(name).status().code(),
            absl::StatusCode::kInternal);
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST_F(LibvirtHypervisorTest, UnsubscribedCallbackIsNotCalled) {
  std::string name = Define("unsubscribe");
  std::atomic<int> calls{0};
  auto id = hypervisor_->Subscribe([&](const LifecycleEvent&) { ++calls; });
  hypervisor_->Unsubscribe(id);
  EventRecorder recorder(hypervisor_.get());
  ASSERT_TRUE(hypervisor_->StartDomain(name).ok());
  ASSERT_TRUE(recorder.WaitFor(LifecycleEventKind::kStarted, name));
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(hypervisor_->DestroyDomain(name).ok());
  ASSERT_TRUE(hypervisor_->UndefineDomain(name).ok());
}

TEST(LibvirtHypervisorOpenTest, EmptyUriIsInvalid) {
  EXPECT_EQ(LibvirtHypervisor::Open("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LibvirtHypervisorOpenTest, UnreachableHypervisorIsUnavailable) {
  LibvirtOptions options;
  options.reconnect_initial = milliseconds(5);
  options.reconnect_max = milliseconds(20);
  auto opened = LibvirtHypervisor::Open(
      "qemu+unix:///system?socket=/nonexistent/vigil/libvirt-sock", options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  LibvirtHypervisor& hypervisor = **opened;
  EXPECT_FALSE(hypervisor.IsAlive());
  EXPECT_EQ(hypervisor.connections_opened(), 0);
  absl::Status status = hypervisor.GetState("anything").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("unreachable"));
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/vigil/libvirt-sock"));
}

}  // namespace
}  // namespace vigil::virt
