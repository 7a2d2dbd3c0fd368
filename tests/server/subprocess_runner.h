// SubprocessRunner: runs a real program (kubectl) with a given environment,
// collecting its combined output so tests can wait for a line instead of
// sleeping.
#ifndef VIGIL_TESTS_SERVER_SUBPROCESS_RUNNER_H_
#define VIGIL_TESTS_SERVER_SUBPROCESS_RUNNER_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::server::testing {

class Subprocess {
 public:
  // Starts `argv` (argv[0] a path) with environment `env` ("K=V" entries).
  // Returns nullptr if it cannot be started.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return nullptr;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    args.push_back(nullptr);
    envp.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      return nullptr;
    }
    return std::unique_ptr<Subprocess>(new Subprocess(pid, fds[0]));
  }

  ~Subprocess() {
    if (!exited_) kill(pid_, SIGKILL);
    Wait();
  }

  // Waits for the program to exit; returns its exit code (-signal if killed).
  int Wait() {
    if (!exited_) {
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      exited_ = true;
    }
    if (reader_.joinable()) reader_.join();
    return exit_code_;
  }

  void Terminate() { kill(pid_, SIGTERM); }

  // Waits until the output contains `text` (after `from` bytes); returns
  // whether it appeared within `timeout`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout,
                     size_t from = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return output_.find(text, from) != std::string::npos || eof_;
    }) && output_.find(text, from) != std::string::npos;
  }

  std::string Output() {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

 private:
  Subprocess(pid_t pid, int fd) : pid_(pid) {
    reader_ = std::thread([this, fd] {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        output_.append(buffer, static_cast<size_t>(n));
        cv_.notify_all();
      }
      close(fd);
      std::lock_guard<std::mutex> lock(mu_);
      eof_ = true;
      cv_.notify_all();
    });
  }

  const pid_t pid_;
  bool exited_ = false;
  int exit_code_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
};

}  // namespace vigil::server::testing

#endif  // VIGIL_TESTS_SERVER_SUBPROCESS_RUNNER_H_
