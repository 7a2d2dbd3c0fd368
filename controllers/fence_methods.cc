#include "controllers/fence_methods.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "virt/hypervisor.h"

extern char** environ;

namespace vigil::controllers {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr size_t kOutputKept = 2048;  // the tail of the command's output

// environ plus `extra` (which wins), as "NAME=value" strings.
std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (!extra.contains(name)) out.push_back(entry);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// A started command: its PID, a pidfd and the read end of its output.
struct Child {
  pid_t pid = -1;
  int pidfd = -1;
  int output = -1;
};

absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env) {
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = Environment(env);
  std::vector<char*> arg_ptrs = Pointers(args);
  std::vector<char*> env_ptrs = Pointers(envs);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);  // killed as a group
  pid_t pid = -1;
  const int error =
      posix_spawnp(&pid, arg_ptrs[0], &actions, &attributes, arg_ptrs.data(), env_ptrs.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (error != 0) {
    close(pipe_fds[0]);
    return absl::InvalidArgumentError(
        absl::StrCat("cannot run ", argv[0], ": ", strerror(error)));
  }
  return Child{.pid = pid, .pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0)),
               .output = pipe_fds[0]};
}

// Reads what is there into `tail`, keeping its last kOutputKept bytes.
void ReadAvailable(int fd, std::string& tail) {
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof buffer);
  if (n <= 0) return;
  tail.append(buffer, static_cast<size_t>(n));
  if (tail.size() > kOutputKept) tail.erase(0, tail.size() - kOutputKept);
}

// Waits for the child's exit until `deadline`, collecting its output; true
// if it exited (then reaped into `wait_status`).
bool WaitUntil(const Child& child, Steady::time_point deadline, std::string& tail,
               int& wait_status) {
  bool output_open = true;
  for (;;) {
    if (waitpid(child.pid, &wait_status, WNOHANG) == child.pid) return true;
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{.fd = child.pidfd, .events = POLLIN, .revents = 0},
                     {.fd = output_open ? child.output : -1, .events = POLLIN, .revents = 0}};
    // Without a pidfd (old kernel) poll the exit every 10 ms.
    const int wait_ms = child.pidfd >= 0 ? static_cast<int>(left) : std::min<int>(10, left);
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) return false;
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      const size_t before = tail.size();
      ReadAvailable(child.output, tail);
      if (tail.size() == before && (fds[1].revents & POLLHUP)) output_open = false;
    }
  }
}

std::string LastLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

class RealFenceMethods : public FenceMethods {
 public:
  absl::Status RunCommand(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env,
                          milliseconds timeout) override {
    if (argv.empty()) return absl::InvalidArgumentError("empty fence command");
    const std::string shown = absl::StrJoin(argv, " ");
    absl::StatusOr<Child> child = Spawn(argv, env);
    if (!child.ok()) return child.status();
    std::string tail;
    int wait_status = 0;
    const bool exited = WaitUntil(*child, Steady::now() + timeout, tail, wait_status);
    if (!exited) {
      kill(-child->pid, SIGKILL);  // its own session: the whole group
      waitpid(child->pid, &wait_status, 0);
    }
    if (child->pidfd >= 0) close(child->pidfd);
    close(child->output);
    if (!exited) {
      return absl::DeadlineExceededError(
          absl::StrCat("fence command `", shown, "` still ran after ", timeout.count(), "ms"));
    }
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return absl::OkStatus();
    const std::string how = WIFEXITED(wait_status)
                                ? absl::StrCat("exited ", WEXITSTATUS(wait_status))
                                : absl::StrCat("killed by signal ", WTERMSIG(wait_status));
    const std::string line = LastLine(tail);
    return absl::UnavailableError(
        absl::StrCat("fence command `", shown, "` ", how, line.empty() ? "" : ": " + line));
  }

  absl::Status DestroyDomains(const std::string& uri,
                              const std::vector<std::string>& domains) override {
    absl::StatusOr<std::shared_ptr<virt::Hypervisor>> hypervisor = Connect(uri);
    if (!hypervisor.ok()) return hypervisor.status();
    for (const std::string& domain : domains) {
      absl::Status destroyed = (*hypervisor)->DestroyDomain(domain);
      // Not defined there, or not running: off either way.
      if (destroyed.ok() || absl::IsNotFound(destroyed) ||
          absl::IsFailedPrecondition(destroyed)) {
        continue;
      }
      return destroyed;
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::shared_ptr<virt::Hypervisor>> Connect(const std::string& uri) {
    std::lock_guard lock(mu_);
    auto found = hypervisors_.find(uri);
    if (found != hypervisors_.end()) return found->second;
    absl::StatusOr<std::unique_ptr<virt::LibvirtHypervisor>> opened =
        virt::LibvirtHypervisor::Open(uri);
    if (!opened.ok()) return opened.status();
    std::shared_ptr<virt::Hypervisor> shared = std::move(*opened);
    hypervisors_[uri] = shared;
    return shared;
  }

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<virt::Hypervisor>> hypervisors_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<FenceMethods> MakeFenceMethods() { return std::make_unique<RealFenceMethods>(); }

}  // namespace vigil::controllers
