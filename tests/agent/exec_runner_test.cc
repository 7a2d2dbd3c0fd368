#include "agent/exec_runner.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/agent/runner_harness.h"

namespace vigil::agent {
namespace {

using api::HaState;
using api::PresenceState;
using testing::Csi;
using testing::ReadFile;
using testing::Steady;

// A free TCP port on 127.0.0.1 (bound, read, released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

// Listens on $PORT after $DELAY seconds; with HANG=1 it never accepts
// again after the first health check.
constexpr char kListener[] =
    "use IO::Socket::INET; select(undef, undef, undef, $ENV{DELAY} || 0);"
    "my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT},"
    " Listen => 1, ReuseAddr => 1) or die \"listen: $!\\n\";"
    "while (my $c = $s->accept) { close $c; sleep 1000 if $ENV{HANG}; }";

constexpr char kIgnoresTerm[] = "trap '' TERM; echo trapped; while :; do sleep 0.01; done";

class ExecRunnerTest : public testing::RunnerHarness {
 protected:
  void WaitLog(const std::string& text) {
    for (int i = 0; i < 1000 && ReadFile(dir_ + "/logs/comp.log") != text; ++i) usleep(2000);
    ASSERT_EQ(ReadFile(dir_ + "/logs/comp.log"), text);
  }
  api::ExecSpec Spec(std::vector<std::string> argv) {
    api::ExecSpec spec;
    spec.instantiate = std::move(argv);
    spec.instantiate_timeout = Millis(2000);
    spec.terminate_timeout = Millis(500);
    spec.cleanup_timeout = Millis(500);
    spec.instantiation = {.attempts = 2, .delay = Millis(20)};
    return spec;
  }
  api::ExecHealthCheck TcpCheck(int port) {
    api::ExecHealthCheck check;
    check.kind = api::ExecHealthCheck::Kind::kTcp;
    check.host = "127.0.0.1";
    check.port = port;
    check.period = Millis(50);
    check.timeout = Millis(50);
    check.failure_threshold = 2;
    return check;
  }
  void Make(api::ExecSpec spec) {
    Add([&] {
      return std::make_unique<ExecRunner>(Context(), ComponentIdentity{"comp", "su", "n1"}, spec,
                                          Callbacks());
    });
  }
  void Assign(std::vector<CsiAssignment> csis) {
    OnLoop([&](ComponentRunner& r) { r.SetAssignments(csis); });
  }
  pid_t WaitRunning() {
    EXPECT_TRUE(
        WaitState([](const RunnerState& s) { return s.presence == PresenceState::kInstantiated; }));
    Track(Last().pid);
    return Last().pid;
  }
};

TEST_F(ExecRunnerTest, StartsWhenActiveWithCsiEnvironmentAndStopsWhenStandby) {
  const std::string out = dir_ + "/env";
  api::ExecSpec spec = Spec(
      {"/bin/sh", "-c",
       "echo \"$VIGIL_HA_STATE $VIGIL_CSI_NAME $PORT $GREETING $1\" > " + out + "; exec sleep 30",
       "sh", "$(PORT)"});
  spec.env = {{"GREETING", "port-$(PORT)"}};
  Make(spec);
  Assign({Csi("si1", HaState::kStandby, {{"PORT", "7"}})});
  EXPECT_TRUE(ReachedOnLoop("si1", HaState::kStandby));
  EXPECT_EQ(Last().presence, PresenceState::kUninstantiated);
  Assign({Csi("si1", HaState::kActive, {{"PORT", "7"}})});
  pid_t pid = WaitRunning();
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(ReachedOnLoop("si1", HaState::kActive));
  EXPECT_EQ(Last().ha_state, HaState::kActive);
  for (int i = 0; i < 500 && ReadFile(out).empty(); ++i) usleep(2000);
  EXPECT_EQ(ReadFile(out), "Active si1-csi 7 port-7 7\n");
  Assign({Csi("si1", HaState::kQuiesced, {{"PORT", "7"}})});
  ASSERT_TRUE(WaitState([](const RunnerState& s) {
    return s.presence == PresenceState::kUninstantiated && s.pid == 0;
  }));
  EXPECT_TRUE(ReachedOnLoop("si1", HaState::kQuiesced));
  EXPECT_EQ(Last().ha_state, HaState::kQuiesced);
  EXPECT_TRUE(Last().ready);
  EXPECT_NE(kill(pid, 0), 0);  // gone and reaped
}

TEST_F(ExecRunnerTest, StandbysOfOtherSisStayReachedWhileItRunsForAnActiveOne) {
  Make(Spec({"/bin/sleep", "30"}));
  Assign({Csi("si1", HaState::kStandby), Csi("si2", HaState::kStandby)});
  ASSERT_TRUE(ReachedOnLoop("si2", HaState::kStandby));
  // si1 is promoted first (a failover SI by SI): the process starts for it.
  Assign({Csi("si1", HaState::kActive), Csi("si2", HaState::kStandby)});
  WaitRunning();
  ASSERT_TRUE(ReachedOnLoop("si1", HaState::kActive));
  EXPECT_TRUE(ReachedOnLoop("si2", HaState::kStandby));
  EXPECT_FALSE(ReachedOnLoop("si1", HaState::kStandby));  // it serves si1
}

TEST_F(ExecRunnerTest, MissingCommandRetriesThenInstantiationFailed) {
  Make(Spec({"/no/such/server"}));
  const Steady::time_point start = Steady::now();
  Assign({Csi("si1", HaState::kActive)});
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_GE(Steady::now() - start, Millis(20));  // one delay between attempts
  RunnerState state = Last();
  EXPECT_EQ(state.presence, PresenceState::kInstantiationFailed);
  EXPECT_FALSE(state.ready);
  EXPECT_EQ(state.reason, "CommandNotFound");
  EXPECT_NE(state.message.find("attempt 2 of 2"), std::string::npos) << state.message;
  EXPECT_NE(state.last_failure.reason.find("/no/such/server"), std::string::npos);
  EXPECT_EQ(state.last_failure.source, "comp");
  EXPECT_FALSE(ReachedOnLoop("si1", HaState::kActive));
  EXPECT_EQ(failures_.size(), 1u);
}

TEST_F(ExecRunnerTest, ExitAtStartIsAFailedAttempt) {
  Make(Spec({"/bin/sh", "-c", "echo starting; exit 4"}));
  Assign({Csi("si1", HaState::kActive)});
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(Last().reason, "ExitedAtStart");
  EXPECT_NE(Last().message.find("exited with code 4"), std::string::npos);
  EXPECT_EQ(ReadFile(dir_ + "/logs/comp.log"), "starting\nstarting\n");
}

TEST_F(ExecRunnerTest, HealthCheckGatesInstantiationAndTimesOut) {
  const int port = FreePort();
  api::ExecSpec spec = Spec({"perl", "-e", kListener});
  spec.env = {{"PORT", std::to_string(port)}, {"DELAY", "0.2"}};
  spec.health_check = TcpCheck(port);
  Make(spec);
  const Steady::time_point start = Steady::now();
  Assign({Csi("si1", HaState::kActive)});
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.pid != 0; }));
  EXPECT_EQ(Last().presence, PresenceState::kInstantiating);
  WaitRunning();
  EXPECT_GE(Steady::now() - start, Millis(200));
  EXPECT_LT(Steady::now() - start, Millis(1000));
}

TEST_F(ExecRunnerTest, NeverReadyIsAnInstantiateTimeout) {
  api::ExecSpec spec = Spec({"sleep", "30"});
  spec.health_check = TcpCheck(FreePort());
  spec.instantiate_timeout = Millis(150);
  spec.instantiation.attempts = 1;
  Make(spec);
  const Steady::time_point start = Steady::now();
  Assign({Csi("si1", HaState::kActive)});
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_GE(failure_times_[0] - start, Millis(150));
  EXPECT_LT(failure_times_[0] - start, Millis(700));
  EXPECT_EQ(Last().reason, "InstantiateTimeout");
  EXPECT_EQ(Last().presence, PresenceState::kInstantiationFailed);
}

TEST_F(ExecRunnerTest, KilledProcessIsReportedAtOnceAndRestarted) {
  Make(Spec({"sleep", "30"}));
  on_failure_ = [this](const api::Failure&) { runners_[0]->Restart(); };
  Assign({Csi("si1", HaState::kActive)});
  pid_t pid = WaitRunning();
  const Steady::time_point killed = Steady::now();
  kill(pid, SIGKILL);
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_LT(failure_times_[0] - killed, Millis(20));
  EXPECT_EQ(failures_[0].reason, "ProcessExited: process killed by SIGKILL");
  ASSERT_TRUE(WaitState([&](const RunnerState& s) {
    return s.presence == PresenceState::kInstantiated && s.pid != pid;
  }));
  Track(Last().pid);
  EXPECT_EQ(Last().restart_count, 1);
  EXPECT_FALSE(Last().failed);
}

TEST_F(ExecRunnerTest, HungProcessFailsItsHealthCheck) {
  const int port = FreePort();
  api::ExecSpec spec = Spec({"perl", "-e", kListener});
  spec.env = {{"PORT", std::to_string(port)}, {"HANG", "1"}};
  spec.health_check = TcpCheck(port);  // backlog 1: a hung server stops accepting
  Make(spec);
  Assign({Csi("si1", HaState::kActive)});
  WaitRunning();
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(failures_[0].reason.rfind("Unhealthy: health check failed 2 times", 0), 0u)
      << failures_[0].reason;
  ASSERT_TRUE(WaitState([](const RunnerState& s) { return s.pid == 0; }));
  EXPECT_TRUE(Last().failed);
}

TEST_F(ExecRunnerTest, IgnoredSigtermEscalatesToSigkillAfterTimeouts) {
  Make(Spec({"/bin/sh", "-c", kIgnoresTerm}));
  Assign({Csi("si1", HaState::kActive)});
  WaitRunning();
  WaitLog("trapped\n");
  const Steady::time_point start = Steady::now();
  Assign({});
  ASSERT_TRUE(
      WaitState([](const RunnerState& s) { return s.presence == PresenceState::kUninstantiated; }));
  // terminate (500ms) then cleanup (500ms) before SIGKILL.
  EXPECT_GE(Steady::now() - start, Millis(1000));
  EXPECT_LT(Steady::now() - start, Millis(2000));
  EXPECT_TRUE(failures_.empty());
}

TEST_F(ExecRunnerTest, TerminateCommandStopsTheProcess) {
  api::ExecSpec spec = Spec({"/bin/sh", "-c", kIgnoresTerm});
  spec.terminate = {"/bin/sh", "-c", "kill -KILL $VIGIL_PID"};
  Make(spec);
  Assign({Csi("si1", HaState::kActive)});
  WaitRunning();
  WaitLog("trapped\n");
  const Steady::time_point start = Steady::now();
  Assign({});
  ASSERT_TRUE(
      WaitState([](const RunnerState& s) { return s.presence == PresenceState::kUninstantiated; }));
  EXPECT_LT(Steady::now() - start, Millis(400));
}

TEST_F(ExecRunnerTest, AdoptsARunningProcessAndReportsADeadOne) {
  Make(Spec({"sleep", "30"}));
  Assign({Csi("si1", HaState::kActive)});
  pid_t pid = WaitRunning();
  AdoptionRecord record;
  OnLoop([&](ComponentRunner& r) {
    record = {.pid = r.state().pid,
              .start_ticks = r.state().start_ticks,
              .start_time = r.state().start_time,
              .csis = r.RunningCsis(),
              .token = ""};
    r.Detach();
  });
  Make(Spec({"sleep", "30"}));
  OnLoop(
      [&](ComponentRunner& r) {
        r.Adopt(record);
        r.SetAssignments({Csi("si1", HaState::kActive)});
      },
      1);
  ASSERT_TRUE(WaitState([&](const RunnerState& s) {
    return s.presence == PresenceState::kInstantiated && s.pid == pid;
  }));
  EXPECT_TRUE(ReachedOnLoop("si1", HaState::kActive, 1));
  kill(pid, SIGKILL);
  ASSERT_TRUE(WaitFailures(1));
  EXPECT_EQ(failures_[0].reason, "ProcessExited: process exited");
  Make(Spec({"sleep", "30"}));
  OnLoop([&](ComponentRunner& r) { r.Adopt(record); }, 2);
  ASSERT_TRUE(WaitFailures(2));
  EXPECT_NE(failures_[1].reason.find("while the agent was away"), std::string::npos);
}

}  // namespace
}  // namespace vigil::agent
