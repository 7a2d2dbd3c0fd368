// End-to-end tests of saAware components: this test binary is also the
// component (run with VIGIL_AGENT_TEST_ROLE=sa-component, it becomes the
// example service of examples/sa-aware, or a misbehaving variant of it).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "examples/sa-aware/example_service.h"
#include "tests/agent/agent_fixture.h"

namespace vigil::agent::testing {
namespace {

// A component that misbehaves as VIGIL_TEST_SA_MODE says: "never-confirm"
// (registers, never confirms), "silent" (no heartbeats), "error" (reports
// an error recommending ComponentFailover after its first assignment).
int RunMisbehaving(const std::string& mode) {
  std::string error;
  saf::Options options;
  options.auto_heartbeat = mode != "silent";
  auto session = saf::Session::Register(options, &error);
  if (session == nullptr) return 1;
  while (!session->closed()) {
    std::optional<saf::Event> event = session->Next(std::chrono::milliseconds(200));
    if (!event || mode == "never-confirm") continue;
    if (event->type == saf::Event::Type::kTerminate) return 0;
    session->Confirm(event->seq);
    if (mode == "error") {
      session->ReportError("ComponentFailover", "lost its backend");
    }
  }
  return 0;
}

// Runs before main(): when started as a component, be one and exit.
[[maybe_unused]] const bool kComponentRole = [] {
  const char* role = std::getenv("VIGIL_AGENT_TEST_ROLE");
  if (role == nullptr || std::string(role) != "sa-component") return false;
  const char* mode = std::getenv("VIGIL_TEST_SA_MODE");
  const std::string how = mode != nullptr ? mode : "example";
  if (how == "example") {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    static saf::example::ExampleService service;
    std::thread([set] {
      int sig = 0;
      sigwait(&set, &sig);
      service.Stop();
    }).detach();
    _exit(service.Run());
  }
  _exit(RunMisbehaving(how));
}();

std::string SelfPath() {
  char path[4096] = {};
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "";
}

class SaAwareTest : public AgentFixture {
 protected:
  void CreateSaTwoN(const std::string& mode_a, const std::string& mode_b,
                    const std::string& recovery = "ComponentFailover") {
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}}));
    for (const std::string unit : {"a", "b"}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", "n1"}, {"rank", unit == "a" ? 1 : 2}}));
      const std::string& mode = unit == "a" ? mode_a : mode_b;
      Json sa = {
          {"command", {SelfPath()}},
          {"env",
           {{"VIGIL_AGENT_TEST_ROLE", "sa-component"},
            {"VIGIL_TEST_SA_MODE", mode}}},
          {"timeouts",
           {{"instantiate", "5s"}, {"csiSet", "300ms"}, {"terminate", "1s"}, {"cleanup", "500ms"}}},
          // A short heartbeat window only where missing it is the point:
          // on a loaded machine a 100 ms window is missed by healthy ones.
          {"healthCheck",
           mode == "silent" ? Json{{"period", "50ms"}, {"maxDuration", "50ms"}}
                            : Json{{"period", "100ms"}, {"maxDuration", "400ms"}}}};
      Create(Obj(
          "Component", unit + "-svc",
          {{"serviceUnit", unit}, {"csTypes", {"svc"}}, {"recovery", recovery}, {"saAware", sa}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"},
                {"csis",
                 {{{"name", "svc"},
                   {"csType", "svc"},
                   {"attributes", {{"PORT", std::to_string(port_)}}}}}}}));
  }
  // Waits for one unit active and the other standby, both confirmed, and
  // returns the active one. (Which one is active first depends on which
  // unit came into service first.)
  std::string WaitBothUp() {
    std::string active;
    WaitFor([&] {
      active = ConfirmedUnit("si", "Active");
      const std::string standby = ConfirmedUnit("si", "Standby");
      return !active.empty() && !standby.empty() &&
             Status("Component", active + "-svc").value("haState", "") == "Active" &&
             Status("Component", standby + "-svc").value("haState", "") == "Standby";
    });
    return active;
  }
  static std::string Other(const std::string& unit) { return unit == "a" ? "b" : "a"; }
};

TEST_F(SaAwareTest, BothUnitsArePreinstantiatedAndOnlyTheActiveServes) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("example", "example");
  const std::string active = WaitBothUp();
  ASSERT_FALSE(active.empty()) << Status("ServiceInstance", "si").dump();
  EXPECT_TRUE(Connects(port_));
  for (const std::string unit : {"a", "b"}) {
    Json comp = Status("Component", unit + "-svc");
    EXPECT_EQ(comp.value("presenceState", ""), "Instantiated") << unit;
    EXPECT_GT(comp.value("pid", 0), 0) << unit;
  }
}

TEST_F(SaAwareTest, KilledActiveIsReplacedByThePromotedStandby) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("example", "example");
  const std::string active = WaitBothUp();
  ASSERT_FALSE(active.empty());
  const std::string standby = Other(active);
  const int64_t standby_pid = Pid(standby + "-svc");
  const int64_t active_pid = Pid(active + "-svc");
  const Steady::time_point killed = Steady::now();
  ASSERT_EQ(kill(static_cast<pid_t>(active_pid), SIGKILL), 0);
  // Its sockets close only once it is dead (reaped by the agent, or a zombie).
  ASSERT_TRUE(
      WaitFor([&] { return ProcessState(active_pid) == 'Z' || ProcessState(active_pid) == '?'; }));
  ASSERT_TRUE(WaitFor([&] { return Connects(port_); }));
  const Steady::time_point serving = Steady::now();
  ASSERT_TRUE(WaitActiveOn(standby));
  const Steady::time_point confirmed = Steady::now();
  std::cout << "saAware failover: serving again " << Ms(serving - killed)
            << " ms, active confirmed on the standby " << Ms(confirmed - killed)
            << " ms after kill -9\n";
  EXPECT_EQ(Pid(standby + "-svc"), standby_pid);  // promoted in place, not restarted
  // The failed unit is repaired (re-instantiated) and becomes the standby.
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("si", "Standby") == active; }));
}

TEST_F(SaAwareTest, ComponentThatNeverConfirmsFailsAndTheOtherUnitTakesOver) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("never-confirm", "example");
  ASSERT_TRUE(WaitFor([&] {
    return FailureReason("Component", "a-svc").find("CsiSetTimeout") != std::string::npos;
  })) << Status("Component", "a-svc").dump();
  ASSERT_TRUE(WaitActiveOn("b"));
  EXPECT_TRUE(Connects(port_));
}

TEST_F(SaAwareTest, MissedHeartbeatsAreAFailureWithinPeriodPlusMaxDuration) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("silent", "example");
  ASSERT_TRUE(WaitFor([&] {
    return FailureReason("Component", "a-svc").find("HeartbeatMissed: no heartbeat for 100ms") !=
           std::string::npos;
  })) << Status("Component", "a-svc").dump();
  ASSERT_TRUE(WaitActiveOn("b"));
}

TEST_F(SaAwareTest, ErrorReportWithRecommendedFailoverFailsOver) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("error", "example", "ComponentRestart");
  ASSERT_TRUE(WaitFor([&] {
    return FailureReason("ServiceUnit", "a").find("lost its backend") != std::string::npos;
  })) << Status("ServiceUnit", "a").dump();
  ASSERT_TRUE(WaitActiveOn("b"));
}

TEST_F(SaAwareTest, RestartedAgentAdoptsAndTheComponentsRegisterAgain) {
  StartController();
  StartAgent("n1");
  CreateSaTwoN("example", "example");
  const std::string active = WaitBothUp();
  ASSERT_FALSE(active.empty());
  const int64_t a = Pid("a-svc"), b = Pid("b-svc");
  StopAgent("n1");
  StartAgent("n1");
  auto registered = [&](const std::string& name) {
    Json conditions = Status("Component", name).value("conditions", Json::array());
    return !conditions.empty() && conditions[0].value("reason", "") == "Registered";
  };
  // The adopted components register again with the new agent, and the
  // active assignment stays confirmed throughout (the states sent to them
  // again are ones they already hold).
  int unconfirmed_polls = 0;
  auto confirmed_throughout = [&] {
    unconfirmed_polls += ConfirmedUnit("si", "Active") != active;
    return false;
  };
  ASSERT_TRUE(WaitFor([&] {
    confirmed_throughout();
    return registered("a-svc") && registered("b-svc");
  }));
  WaitFor(confirmed_throughout, milliseconds(500));
  EXPECT_EQ(unconfirmed_polls, 0);
  EXPECT_EQ(Pid("a-svc"), a);
  EXPECT_EQ(Pid("b-svc"), b);
  EXPECT_TRUE(Connects(port_));
  ASSERT_EQ(kill(static_cast<pid_t>(Pid(active + "-svc")), SIGKILL), 0);
  ASSERT_TRUE(WaitActiveOn(Other(active)));
}

}  // namespace
}  // namespace vigil::agent::testing
