// virtualMachine components end to end: the real Registry on RocksDB, the
// AssignmentController and a NodeAgent driving real diskless domains on the
// qemu:///system daemon. Skipped (with the reason) when no libvirtd answers;
// start one with hack/setup-libvirt.sh.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/agent/vm_e2e_fixture.h"

namespace vigil::agent::testing {
namespace {

TEST_F(VmE2eTest, KilledQemuFailsOverToTheStandbyDomain) {
  StartController();
  CreateVmTwoN("ComponentFailover");
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("a", milliseconds(60000)));
  ASSERT_TRUE(WaitFor([&] { return QemuPid("a-vm") > 0; }));
  const int64_t qemu = QemuPid("a-vm");
  EXPECT_TRUE(Running("a"));
  EXPECT_FALSE(Running("b"));
  EXPECT_EQ(Pid("a-vm"), qemu);

  const Steady::time_point killed = Steady::now();
  ASSERT_EQ(kill(static_cast<pid_t>(qemu), SIGKILL), 0);
  ASSERT_TRUE(WaitFailure("a-vm", "QemuExited"));
  const double detected = Ms(Steady::now() - killed);
  ASSERT_TRUE(WaitActiveOn("b", milliseconds(60000)));
  const double failed_over = Ms(Steady::now() - killed);
  std::printf("kill -9 qemu -> failure in status: %.1f ms; -> standby domain active: %.1f ms\n",
              detected, failed_over);
  EXPECT_EQ(Status("Component", "a-vm")["lastFailure"].value("source", ""), "pidfd");
  EXPECT_TRUE(Running("b"));
  EXPECT_FALSE(Running("a"));
  // The component's report may land after the unit's confirmation.
  EXPECT_TRUE(WaitFor([&] {
    return QemuPid("b-vm") > 0 && DomainStatus("b-vm").value("state", "") == "running";
  })) << Status("Component", "b-vm").dump();
}

TEST_F(VmE2eTest, KilledQemuIsRestartedInPlace) {
  StartController();
  CreateVmTwoN("ComponentRestart");
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("a", milliseconds(60000)));
  ASSERT_TRUE(WaitFor([&] { return QemuPid("a-vm") > 0; }));
  const int64_t qemu = QemuPid("a-vm");
  const Steady::time_point killed = Steady::now();
  ASSERT_EQ(kill(static_cast<pid_t>(qemu), SIGKILL), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        Json status = Status("Component", "a-vm");
        return status.value("restartCount", 0) == 1 &&
               status.value("presenceState", "") == "Instantiated" && QemuPid("a-vm") > 0 &&
               QemuPid("a-vm") != qemu;
      },
      milliseconds(60000)));
  std::printf("kill -9 qemu -> restarted in place (new qemu running): %.1f ms\n",
              Ms(Steady::now() - killed));
  EXPECT_TRUE(FailureReason("Component", "a-vm").starts_with("QemuExited"));
  EXPECT_TRUE(WaitActiveOn("a"));  // confirmed again, never moved
  EXPECT_TRUE(Running("a"));
}

TEST_F(VmE2eTest, DestroyFromOutsideFailsOver) {
  StartController();
  CreateVmTwoN("ComponentFailover");
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("a", milliseconds(60000)));
  const Steady::time_point destroyed = Steady::now();
  ASSERT_TRUE(hypervisor_->DestroyDomain(Domain("a")).ok());  // like `virsh destroy`
  // Either detector may win: the pidfd (qemu is killed) or libvirt's event.
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string reason = FailureReason("Component", "a-vm");
        return reason.starts_with("QemuExited") || reason.starts_with("DomainDestroyed");
      },
      milliseconds(30000)));
  ASSERT_TRUE(WaitActiveOn("b", milliseconds(60000)));
  std::printf("virDomainDestroy -> standby domain active: %.1f ms (%s)\n",
              Ms(Steady::now() - destroyed), FailureReason("Component", "a-vm").c_str());
  EXPECT_TRUE(Running("b"));
}

TEST_F(VmE2eTest, RestartedAgentAdoptsTheRunningDomain) {
  StartController();
  CreateVmTwoN("ComponentFailover");
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("a", milliseconds(60000)));
  ASSERT_TRUE(WaitFor([&] { return QemuPid("a-vm") > 0; }));
  const int64_t qemu = QemuPid("a-vm");
  auto id = hypervisor_->GetDomainId(Domain("a"));
  ASSERT_TRUE(id.ok()) << id.status();
  StopAgent("n1");
  EXPECT_TRUE(Running("a"));
  StartAgent("n1");
  ASSERT_TRUE(WaitFor([&] {
    return Status("Component", "a-vm")["conditions"][0].value("reason", "") == "Adopted";
  }));
  // Give a wrongly started second copy, or a failure, time to show.
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_EQ(QemuPid("a-vm"), qemu);
  EXPECT_EQ(*hypervisor_->GetQemuPid(Domain("a")), qemu);
  EXPECT_EQ(*hypervisor_->GetDomainId(Domain("a")), *id);
  EXPECT_EQ(DomainStatus("a-vm").value("id", -1), *id);
  EXPECT_EQ(Status("Component", "a-vm").value("restartCount", -1), 0);
  EXPECT_EQ(FailureReason("Component", "a-vm"), "");
  EXPECT_EQ(ConfirmedUnit("si", "Active"), "a");
  EXPECT_FALSE(Running("b"));
}

}  // namespace
}  // namespace vigil::agent::testing
