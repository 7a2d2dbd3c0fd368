// End-to-end node failure: a real vigild and two remote node agents
// (`vigild agent`), a 2N service with one unit on each node. The agent of the
// node holding the active is killed, or frozen and resumed; the node's
// Lease expires, the node is marked not Ready and the service is active on
// the other node. A frozen agent that resumes stops its components itself
// (self-fencing) and serves nothing. After each scenario the store's event
// log is replayed to prove that no ServiceInstance ever had two confirmed
// actives at once.
#include <signal.h>

#include <cstdio>
#include <string>
#include <utility>

#include "tests/e2e/cluster_fixture.h"

namespace vigil::e2e {
namespace {

class NodeFailureTest : public ClusterTest {
 protected:
  // A 2N group: unit a on n1 (preferred), unit b on n2; each runs `sleep`
  // while it holds the SI active.
  void CreateTwoNodeService() {
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const auto& [unit, node] : {std::pair{"a", "n1"}, std::pair{"b", "n2"}}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", node}, {"rank", std::string(unit) == "a" ? 1 : 2}}));
      Create(Obj("Component", std::string(unit) + "-svc",
                 {{"serviceUnit", unit},
                  {"csTypes", {"svc"}},
                  {"exec", {{"instantiate", {"sleep", "600"}}}}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"}, {"csis", {{{"name", "svc"}, {"csType", "svc"}}}}}));
  }

  // Both agents, the service, and its active on n1 and standby on n2,
  // confirmed.
  void StartServiceActiveOnN1() {
    ASSERT_NO_FATAL_FAILURE(StartAgent("n1"));
    ASSERT_NO_FATAL_FAILURE(StartAgent("n2"));
    ASSERT_NO_FATAL_FAILURE(CreateTwoNodeService());
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; }))
        << Status("ServiceInstance", "si").dump();
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "b"; }));
  }
};

TEST_F(NodeFailureTest, KilledAgentsNodeFailsOverWithinASecondOrSo) {
  ASSERT_NO_FATAL_FAILURE(StartServiceActiveOnN1());
  ASSERT_GT(WaitRecorded("n1", "a-svc"), 0);  // so TearDown can end it

  const Steady::time_point killed = Steady::now();
  agents_["n1"]->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "b"; }))
      << Status("ServiceInstance", "si").dump() << vigild_->Output();
  const double outage = Ms(Steady::now() - killed);
  std::printf("agent of n1 killed -> active confirmed on n2: %.0f ms\n", outage);
  EXPECT_LT(outage, 3000);  // lease 800 ms; a loaded CI machine gets room
  EXPECT_EQ(NodeReady("n1"), "False/NodeLeaseExpired");
  EXPECT_EQ(NodeReady("n2"), "True/AgentReady");
  EXPECT_TRUE(WaitFor([&] { return ProcessAlive(Status("Component", "b-svc").value("pid", 0)); }))
      << Status("Component", "b-svc").dump();
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

TEST_F(NodeFailureTest, FrozenAgentsNodeFailsOverAndOnResumeItServesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServiceActiveOnN1());
  ASSERT_TRUE(WaitFor([&] { return Status("Component", "a-svc").value("pid", 0) > 0; }));
  const int64_t old_active = Status("Component", "a-svc").value("pid", 0);
  ASSERT_TRUE(ProcessAlive(old_active));

  agents_["n1"]->Signal(SIGSTOP);
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "b"; }))
      << Status("ServiceInstance", "si").dump();
  EXPECT_EQ(NodeReady("n1"), "False/NodeLeaseExpired");

  // On resume the agent finds its lease lapsed and stops its component at
  // once, before anything else; the service stays on n2.
  const Steady::time_point resumed = Steady::now();
  agents_["n1"]->Signal(SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return !ProcessAlive(old_active); }, milliseconds(5000)))
      << agents_["n1"]->Output();
  std::printf("frozen agent resumed -> its active component gone: %.0f ms\n",
              Ms(Steady::now() - resumed));
  // Its log line arrives through a pipe, maybe a moment after the fact.
  EXPECT_TRUE(WaitFor(
      [&] { return agents_["n1"]->Output().find("self-fencing") != std::string::npos; },
      milliseconds(2000)))
      << agents_["n1"]->Output();
  // Back in service as the standby, never active again.
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "a"; }))
      << Status("ServiceInstance", "si").dump();
  EXPECT_EQ(ConfirmedUnit("Active"), "b");
  EXPECT_EQ(NodeReady("n1"), "True/AgentReady");
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);
}

}  // namespace
}  // namespace vigil::e2e
