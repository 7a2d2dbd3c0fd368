// Failover figures (not run by default; a measurement, not a check):
//
//   VIGIL_FIGURES_N=20 build-agent/tests/agent_test --gtest_also_run_disabled_tests
//       --gtest_filter='*FailoverFigures*'        (N kills per kind, default 20)
//
// Kills the active component of a 2N service N times, for an exec and an
// saAware component, with the real Registry/RocksDB store, the real
// AssignmentController and NodeAgent, and prints min/median/p95/max of:
//   reaction  kill -9 -> the failed unit's Disabled report is in the store,
//   recovery  kill -9 -> the SI is active and confirmed on the other unit,
//   outage    kill -9 -> an external client (connecting every 1 ms) is
//             served again.
// For exec it also prints the service's own start time (spawn -> port
// open), which is part of its outage.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "agent/process.h"
#include "tests/agent/figures.h"

namespace vigil::agent::testing {
namespace {

class FailoverFigures : public FiguresFixture {};

TEST_F(FailoverFigures, DISABLED_ExecComponent) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  Samples samples = Measure("-server");
  Print("exec", samples);
  // The service's own start time: spawn perl -> port open.
  std::vector<double> start;
  const int port = FreePort();
  PosixSpawner spawner;
  for (int i = 0; i < 10; ++i) {
    SpawnOptions options;
    options.argv = {"perl", "-e", kHttpServer};
    options.env = InheritedEnvironment();
    options.env["PORT"] = std::to_string(port);
    const Steady::time_point spawned = Steady::now();
    auto process = spawner.Spawn(options);
    ASSERT_TRUE(process.ok());
    WaitFor([&] { return Connects(port); });
    start.push_back(Ms(Steady::now() - spawned));
    (void)(*process)->SignalGroup(SIGKILL);
    WaitFor([&] { return (*process)->TryReap().has_value(); });
  }
  std::cout << "exec service start (perl, spawn -> port open): " << Summary(start) << "\n";
}

}  // namespace
}  // namespace vigil::agent::testing
