// vigil-subreaper (hack/subreaper): orphans are reaped at once, signals are
// forwarded, the child's status is returned.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace vigil::virt {
namespace {

using Steady = std::chrono::steady_clock;

// Starts vigil-subreaper with `command` under `sh -c`; its stdout goes to
// *out. Returns the subreaper's pid.
pid_t StartSubreaper(const std::string& command, int* out) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    execl(VIGIL_SUBREAPER, VIGIL_SUBREAPER, "sh", "-c", command.c_str(),
          nullptr);
    _exit(127);
  }
  close(pipe_fds[1]);
  *out = pipe_fds[0];
  return pid;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// "S", "Z", ... from /proc/<pid>/stat, "" once the process is gone; sets
// *parent to its parent's pid.
std::string ProcessState(pid_t pid, pid_t* parent) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || text.size() < paren + 4) return "";
  *parent = std::atoi(text.c_str() + paren + 4);
  return text.substr(paren + 2, 1);
}

TEST(SubreaperTest, ReturnsTheChildsExitCode) {
  int out = -1;
  pid_t pid = StartSubreaper("exit 7", &out);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(WaitExitCode(pid), 7);
  close(out);
}

TEST(SubreaperTest, ReapsOrphansAtOnce) {
  int out = -1;
  // The inner shell exits at once, orphaning its background sleep, whose
  // pid it prints; the outer shell stays so the subreaper keeps running.
  pid_t pid =
      StartSubreaper("sh -c 'sleep 0.2 & echo $!'; exec sleep 30", &out);
  ASSERT_GT(pid, 0);
  char buffer[32] = {};
  ASSERT_GT(read(out, buffer, sizeof(buffer) - 1), 0);
  pid_t orphan = std::stoi(buffer);
  // Wait for the orphan to die, then measure how long it stays a zombie.
  Steady::time_point zombie_since{};
  pid_t parent = 0;
  // The inner shell may still be exiting; then the orphan is adopted.
  Steady::time_point deadline = Steady::now() + std::chrono::seconds(1);
  for (;;) {
    std::string state = ProcessState(orphan, &parent);
    if (state.empty() || state == "Z" || parent == pid) break;
    if (Steady::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(parent, pid);  // adopted by the subreaper, not by PID 1
  for (;;) {
    std::string state = ProcessState(orphan, &parent);
    if (state.empty()) break;
    if (state == "Z" && zombie_since == Steady::time_point{}) {
      zombie_since = Steady::now();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (zombie_since != Steady::time_point{}) {
    auto zombie_for = Steady::now() - zombie_since;
    // PID 1 on these machines takes 1-2 s; a subreaper takes microseconds.
    EXPECT_LT(zombie_for, std::chrono::milliseconds(200));
  }
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExitCode(pid), 128 + SIGTERM);
  close(out);
}

TEST(SubreaperTest, ForwardsSigtermToTheChild) {
  int out = -1;
  pid_t pid = StartSubreaper("echo started; exec sleep 30", &out);
  ASSERT_GT(pid, 0);
  char buffer[16];
  ASSERT_GT(read(out, buffer, sizeof(buffer)), 0);
  Steady::time_point before = Steady::now();
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitExitCode(pid), 128 + SIGTERM);
  EXPECT_LT(Steady::now() - before, std::chrono::seconds(5));
  close(out);
}

}  // namespace
}  // namespace vigil::virt
