// SwitchbackTest: a ClusterTest whose components stamp their start times
// (tests/e2e/failover_checks.h), for tests in which node n1 fails, comes
// back, and its unit a must get the SI back from unit b gracefully, only
// after the group's auto-adjust probation counted from the node's return.
#ifndef VIGIL_TESTS_E2E_SWITCHBACK_FIXTURE_H_
#define VIGIL_TESTS_E2E_SWITCHBACK_FIXTURE_H_

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "tests/e2e/cluster_fixture.h"
#include "tests/e2e/failover_checks.h"

namespace vigil::e2e {

class SwitchbackTest : public ClusterTest {
 protected:
  // 2N group g with auto-adjust after `probation`: unit a on n1 (rank 1),
  // unit b on n2 (rank 2); each component stamps its start time into
  // stamps_, then sleeps. One SI "si".
  void CreateService(std::chrono::milliseconds probation) {
    Create(Obj("ServiceGroup", "g",
               {{"redundancyModel", "2N"},
                {"autoAdjust",
                 {{"enabled", true},
                  {"probation", std::to_string(probation.count()) + "ms"},
                  {"minInterval", "1s"}}}}));
    for (const auto& [unit, node, rank] : {std::tuple{"a", "n1", 1}, std::tuple{"b", "n2", 2}}) {
      Create(Obj("ServiceUnit", unit, {{"serviceGroup", "g"}, {"node", node}, {"rank", rank}}));
      Create(Obj("Component", std::string(unit) + "-svc",
                 {{"serviceUnit", unit},
                  {"csTypes", {"svc"}},
                  {"exec", {{"instantiate", StampingCommand(stamps_)}}}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "svc"}, {"csType", "svc"}}}}}));
  }

  // The PID in the component's status once it runs (0 after 15 s).
  pid_t RunningPid(const std::string& component) {
    pid_t pid = 0;
    WaitFor([&] {
      pid = static_cast<pid_t>(Status("Component", component).value("pid", 0));
      return ProcessAlive(pid);
    });
    return ProcessAlive(pid) ? pid : 0;
  }

  // Waits for SI "si" to be active on a again, then checks: the switchback
  // started no earlier than `probation` after both a's return to service
  // and `returned` (when the node came back); b's process `b` ended before
  // a's second process started (a graceful switchover); a started exactly
  // twice; no SI version ever had two confirmed actives.
  void ExpectSwitchbackAfterProbation(Wall::time_point returned, std::chrono::milliseconds probation,
                                      const ExitWatch& b) {
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; },
                        probation + std::chrono::milliseconds(20000)))
        << Status("ServiceInstance", "si").dump() << Status("ServiceGroup", "g").dump();
    const auto in_service = ParseTime(Status("ServiceUnit", "a").value("inServiceSince", ""));
    const auto adjusted = ParseTime(Status("ServiceGroup", "g").value("lastAdjustment", ""));
    ASSERT_TRUE(in_service && adjusted)
        << Status("ServiceUnit", "a").dump() << Status("ServiceGroup", "g").dump();
    std::printf("a in service -> switchback started: %.0f ms (probation %lld ms)\n",
                MsBetween(*in_service, *adjusted), static_cast<long long>(probation.count()));
    EXPECT_GE(MsBetween(*in_service, *adjusted), probation.count() - 1);
    // The probation counts from the node's return, not from before its
    // failure.
    EXPECT_GE(MsBetween(returned, *in_service), -1) << Status("ServiceUnit", "a").dump();
    EXPECT_GE(MsBetween(returned, *adjusted), probation.count());
    ASSERT_TRUE(WaitFor([&] { return b.exited_at().has_value(); }));
    // (a process may be confirmed before its shell has written the stamp)
    ASSERT_TRUE(WaitFor([&] { return StartStamps(stamps_, "a-svc").size() >= 2; }));
    const std::vector<Wall::time_point> a_starts = StartStamps(stamps_, "a-svc");
    ASSERT_EQ(a_starts.size(), 2u);
    EXPECT_LT(*b.exited_at(), a_starts[1]);
    EXPECT_GT(a_starts[1], returned);
    EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
  }

  std::filesystem::path stamps_;  // where the components stamp their starts
};

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_SWITCHBACK_FIXTURE_H_
