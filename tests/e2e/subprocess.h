// Subprocess: runs a real program (vigild, vigil, kubectl) for end-to-end
// tests, collecting its combined stdout and stderr so a test can wait for a
// line ("serving on ...") instead of sleeping.
//
// Thread safety: a Subprocess may be used from one test thread; its output is
// collected by an internal reader thread.
#ifndef VIGIL_TESTS_E2E_SUBPROCESS_H_
#define VIGIL_TESTS_E2E_SUBPROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace vigil::e2e {

class Subprocess {
 public:
  // Starts argv[0] (a path) with its output captured. Returns nullptr if the
  // program cannot be started.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return nullptr;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      return nullptr;
    }
    return std::unique_ptr<Subprocess>(new Subprocess(pid, fds[0]));
  }

  ~Subprocess() {
    if (!exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    stop_reading_ = true;
    if (reader_.joinable()) reader_.join();
    close(fd_);
  }

  pid_t pid() const { return pid_; }

  // Waits until the output contains `needle` at least `occurrences` times;
  // false on timeout or if the process closed its output first.
  bool WaitForOutput(const std::string& needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10),
                     int occurrences = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    auto found = [&] {
      int count = 0;
      for (size_t at = output_.find(needle); at != std::string::npos;
           at = output_.find(needle, at + 1)) {
        ++count;
      }
      return count >= occurrences;
    };
    cv_.wait_for(lock, timeout, [&] { return found() || closed_; });
    return found();
  }

  std::string Output() {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // Waits for exit; returns the exit code, or 128 + signal if killed.
  int Wait() {
    if (!exited_) {
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      Exited(status);
    }
    return exit_code_;
  }

  // Asks the program to stop (SIGTERM), waits up to `grace`, then kills it.
  // Returns the exit code as Wait does; does nothing once it has exited.
  int Terminate(std::chrono::milliseconds grace = std::chrono::seconds(10)) {
    if (exited_) return exit_code_;
    Signal(SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        Exited(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    Signal(SIGKILL);
    return Wait();
  }

 private:
  // Records the wait status of the reaped program.
  void Exited(int status) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // Collect what is left unless a grandchild still holds the pipe open.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(2), [&] { return closed_; });
  }

  Subprocess(pid_t pid, int fd) : pid_(pid), fd_(fd) {
    reader_ = std::thread([this] { ReadAll(); });
  }

  void ReadAll() {
    char buffer[4096];
    while (!stop_reading_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) == 0) continue;
      ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        closed_ = true;
        cv_.notify_all();
        return;
      }
      output_.append(buffer, static_cast<size_t>(n));
      cv_.notify_all();
    }
  }

  pid_t pid_;
  int fd_;
  bool exited_ = false;
  int exit_code_ = -1;
  std::atomic<bool> stop_reading_{false};
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs a program to completion.
inline RunResult Run(const std::vector<std::string>& argv) {
  std::unique_ptr<Subprocess> process = Subprocess::Start(argv);
  if (process == nullptr) return {127, "cannot start " + argv[0]};
  int code = process->Wait();
  return {code, process->Output()};
}

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_SUBPROCESS_H_
