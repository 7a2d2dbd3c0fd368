// End-to-end: real Registry + RocksDB store, the real AssignmentController,
// real NodeAgents and real processes.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <tuple>

#include "agent/process.h"
#include "gmock/gmock.h"
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
  // Unit and component statuses are separate writes; a unit's confirmation
  // goes first.
  EXPECT_TRUE(WaitFor([&] {
    return Status("Component", "a-server").value("haState", "") == "Active" &&
           Status("Component", "b-server").value("haState", "") == "Standby";
  }));
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
  ASSERT_TRUE(
      WaitFor([&] { return Status("ServiceUnit", "a").value("operState", "") == "Disabled"; }));
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

TEST_F(NodeAgentTest, RestartsInPlaceUpToComponentRestartMaxThenFailsOver) {
  StartController();
  StartAgent("n1");
  CreateTwoN(
      "n1", "ComponentRestart",
      {{"componentRestartMax", 2}, {"componentRestartProbation", "60s"}, {"unitRestartMax", 0}});
  ASSERT_TRUE(WaitActiveOn("a"));
  for (int restart = 1; restart <= 2; ++restart) {
    const int64_t pid = Pid("a-server");
    ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
    ASSERT_TRUE(WaitFor([&] {
      Json comp = Status("Component", "a-server");
      return comp.value("restartCount", 0) == restart && comp.value("pid", int64_t{0}) != pid &&
             comp.value("presenceState", "") == "Instantiated";
    })) << Status("Component", "a-server").dump();
    ASSERT_TRUE(WaitActiveOn("a"));  // restarted in place, kept its assignment
    EXPECT_EQ(Status("ServiceUnit", "a").value("restartCount", 0), restart);
  }
  ASSERT_TRUE(WaitFor([&] { return Connects(port_); }));
  ASSERT_EQ(kill(static_cast<pid_t>(Pid("a-server")), SIGKILL), 0);
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_EQ(Status("Component", "a-server").value("restartCount", 0), 2);
}

TEST_F(NodeAgentTest, HungComponentIsDetectedWithinPeriodTimesThreshold) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  ASSERT_TRUE(WaitActiveOn("a"));
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "b"; }));
  const int64_t pid = Pid("a-server");
  const Steady::time_point stopped = Steady::now();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGSTOP), 0);  // alive, but answers nothing
  ASSERT_TRUE(WaitFor(
      [&] { return Status("Component", "a-server").value("operState", "") == "Disabled"; }));
  const Steady::time_point detected = Steady::now();
  std::cout << "hung component detected after " << Ms(detected - stopped)
            << " ms (period 100ms x threshold 3, timeout 100ms)\n";
  EXPECT_LE(detected - stopped, milliseconds(100 * 3 + 100 + 50));
  EXPECT_NE(Status("Component", "a-server")["lastFailure"].value("reason", "").find("Unhealthy"),
            std::string::npos);
  // A stopped process ignores SIGTERM: cleanup ends with SIGKILL after 500ms;
  // only then is the unit failed over, so b never runs beside it.
  ASSERT_TRUE(
      WaitFor([&] { return Status("ServiceUnit", "a").value("operState", "") == "Disabled"; }));
  EXPECT_NE(kill(static_cast<pid_t>(pid), 0), 0);
  EXPECT_GE(Steady::now() - detected, milliseconds(450));
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_EQ(Status("ServiceUnit", "b").value("lastFailure", Json::object()), Json::object());
}

TEST_F(NodeAgentTest, CommandThatNeverBecomesReadyTimesOutAndFailsOver) {
  StartController();
  StartAgent("n1");
  // a listens nowhere: its health check never passes.
  CreateTwoN("n1", "ComponentRestart", Json::object(),
             {{"timeouts", {{"instantiate", "300ms"}, {"cleanup", "200ms"}}}},
             {{"instantiate", {"sleep", "30"}}});
  ASSERT_TRUE(WaitActiveOn("b", milliseconds(15000)));
  // InstantiationFailed until the failed unit is repaired.
  EXPECT_TRUE(WaitFor([&] {
    return Status("Component", "a-server").value("presenceState", "") == "Uninstantiated";
  })) << Status("Component", "a-server").dump();
  Json comp = Status("Component", "a-server");
  EXPECT_NE(comp["lastFailure"].value("reason", "").find("InstantiateTimeout"), std::string::npos)
      << comp.dump();
  EXPECT_TRUE(Connects(port_));
}

TEST_F(NodeAgentTest, MissingCommandGetsAClearConditionAndDoesNotBlockTheOtherUnit) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentRestart", Json::object(), Json::object(),
             {{"instantiate", {"/no/such/server"}}});
  ASSERT_TRUE(WaitActiveOn("b"));
  ASSERT_TRUE(WaitFor([&] {
    Json c = Status("Component", "a-server").value("conditions", Json::array());
    return !c.empty() && c[0].value("reason", "") == "CommandNotFound";
  })) << Status("Component", "a-server").dump();
  Json condition = Status("Component", "a-server")["conditions"][0];
  EXPECT_EQ(condition.value("status", ""), "False");
  EXPECT_NE(condition.value("message", "").find("/no/such/server"), std::string::npos);
  EXPECT_TRUE(Connects(port_));
}

TEST_F(NodeAgentTest, RestartedAgentAdoptsRunningComponents) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentRestart", {{"componentRestartMax", 1}, {"unitRestartMax", 0}});
  ASSERT_TRUE(WaitActiveOn("a"));
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "b"; }));
  // One restart first: the count survives the agent's restart too.
  const int64_t first = Pid("a-server");
  ASSERT_EQ(kill(static_cast<pid_t>(first), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] {
    Json comp = Status("Component", "a-server");
    return comp.value("restartCount", 0) == 1 && comp.value("pid", first) != first &&
           comp.value("presenceState", "") == "Instantiated";
  }));
  ASSERT_TRUE(WaitActiveOn("a"));
  const int64_t pid = Pid("a-server");
  const std::string started = Status("Component", "a-server").value("startTime", "");
  StopAgent("n1");
  ASSERT_EQ(kill(static_cast<pid_t>(pid), 0), 0) << "the component outlives its agent";
  StartAgent("n1");
  // Nothing restarts: same PID, same start time, still active and serving.
  EXPECT_EQ(Pid("a-server"), pid);
  EXPECT_EQ(Status("Component", "a-server").value("startTime", ""), started);
  // (The controller may still be taking in the restart's unconfirmed period.)
  EXPECT_TRUE(WaitActiveOn("a"));
  EXPECT_EQ(Pid("a-server"), pid);
  EXPECT_TRUE(Connects(port_));
  EXPECT_EQ(Status("Component", "a-server").value("restartCount", 0), 1);
  // The new agent watches it: a kill is a failure, handled at once (the
  // probation counters are the agent's memory: it restarts in place again).
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] {
    return Status("Component", "a-server").value("restartCount", 0) == 2 && Pid("a-server") != pid;
  }));
}

// An agent that died between starting a process and recording it (here: its
// record file is gone) left a process nothing knows of. The next agent kills
// it before it starts anything, so the SI is never served by two processes.
TEST_F(NodeAgentTest, RestartedAgentKillsTheProcessItsPredecessorDidNotRecord) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  ASSERT_TRUE(WaitActiveOn("a"));
  const int64_t unrecorded = Pid("a-server");
  StopAgent("n1");
  std::filesystem::remove(dir_ + "/n1/agent/n1.json");
  StartAgent("n1");
  auto running = [](int64_t pid) { return ProcessState(pid) == 'S' || ProcessState(pid) == 'R'; };
  EXPECT_TRUE(WaitFor([&] { return !running(unrecorded); })) << ProcessState(unrecorded);
  const std::string killed = "n1: killing process group " + std::to_string(unrecorded) +
                             ": started by an earlier agent that stopped before recording it";
  EXPECT_THAT(Logs(), ::testing::Contains(killed));
  ASSERT_TRUE(WaitFor([&] {
    return Pid("a-server") != unrecorded && running(Pid("a-server")) &&
           !ConfirmedUnit("si", "Active").empty();
  })) << Status("ServiceInstance", "si").dump();
}

TEST_F(NodeAgentTest, ComponentThatDiedWhileTheAgentWasAwayIsAFailure) {
  StartController();
  StartAgent("n1");
  CreateTwoN("n1", "ComponentFailover");
  ASSERT_TRUE(WaitActiveOn("a"));
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == "b"; }));
  const int64_t pid = Pid("a-server");
  StopAgent("n1");
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  // Dead (a zombie of this test process, which is its parent) before the
  // new agent looks.
  ASSERT_TRUE(WaitFor(
      [&] { return ReadStartTicks(static_cast<pid_t>(pid)).ok() && ProcessState(pid) == 'Z'; }));
  StartAgent("n1");
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_NE(Status("ServiceUnit", "a")["lastFailure"]
                .value("reason", "")
                .find("while the agent was away"),
            std::string::npos);
}

// The node rung: with unitFailoverMax 1 on n1, the second unit failover on
// n1 within the probation fails the whole node over — also the unit of the
// other group, which did not fail itself.
TEST_F(NodeAgentTest, UnitFailoversBeyondTheNodesMaxFailTheWholeNodeOver) {
  StartController();
  Create(Obj("Node", "n1", {{"unitFailoverMax", 1}, {"unitFailoverProbation", "10m"}}));
  StartAgent("n1");
  StartAgent("n2");
  for (const std::string g : {"g1", "g2", "g3"}) {
    Create(Obj("ServiceGroup", g, {{"redundancyModel", "2N"}, {"autoRepair", false}}));
    for (const auto& [unit, node, rank] : {std::tuple{g + "-a", "n1", 1}, {g + "-b", "n2", 2}}) {
      Create(Obj("ServiceUnit", unit, {{"serviceGroup", g}, {"node", node}, {"rank", rank}}));
      Create(Obj("Component", unit + "-svc",
                 {{"serviceUnit", unit},
                  {"csTypes", {"svc"}},
                  {"recovery", "UnitFailover"},
                  {"exec", {{"instantiate", {"sleep", "600"}}}}}));
    }
  }
  // The SIs come once every unit is in service, so each starts on its rank-1
  // unit a.
  for (const std::string g : {"g1", "g2", "g3"}) {
    for (const std::string& unit : {g + "-a", g + "-b"}) {
      ASSERT_TRUE(WaitFor([&] {
        return Status("ServiceUnit", unit).value("readinessState", "") == "InService";
      })) << unit;
    }
    Create(Obj("ServiceInstance", g + "-si",
               {{"serviceGroup", g}, {"csis", {{{"name", "svc"}, {"csType", "svc"}}}}}));
  }
  for (const std::string g : {"g1", "g2", "g3"}) {
    ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit(g + "-si", "Active") == g + "-a"; }))
        << Status("ServiceInstance", g + "-si").dump();
    ASSERT_TRUE(WaitFor([&] { return Pid(g + "-a-svc") > 0; }));
  }
  // First unit failover on n1: only g1 moves.
  ASSERT_EQ(kill(static_cast<pid_t>(Pid("g1-a-svc")), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("g1-si", "Active") == "g1-b"; }));
  EXPECT_EQ(ConfirmedUnit("g2-si", "Active"), "g2-a");
  EXPECT_EQ(ConfirmedUnit("g3-si", "Active"), "g3-a");
  // Second: the node fails over; g3's unit on n1 goes too.
  ASSERT_EQ(kill(static_cast<pid_t>(Pid("g2-a-svc")), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] {
    return ConfirmedUnit("g2-si", "Active") == "g2-b" && ConfirmedUnit("g3-si", "Active") == "g3-b";
  })) << Status("ServiceInstance", "g3-si").dump();
  EXPECT_EQ(Status("ServiceUnit", "g3-a").value("operState", ""), "Disabled");
  EXPECT_NE(FailureReason("ServiceUnit", "g3-a").find("node failover: 2 unit failovers on node n1"),
            std::string::npos)
      << FailureReason("ServiceUnit", "g3-a");
}

}  // namespace
}  // namespace vigil::agent::testing
