// libvirtd restarted under a running node agent: the agent's connection
// drops and comes back, the running domain is no failure and nothing fails
// over, and the re-opened connection delivers events again (a `virsh
// suspend` from outside is reported). Restarts the real daemon, so CTest
// runs these tests alone (RUN_SERIAL, tests/CMakeLists.txt), and only a
// libvirtd that hack/setup-libvirt.sh started is touched, by its PID.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "tests/agent/vm_e2e_fixture.h"

namespace vigil::agent::testing {
namespace {

constexpr char kLibvirtdPidFile[] = "/run/libvirtd.pid";
constexpr char kSubreaperPidFile[] = "/run/vigil-libvirtd-subreaper.pid";

std::string RepoDir() { return VIGIL_SOURCE_DIR; }

// The PID written in `path`, or 0.
pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  int pid = 0;
  return in >> text && absl::SimpleAtoi(text, &pid) ? pid : 0;
}

// The parent of `pid` (field 4 of /proc/PID/stat), or 0.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line) || line.rfind(')') == std::string::npos) return 0;
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string state;
  int parent = 0;
  return fields >> state >> parent ? parent : 0;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

class LibvirtdRestartTest : public VmE2eTest {
 protected:
  // Stops the libvirtd that hack/setup-libvirt.sh started (SIGTERM to its
  // PID; its domains keep running), then runs the script again to start a
  // new one. Returns "" or why it could not.
  std::string RestartOurLibvirtd() {
    const pid_t libvirtd = ReadPidFile(kLibvirtdPidFile);
    const pid_t subreaper = ReadPidFile(kSubreaperPidFile);
    if (libvirtd == 0 || subreaper == 0 || ParentOf(libvirtd) != subreaper) {
      return "the running libvirtd was not started by hack/setup-libvirt.sh";
    }
    if (kill(libvirtd, SIGTERM) != 0) return "kill(libvirtd): " + std::string(strerror(errno));
    if (!WaitFor([&] { return !Alive(libvirtd); }, milliseconds(30000))) {
      return "libvirtd did not exit within 30 s of SIGTERM";
    }
    const std::string setup = "bash " + RepoDir() + "/hack/setup-libvirt.sh >/dev/null";
    if (std::system(setup.c_str()) != 0) return "hack/setup-libvirt.sh failed";
    return "";
  }
  std::string ReadyReason(const std::string& component) {
    Json conditions = Status("Component", component).value("conditions", Json::array());
    return conditions.empty() ? "" : conditions[0].value("reason", "");
  }
  // Suspends or resumes the domain from outside, as an operator would.
  void Virsh(const std::string& verb, const std::string& domain) {
    const std::string command = "virsh -q -c qemu:///system " + verb + " " + domain + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
};

TEST_F(LibvirtdRestartTest, RestartedLibvirtdIsNoFailureAndItsEventsAreSeenAgain) {
  StartController();
  CreateVmTwoN("ComponentFailover");
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("a", milliseconds(60000)));
  ASSERT_TRUE(WaitFor([&] { return QemuPid("a-vm") > 0; }));
  const int64_t qemu = QemuPid("a-vm");

  // The active assignment stays confirmed on a while libvirtd goes away and
  // comes back, and for the keepalive window after (3 s by default).
  int unconfirmed_polls = 0;
  std::atomic<bool> restarting{true};
  std::thread watcher([&] {
    const Steady::time_point end_after_restart = Steady::now() + milliseconds(600000);
    Steady::time_point until = end_after_restart;
    while (Steady::now() < until) {
      unconfirmed_polls += ConfirmedUnit("si", "Active") != "a";
      if (!restarting && until == end_after_restart) until = Steady::now() + milliseconds(5000);
      std::this_thread::sleep_for(milliseconds(1));
    }
  });
  const Steady::time_point stopped = Steady::now();
  const std::string why = RestartOurLibvirtd();
  restarting = false;
  watcher.join();
  if (!why.empty()) GTEST_SKIP() << why;
  std::printf("libvirtd stopped and started again in %.0f ms\n",
              std::chrono::duration<double, std::milli>(Steady::now() - stopped).count());

  EXPECT_EQ(unconfirmed_polls, 0);
  EXPECT_EQ(QemuPid("a-vm"), qemu);
  EXPECT_TRUE(Running("a"));
  EXPECT_FALSE(Running("b"));
  EXPECT_EQ(FailureReason("Component", "a-vm"), "");
  EXPECT_EQ(Status("Component", "a-vm").value("restartCount", 0), 0);

  // Events come through the re-opened connection: a pause from outside is
  // reported at once, and the resume too.
  Virsh("suspend", Domain("a"));
  EXPECT_TRUE(WaitFor([&] { return ReadyReason("a-vm") == "DomainPaused"; }))
      << Status("Component", "a-vm").dump();
  EXPECT_EQ(DomainStatus("a-vm").value("state", ""), "paused");
  Virsh("resume", Domain("a"));
  EXPECT_TRUE(WaitFor([&] { return ReadyReason("a-vm") == "Running"; }))
      << Status("Component", "a-vm").dump();
  EXPECT_TRUE(WaitActiveOn("a"));
  EXPECT_EQ(QemuPid("a-vm"), qemu);
}

}  // namespace
}  // namespace vigil::agent::testing
