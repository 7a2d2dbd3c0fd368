// Failover measurements for the DISABLED_*Figures tests: kill the active
// component of the 2N service N times and collect reaction, recovery and
// outage (see failover_figures_test.cc for the definitions).
#ifndef VIGIL_TESTS_AGENT_FIGURES_H_
#define VIGIL_TESTS_AGENT_FIGURES_H_

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include "tests/agent/agent_fixture.h"

namespace vigil::agent::testing {

struct Samples {
  std::vector<double> reaction, recovery, outage;
};

inline std::string Summary(std::vector<double> v) {
  if (v.empty()) return "n/a";
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  char line[160];
  snprintf(line, sizeof(line), "min %.2f  median %.2f  p95 %.2f  max %.2f ms (n=%zu)", v.front(),
           at(0.5), at(0.95), v.back(), v.size());
  return line;
}

// Connects to the port every millisecond; reports the first success after
// `after`.
class Prober {
 public:
  explicit Prober(int port) : port_(port), thread_([this] { Run(); }) {}
  ~Prober() {
    stop_ = true;
    thread_.join();
  }
  void Arm(Steady::time_point after) {
    armed_after_ = after.time_since_epoch().count();
    served_at_ = 0;
  }
  std::optional<Steady::time_point> ServedAt() const {
    int64_t at = served_at_.load();
    if (at == 0) return std::nullopt;
    return Steady::time_point(Steady::duration(at));
  }

 private:
  void Run() {
    while (!stop_) {
      const Steady::time_point now = Steady::now();
      if (armed_after_ != 0 && served_at_ == 0 && now.time_since_epoch().count() > armed_after_ &&
          Connects(port_)) {
        served_at_ = now.time_since_epoch().count();
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
  const int port_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> armed_after_{0};
  std::atomic<int64_t> served_at_{0};
  std::thread thread_;
};

// Mixed into a fixture derived from AgentFixture.
class FiguresFixture : public AgentFixture {
 protected:
  int Runs() {
    const char* n = std::getenv("VIGIL_FIGURES_N");
    return n != nullptr ? std::max(1, std::atoi(n)) : 20;
  }
  // Kills the active `suffix` component N times; both units must be back
  // (active + standby confirmed) before each kill.
  Samples Measure(const std::string& suffix) {
    Samples samples;
    Prober prober(port_);
    for (int i = 0; i < Runs(); ++i) {
      std::string active, standby;
      EXPECT_TRUE(WaitFor([&] {
        active = ConfirmedUnit("si", "Active");
        standby = ConfirmedUnit("si", "Standby");
        return !active.empty() && !standby.empty() && Connects(port_);
      })) << "run "
          << i;
      if (HasFailure()) break;
      const int64_t pid = Pid(active + suffix);
      const Steady::time_point killed = Steady::now();
      kill(static_cast<pid_t>(pid), SIGKILL);
      // The old process's socket is gone once it is dead.
      WaitFor([&] { return ProcessState(pid) == 'Z' || ProcessState(pid) == '?'; });
      prober.Arm(Steady::now());
      EXPECT_TRUE(WaitFor(
          [&] { return Status("ServiceUnit", active).value("operState", "") == "Disabled"; }));
      samples.reaction.push_back(Ms(Steady::now() - killed));
      EXPECT_TRUE(WaitActiveOn(standby));
      samples.recovery.push_back(Ms(Steady::now() - killed));
      EXPECT_TRUE(WaitFor([&] { return prober.ServedAt().has_value(); }));
      if (auto served = prober.ServedAt()) samples.outage.push_back(Ms(*served - killed));
    }
    return samples;
  }
  void Print(const std::string& kind, const Samples& s) {
    std::cout << kind << " reaction: " << Summary(s.reaction) << "\n"
              << kind << " recovery: " << Summary(s.recovery) << "\n"
              << kind << " outage (external probe, 1 ms): " << Summary(s.outage) << "\n";
  }
};

}  // namespace vigil::agent::testing

#endif  // VIGIL_TESTS_AGENT_FIGURES_H_
