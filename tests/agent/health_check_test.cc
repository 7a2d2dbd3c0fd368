#include "agent/health_check.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "base/http_listener.h"

namespace vigil::agent {
namespace {

using Steady = std::chrono::steady_clock;

// A listening socket on 127.0.0.1, port 0 (never accepts: the kernel does).
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t length = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// An HTTP server on 127.0.0.1:0 whose /healthz can be made to hang or fail.
class HealthServer {
 public:
  HealthServer() {
    server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      while (hung_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      res.status = failing_.load() ? 503 : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = ListenInBackground(server_);
  }
  ~HealthServer() {
    hung_ = false;
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::atomic<bool> hung_{false};
  std::atomic<bool> failing_{false};

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST(Probe, TcpPassesOnListenerAndFailsWhenClosed) {
  Listener listener;
  auto probe = MakeTcpProbe("127.0.0.1", listener.port());
  EXPECT_TRUE(probe->Check(Millis(200)).ok());
  listener.Close();
  absl::Status status = probe->Check(Millis(200));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status;
}

TEST(Probe, HttpChecksStatusAndTimesOut) {
  HealthServer server;
  auto probe = MakeHttpProbe("http", "127.0.0.1", server.port(), "/healthz");
  EXPECT_TRUE(probe->Check(Millis(500)).ok());
  server.failing_ = true;
  absl::Status status = probe->Check(Millis(500));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_NE(status.message().find("503"), std::string::npos);
  server.failing_ = false;
  server.hung_ = true;
  const Steady::time_point start = Steady::now();
  status = probe->Check(Millis(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_LT(Steady::now() - start, Millis(400));
}

TEST(Probe, ExecUsesExitCodeAndTimeout) {
  std::map<std::string, std::string> env = {{"PATH", "/usr/bin:/bin"}, {"CODE", "0"}};
  EXPECT_TRUE(MakeExecProbe({"/bin/sh", "-c", "exit $CODE"}, env)->Check(Millis(1000)).ok());
  absl::Status status = MakeExecProbe({"false"}, env)->Check(Millis(1000));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  const Steady::time_point start = Steady::now();
  status = MakeExecProbe({"sleep", "5"}, env)->Check(Millis(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_LT(Steady::now() - start, Millis(1000));
}

TEST(Probe, MakeProbeFollowsTheSpec) {
  Listener listener;
  api::ExecHealthCheck spec;
  spec.kind = api::ExecHealthCheck::Kind::kTcp;
  spec.port = listener.port();
  EXPECT_TRUE(MakeProbe(spec, {})->Check(Millis(200)).ok());
  spec.kind = api::ExecHealthCheck::Kind::kExec;
  spec.command = {"/bin/sh", "-c", "test $(WANT) = yes"};
  EXPECT_TRUE(MakeProbe(spec, {{"WANT", "yes"}})->Check(Millis(1000)).ok());
  EXPECT_FALSE(MakeProbe(spec, {{"WANT", "no"}})->Check(Millis(1000)).ok());
}

TEST(HealthChecker, ReportsFirstPassThenAHungServerWithinPeriodTimesThreshold) {
  HealthServer server;
  HealthCheckSettings settings{.period = Millis(50), .timeout = Millis(40), .failure_threshold = 3};
  std::promise<void> passed;
  std::promise<std::pair<Steady::time_point, std::string>> unhealthy;
  HealthChecker checker(MakeHttpProbe("http", "127.0.0.1", server.port(), "/healthz"), settings,
                        {.on_first_pass = [&] { passed.set_value(); },
                         .on_unhealthy =
                             [&](const std::string& why) {
                               unhealthy.set_value({Steady::now(), why});
                             }});
  checker.Start(/*wait_for_pass=*/true);
  ASSERT_EQ(passed.get_future().wait_for(std::chrono::seconds(2)), std::future_status::ready);
  const Steady::time_point hung_at = Steady::now();
  server.hung_ = true;
  auto future = unhealthy.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto [when, why] = future.get();
  // Three probes after the hang starts; the last one times out after 40ms.
  EXPECT_LE(when - hung_at, settings.period * settings.failure_threshold + settings.timeout);
  EXPECT_NE(why.find("3 times"), std::string::npos) << why;
  checker.Stop();
}

TEST(HealthChecker, StartupFailuresDoNotCountAndStopEndsProbing) {
  Listener listener;
  const int port = listener.port();
  listener.Close();
  std::atomic<int> unhealthy{0};
  HealthChecker checker(
      MakeTcpProbe("127.0.0.1", port),
      {.period = Millis(10), .timeout = Millis(10), .failure_threshold = 1},
      {.on_first_pass = [] {}, .on_unhealthy = [&](const std::string&) { ++unhealthy; }});
  checker.Start(/*wait_for_pass=*/true);
  std::this_thread::sleep_for(Millis(60));  // many refused start-up probes
  checker.Stop();
  EXPECT_EQ(unhealthy.load(), 0);
}

}  // namespace
}  // namespace vigil::agent
