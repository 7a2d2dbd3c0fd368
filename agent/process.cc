#include "agent/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace vigil::agent {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string ErrnoText(int error) { return strerror(error); }

// posix_spawn state that must be destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  // New session and process group, an empty signal mask and default
  // dispositions (vigild blocks SIGTERM/SIGINT in its threads; children
  // must not inherit that), stdin from /dev/null, output to the log,
  // no inherited descriptors beyond 0-2.
  void Configure(int output_fd, const std::string& working_dir) {
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, 1);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    if (!working_dir.empty()) {
      posix_spawn_file_actions_addchdir_np(&actions_, working_dir.c_str());
    }
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

absl::Status SpawnError(int error, const SpawnOptions& options) {
  const std::string& program = options.argv[0];
  if (error == ENOENT || error == EACCES || error == ENOEXEC) {
    return absl::NotFoundError(
        absl::StrCat("cannot execute \"", program, "\": ", ErrnoText(error)));
  }
  return absl::InternalError(absl::StrCat("cannot start \"", program, "\": ", ErrnoText(error)));
}

// Reads the state (field 3) and process group (field 5) of a /proc entry.
bool ReadStateAndGroup(const std::string& stat_path, char* state, pid_t* group) {
  std::ifstream in(stat_path);
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(line.substr(paren + 1));
  pid_t parent = 0;
  return static_cast<bool>(fields >> *state >> parent >> *group);
}

bool GroupHasLiveMember(pid_t group) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !isdigit(static_cast<unsigned char>(name[0]))) continue;
    char state = 0;
    pid_t member_group = 0;
    if (ReadStateAndGroup(entry.path().string() + "/stat", &state, &member_group) &&
        member_group == group && state != 'Z' && state != 'X') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ExitInfo::Describe() const {
  if (!known) return "exited";
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return absl::StrCat("killed by SIG", name ? name : std::to_string(signal));
  }
  return absl::StrCat("exited with code ", exit_code);
}

Process::Process(pid_t pid, uint64_t start_ticks, int pidfd, bool is_child)
    : pid_(pid), start_ticks_(start_ticks), pidfd_(pidfd), is_child_(is_child) {}

Process::~Process() { close(pidfd_); }

absl::Status Process::SignalGroup(int sig) const {
  if (kill(-pid_, sig) == 0 || errno == ESRCH) {
    // The leader may have left the group only if it called setsid itself;
    // signal it directly too (the pidfd makes this safe against PID reuse).
    syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0);
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat("kill(-", pid_, "): ", ErrnoText(errno)));
}

bool Process::Exited() const {
  {
    std::lock_guard lock(mu_);
    if (exit_.has_value()) return true;
  }
  pollfd fd{pidfd_, POLLIN, 0};
  return poll(&fd, 1, 0) > 0;
}

bool Process::GroupAlive() const {
  if (!Exited()) return true;
  if (kill(-pid_, 0) != 0) return false;
  // Members may be zombies waiting for PID 1 to reap them (which can take
  // seconds): only a member that still runs counts.
  return GroupHasLiveMember(pid_);
}

std::optional<ExitInfo> Process::TryReap() {
  if (!Exited()) return std::nullopt;
  std::lock_guard lock(mu_);
  if (exit_.has_value()) return exit_;
  ExitInfo info;
  if (is_child_) {
    siginfo_t si{};
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &si, WEXITED | WNOHANG) ==
            0 &&
        si.si_pid != 0) {
      info.known = true;
      if (si.si_code == CLD_EXITED) {
        info.exit_code = si.si_status;
      } else {
        info.signal = si.si_status;
      }
    }
  }
  exit_ = info;
  return exit_;
}

absl::StatusOr<std::unique_ptr<Process>> PosixSpawner::Spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return absl::InvalidArgumentError("empty command");
  }
  if (!options.working_dir.empty() && access(options.working_dir.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("working directory \"", options.working_dir, "\": ", ErrnoText(errno)));
  }
  // The log is opened here, not in the child, so that a failure to open it
  // is not mistaken for a missing program.
  const std::string& out = options.log_path.empty() ? "/dev/null" : options.log_path;
  const int output_fd = open(out.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (output_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open log ", out, ": ", ErrnoText(errno)));
  }
  SpawnSetup setup;
  setup.Configure(output_fd, options.working_dir);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : options.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], setup.actions(), setup.attr(), argv.data(), envp.data());
  close(output_fd);
  if (rc != 0) return SpawnError(rc, options);
  // A child cannot be reaped behind our back, so its PID is still ours here.
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    const int error = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::InternalError(absl::StrCat("pidfd_open: ", ErrnoText(error)));
  }
  // The start time cannot be missing for an unreaped child; 0 if it were.
  uint64_t start_ticks = ReadStartTicks(pid).value_or(0);
  return std::make_unique<Process>(pid, start_ticks, pidfd, /*is_child=*/true);
}

absl::StatusOr<std::unique_ptr<Process>> PosixSpawner::Adopt(pid_t pid, uint64_t start_ticks) {
  if (pid <= 0) return absl::NotFoundError("no PID recorded");
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) return absl::NotFoundError(absl::StrCat("process ", pid, " is gone"));
  // Read the start time after taking the pidfd: if it matches, the pidfd
  // holds the very process we started, not a successor with its PID.
  absl::StatusOr<uint64_t> ticks = ReadStartTicks(pid);
  pollfd fd{pidfd, POLLIN, 0};
  if (!ticks.ok() || *ticks != start_ticks || poll(&fd, 1, 0) > 0) {
    close(pidfd);
    return absl::NotFoundError(absl::StrCat("process ", pid, " is gone (PID reused)"));
  }
  return std::make_unique<Process>(pid, start_ticks, pidfd, /*is_child=*/false);
}

absl::StatusOr<uint64_t> ReadStartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return absl::NotFoundError("bad /proc stat");
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    uint64_t value = 0;
    if (index == 22 && absl::SimpleAtoi(field, &value)) return value;
  }
  return absl::NotFoundError(absl::StrCat("no start time for process ", pid));
}

std::vector<std::pair<pid_t, uint64_t>> FindGroupLeadersWithEnv(const std::string& key,
                                                                const std::string& value) {
  std::vector<std::pair<pid_t, uint64_t>> found;
  const std::string wanted = key + "=" + value;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid) || pid <= 1) continue;
    if (getpgid(pid) != pid) continue;
    std::ifstream environ_file(entry.path() / "environ", std::ios::binary);
    std::string variable;
    bool marked = false;
    while (!marked && std::getline(environ_file, variable, '\0')) marked = variable == wanted;
    if (!marked) continue;
    absl::StatusOr<uint64_t> ticks = ReadStartTicks(pid);
    if (ticks.ok()) found.emplace_back(pid, *ticks);
  }
  return found;
}

std::map<std::string, std::string> InheritedEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

std::string ExpandVariables(const std::string& text,
                            const std::map<std::string, std::string>& env) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$$(") == 0) {
      out += "$(";
      i += 3;
      continue;
    }
    size_t close = text.compare(i, 2, "$(") == 0 ? text.find(')', i + 2) : std::string::npos;
    if (close == std::string::npos) {
      out += text[i++];
      continue;
    }
    const std::string name = text.substr(i + 2, close - i - 2);
    auto found = env.find(name);
    out += found != env.end() ? found->second : text.substr(i, close - i + 1);
    i = close + 1;
  }
  return out;
}

}  // namespace vigil::agent
