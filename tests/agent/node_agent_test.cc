// End-to-end: real Registry + RocksDB store, the real AssignmentController,
// real NodeAgents and real processes.
#include <signal.h>

#include <iostream>

#include "tests/agent/agent_fixture.h"

namespace vigil::agent::testing {
namespace {

class NodeAgentTest : public AgentFixture {};

TEST_F(NodeAgentTest, RunsTheActiveAndReportsStatus) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  ASSERT_TRUE(WaitActiveOn("a")) << Status("ServiceInstance", "si").dump();
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "b"; }));
  EXPECT_TRUE(Connects(port_));
  Json comp = Status("Component", "a-server");
  EXPECT_EQ(comp.value("presenceState", ""), "Instantiated");
  EXPECT_EQ(comp.value("haState", ""), "Active");
  EXPECT_GT(comp.value("pid", 0), 0);
  EXPECT_FALSE(comp.value("startTime", "").empty());
  Json standby = Status("Component", "b-server");
  EXPECT_EQ(standby.value("presenceState", ""), "Uninstantiated");
  EXPECT_EQ(standby.value("haState", ""), "Standby");
  Json unit = Status("ServiceUnit", "a");
  EXPECT_EQ(unit.value("readinessState", ""), "InService");
  EXPECT_EQ(unit.value("operState", ""), "Enabled");
  EXPECT_FALSE(unit.value("inServiceSince", "").empty());
  EXPECT_EQ(unit["haStates"], Json::parse(R"([{"serviceInstance":"si","haState":"Active"}])"));
  Json node = Status("Node", "n1");
  EXPECT_EQ(node["conditions"][0]["type"], "Ready");
  EXPECT_EQ(node["conditions"][0]["status"], "True");
  EXPECT_FALSE(node["agent"].value("lastHeartbeat", "").empty());
}

TEST_F(NodeAgentTest, KilledActiveExecFailsOverToTheStandbyUnit) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  ASSERT_TRUE(WaitActiveOn("a"));
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "b"; }));
  const int64_t pid = Pid("a-server");
  const Steady::time_point killed = Steady::now();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return Status("ServiceUnit", "a").value("operState", "") == "Disabled"; }));
  const Steady::time_point reported = Steady::now();
  ASSERT_TRUE(WaitFor([&] { return Connects(port_); }));
  const Steady::time_point serving = Steady::now();
  ASSERT_TRUE(WaitActiveOn("b"));
  const Steady::time_point confirmed = Steady::now();
  std::cout << "exec failover: unit disabled " << Ms(reported - killed) << " ms, serving again "
            << Ms(serving - killed) << " ms, active confirmed on b " << Ms(confirmed - killed)
            << " ms after kill -9\n";
  EXPECT_LT(confirmed - killed, milliseconds(3000));
  Json failure = Status("ServiceUnit", "a")["lastFailure"];
  EXPECT_EQ(failure.value("reason", ""), "a-server: ProcessExited: process killed by SIGKILL");
  // Auto-repair: a comes back in service and takes the standby role.
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "a"; }));
  EXPECT_EQ(Status("ServiceUnit", "a").value("operState", ""), "Enabled");
}

}  // namespace
}  // namespace vigil::agent::testing
