// RunnerHarness: a real EventLoop, ProcessMonitor and PosixSpawner in a
// temporary data dir, and a runner driven on the loop, with a copy of its
// state that tests can wait on (no sleeps).
#ifndef VIGIL_TESTS_AGENT_RUNNER_HARNESS_H_
#define VIGIL_TESTS_AGENT_RUNNER_HARNESS_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "agent/component_runner.h"
#include "agent/event_loop.h"
#include "agent/process.h"
#include "agent/process_monitor.h"

namespace vigil::agent::testing {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

inline std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline CsiAssignment Csi(const std::string& si, api::HaState ha,
                         std::map<std::string, std::string> attributes = {}) {
  CsiAssignment csi;
  csi.service_instance = si;
  csi.csi.name = si + "-csi";
  csi.csi.cs_type = "t";
  csi.csi.attributes = std::move(attributes);
  csi.ha_state = ha;
  return csi;
}

class RunnerHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("vigil-runner-test");
    ASSERT_FALSE(dir_.empty());
    std::filesystem::create_directories(dir_ + "/logs");
    ASSERT_TRUE(monitor_.Start().ok());
    loop_.Start();
  }
  void TearDown() override {
    for (pid_t pgid : groups_) kill(-pgid, SIGKILL);
    loop_.RunSync([this] { runners_.clear(); });
    loop_.Stop();
    monitor_.Stop();
    std::filesystem::remove_all(dir_);
  }

  RunnerContext Context() {
    return RunnerContext{.loop = &loop_,
                         .monitor = &monitor_,
                         .spawner = &spawner_,
                         .log_dir = dir_ + "/logs",
                         .socket_path = dir_ + "/agent.sock",
                         .node = "n1",
                         .wall_now = [] { return std::chrono::system_clock::now(); }};
  }
  RunnerCallbacks Callbacks() {
    return RunnerCallbacks{.on_change = [this] { Snapshot(); },
                           .on_failure =
                               [this](const api::Failure& failure) {
                                 {
                                   std::lock_guard lock(mu_);
                                   failures_.push_back(failure);
                                   failure_times_.push_back(Steady::now());
                                   cv_.notify_all();
                                 }
                                 if (on_failure_) on_failure_(failure);
                               }};
  }
  // Adds a runner made on the loop thread; returns its index.
  size_t Add(std::function<std::unique_ptr<ComponentRunner>()> make) {
    loop_.RunSync([&] { runners_.push_back(make()); });
    return runners_.size() - 1;
  }
  void OnLoop(std::function<void(ComponentRunner&)> action, size_t index = 0) {
    loop_.RunSync([&] { action(*runners_[index]); });
  }
  // Waits until `done` holds for the last state the runner reported.
  bool WaitState(std::function<bool(const RunnerState&)> done,
                 milliseconds timeout = milliseconds(5000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done(last_); });
  }
  bool WaitFailures(size_t count, milliseconds timeout = milliseconds(5000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return failures_.size() >= count; });
  }
  RunnerState Last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  bool ReachedOnLoop(const std::string& si, api::HaState ha, size_t index = 0) {
    bool reached = false;
    loop_.RunSync([&] { reached = runners_[index]->Reached(si, ha); });
    return reached;
  }
  // Kills these process groups at teardown.
  void Track(pid_t pgid) { groups_.push_back(pgid); }

  std::string dir_;
  EventLoop loop_;
  ProcessMonitor monitor_;
  PosixSpawner spawner_;
  std::vector<std::unique_ptr<ComponentRunner>> runners_;  // loop thread
  std::function<void(const api::Failure&)> on_failure_;    // loop thread
  std::mutex mu_;
  std::condition_variable cv_;
  RunnerState last_;
  std::vector<api::Failure> failures_;
  std::vector<Steady::time_point> failure_times_;
  std::vector<pid_t> groups_;

 private:
  void Snapshot() {
    std::lock_guard lock(mu_);
    if (!runners_.empty()) last_ = runners_.back()->state();
    cv_.notify_all();
  }
};

}  // namespace vigil::agent::testing

#endif  // VIGIL_TESTS_AGENT_RUNNER_HARNESS_H_
