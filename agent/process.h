// Process: one OS process the agent started (or re-attached to), held by a
// pidfd so that signals and exit notifications can never reach a different
// process that happens to reuse the PID.
//
// Spawner: the seam through which the agent starts processes. PosixSpawner
// starts each command in its own session and process group (setsid), with a
// given environment and working directory, stdin from /dev/null and stdout and
// stderr appended to a log file; it records the PID and the kernel start time
// (/proc/PID/stat field 22) so a restarted agent can re-attach with Adopt().
//
// Thread safety: a Process may be signalled and polled from any thread
// (the pidfd is immutable for its lifetime). PosixSpawner is stateless and
// safe for concurrent use.
#ifndef VIGIL_AGENT_PROCESS_H_
#define VIGIL_AGENT_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::agent {

// How a process ended. `known` is false for a process that is not our child
// (adopted after an agent restart): the kernel tells only its parent.
struct ExitInfo {
  bool known = false;
  int exit_code = 0;             // valid when known && signal == 0
  int signal = 0;                // the terminating signal, 0 if it exited normally
  std::string Describe() const;  // "exited with code 3", "killed by SIGKILL"
};

class Process {
 public:
  // Takes ownership of pidfd. `is_child`: started by this process (so it can
  // and must be reaped by it).
  Process(pid_t pid, uint64_t start_ticks, int pidfd, bool is_child);
  ~Process();  // Closes the pidfd; never signals the process.
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Kernel start time in clock ticks since boot (/proc/PID/stat field 22).
  uint64_t start_ticks() const { return start_ticks_; }
  int pidfd() const { return pidfd_; }
  bool is_child() const { return is_child_; }

  // Sends `sig` to the process's whole process group (its PID, as it was
  // started with setsid). Members left after the leader died still get it.
  // Returns OK if anything was signalled or nothing is left to signal.
  absl::Status SignalGroup(int sig) const;
  // True once the process has exited (it may not be reaped yet).
  bool Exited() const;
  // True while the process or any other member of its group runs (zombies
  // do not count). Scans /proc once the leader is gone: not for hot paths.
  bool GroupAlive() const;
  // Reaps the process if it is our child and has exited, returning how it
  // ended; for a non-child that exited, returns {known = false}. Returns
  // nullopt while it still runs. Safe to call more than once (the first
  // result is kept).
  std::optional<ExitInfo> TryReap();

 private:
  const pid_t pid_;
  const uint64_t start_ticks_;
  const int pidfd_;
  const bool is_child_;
  mutable std::mutex mu_;
  std::optional<ExitInfo> exit_;  // GUARDED_BY(mu_)
};

struct SpawnOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH unless it has a '/'
  std::map<std::string, std::string> env;  // the complete environment
  std::string working_dir;                 // empty: the agent's
  std::string log_path;                    // stdout and stderr appended here; empty: /dev/null
};

class Spawner {
 public:
  virtual ~Spawner() = default;
  // Starts a process in a new session and process group.
  // Errors: InvalidArgument for an empty argv; NotFound if the program does
  // not exist or is not executable (the message names it);
  // FailedPrecondition if the working directory is missing; Internal for
  // other failures (log file, fork).
  virtual absl::StatusOr<std::unique_ptr<Process>> Spawn(const SpawnOptions& options) = 0;
  // Re-attaches to a process started earlier, only if `pid` is alive and its
  // kernel start time is still `start_ticks` (so a reused PID is refused).
  // Errors: NotFound if it is gone or the PID now names another process.
  virtual absl::StatusOr<std::unique_ptr<Process>> Adopt(pid_t pid, uint64_t start_ticks) = 0;
};

class PosixSpawner : public Spawner {
 public:
  absl::StatusOr<std::unique_ptr<Process>> Spawn(const SpawnOptions& options) override;
  absl::StatusOr<std::unique_ptr<Process>> Adopt(pid_t pid, uint64_t start_ticks) override;
};

// The kernel start time of `pid` in clock ticks since boot.
// Errors: NotFound if there is no such process.
absl::StatusOr<uint64_t> ReadStartTicks(pid_t pid);

// The process-group leaders whose environment holds `key`=`value`, with their
// start ticks, read from /proc (processes it may not read are skipped).
std::vector<std::pair<pid_t, uint64_t>> FindGroupLeadersWithEnv(const std::string& key,
                                                                const std::string& value);

// The agent's own environment as a map (the base of every component's).
std::map<std::string, std::string> InheritedEnvironment();

// Replaces each $(NAME) in `text` with env[NAME] (Kubernetes style); an
// unknown name is kept verbatim and $$(NAME) escapes to $(NAME).
std::string ExpandVariables(const std::string& text, const std::map<std::string, std::string>& env);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_PROCESS_H_
