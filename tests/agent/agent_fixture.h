// AgentFixture: a real Registry on a RocksDbStore in a temp dir, the real
// AssignmentController and real NodeAgents running real processes; helpers
// to build a 2N service of exec components serving HTTP on a TCP port, and
// to wait for conditions on stored objects.
#ifndef VIGIL_TESTS_AGENT_AGENT_FIXTURE_H_
#define VIGIL_TESTS_AGENT_AGENT_FIXTURE_H_

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/adoption_store.h"
#include "agent/node_agent.h"
#include "api/assignments.h"
#include "controllers/assignment_controller.h"
#include "server/registry.h"
#include "store/store.h"

namespace vigil::agent::testing {

using api::Json;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// A small HTTP server (perl-base is on every Debian system) on $PORT that
// answers "$GREETING"; it exists only while its component is active.
inline constexpr char kHttpServer[] =
    "use IO::Socket::INET; $SIG{TERM} = sub { exit 0 };"
    "my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT},"
    " Listen => 64, ReuseAddr => 1) or die \"cannot listen on $ENV{PORT}: $!\\n\";"
    "while (my $c = $s->accept) { while (my $l = <$c>) { last if $l =~ /^\\r?\\n$/ }"
    " print $c \"HTTP/1.0 200 OK\\r\\n\\r\\n$ENV{GREETING}\\n\"; close $c; }";

inline int FreePort() {
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

inline bool Connects(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), '?' if gone.
inline char ProcessState(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

inline double Ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

class AgentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-agent-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::OpenRocksDbStore(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ =
        std::make_unique<server::Registry>(std::shared_ptr<store::Store>(std::move(*store)));
    registry_->SetAuditSink([](const std::string&) {});
    port_ = FreePort();
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const std::string& line : Logs()) std::cerr << "  log: " << line << "\n";
      for (const std::string kind : {"Node", "ServiceUnit", "Component", "ServiceInstance"}) {
        client::ObjectList list = registry_->List(kind).value_or(client::ObjectList{});
        for (const Json& obj : list.items) {
          std::cerr << "  " << kind << "/" << api::NameOf(obj) << ": "
                    << obj.value("status", Json()).dump() << "\n";
        }
      }
    }
    for (auto& [node, agent] : agents_) agent->StopAllComponents(milliseconds(3000));
    agents_.clear();
    controller_.reset();
    KillRecordedProcesses();
    registry_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void StartController() {
    controllers::AssignmentControllerOptions options;
    options.log = [this](const std::string& line) { AddLog("controller: " + line); };
    options.sync_timeout = std::chrono::seconds(10);
    controller_ = std::make_unique<controllers::AssignmentController>(registry_.get(), options);
    ASSERT_TRUE(controller_->Start().ok());
  }
  NodeAgentOptions AgentOptions(const std::string& node) {
    NodeAgentOptions options;
    options.node = node;
    options.data_dir = dir_ + "/" + node;
    options.heartbeat_interval = milliseconds(500);
    options.log = [this, node](const std::string& line) { AddLog(node + ": " + line); };
    return options;
  }
  void StartAgent(const std::string& node) { StartAgent(AgentOptions(node)); }
  void StartAgent(NodeAgentOptions options) {
    auto agent = std::make_unique<NodeAgent>(registry_.get(), options);
    absl::Status started = agent->Start();
    ASSERT_TRUE(started.ok()) << started;
    agents_[options.node] = std::move(agent);
  }
  // Stops an agent, leaving its components running.
  void StopAgent(const std::string& node) { agents_.erase(node); }

  void Create(const Json& obj) {
    absl::StatusOr<Json> created = registry_->Create(obj);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  Json Get(const std::string& kind, const std::string& name) {
    return registry_->Get(kind, name).value_or(Json::object());
  }
  Json Status(const std::string& kind, const std::string& name) {
    return Get(kind, name).value("status", Json::object());
  }
  // Polls the in-process store (cheap) until `done` holds.
  bool WaitFor(const std::function<bool()>& done, milliseconds timeout = milliseconds(10000)) {
    const Steady::time_point deadline = Steady::now() + timeout;
    while (!done()) {
      if (Steady::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

  static Json Obj(const std::string& kind, const std::string& name, Json spec) {
    return {{"apiVersion", "vigil.io/v1"},
            {"kind", kind},
            {"metadata", {{"name", name}}},
            {"spec", std::move(spec)}};
  }
  // A 2N group "g" of units a (rank 1) and b (rank 2) on `node`, one exec
  // HTTP component per unit, one SI "si" whose CSI carries PORT.
  // `a_extra` is merged into unit a's exec spec only.
  void CreateTwoN(const std::string& node, const std::string& recovery,
                  Json group_recovery = Json::object(), Json exec_extra = Json::object(),
                  Json a_extra = Json::object()) {
    Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}, {"recovery", group_recovery}}));
    for (const std::string unit : {"a", "b"}) {
      Create(Obj("ServiceUnit", unit,
                 {{"serviceGroup", "g"}, {"node", node}, {"rank", unit == "a" ? 1 : 2}}));
      Json exec = {{"instantiate", {"perl", "-e", kHttpServer}},
                   {"env", {{"GREETING", "hello from " + unit}}},
                   {"timeouts", {{"instantiate", "5s"}, {"terminate", "1s"}, {"cleanup", "500ms"}}},
                   {"instantiation", {{"attempts", 2}, {"delay", "100ms"}}},
                   {"healthCheck",
                    {{"http", {{"port", port_}}},
                     {"period", "100ms"},
                     {"timeout", "100ms"},
                     {"failureThreshold", 3}}}};
      exec.update(exec_extra);
      if (unit == "a") exec.update(a_extra);
      Create(Obj(
          "Component", unit + "-server",
          {{"serviceUnit", unit}, {"csTypes", {"http"}}, {"recovery", recovery}, {"exec", exec}}));
    }
    Create(Obj("ServiceInstance", "si",
               {{"serviceGroup", "g"},
                {"csis",
                 {{{"name", "http"},
                   {"csType", "http"},
                   {"attributes", {{"PORT", std::to_string(port_)}}}}}}}));
  }
  // The unit holding `si` in `ha_state`, confirmed, or "".
  std::string ConfirmedUnit(const std::string& si, const std::string& ha_state) {
    return api::ConfirmedUnitOf(Get("ServiceInstance", si), ha_state);
  }
  // status.lastFailure.reason, or "".
  std::string FailureReason(const std::string& kind, const std::string& name) {
    Json failure = Status(kind, name).value("lastFailure", Json::object());
    return failure.is_object() ? failure.value("reason", "") : "";
  }
  int64_t Pid(const std::string& component) {
    return Status("Component", component).value("pid", int64_t{0});
  }
  bool WaitActiveOn(const std::string& unit, milliseconds timeout = milliseconds(10000)) {
    return WaitFor([&] { return ConfirmedUnit("si", "Active") == unit; }, timeout);
  }
  std::vector<std::string> Logs() {
    std::lock_guard lock(mu_);
    return logs_;
  }
  void AddLog(const std::string& line) {
    std::lock_guard lock(mu_);
    logs_.push_back(line);
  }
  // Kills what any agent recorded (agents stopped without stopping them).
  void KillRecordedProcesses() {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      if (entry.path().extension() != ".json") continue;
      auto records = LoadAdoptionRecords(entry.path().string());
      if (!records.ok()) continue;
      for (const auto& [name, record] : *records) kill(-record.pid, SIGKILL);
    }
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<server::Registry> registry_;
  std::unique_ptr<controllers::AssignmentController> controller_;
  std::map<std::string, std::unique_ptr<NodeAgent>> agents_;
  std::mutex mu_;
  std::vector<std::string> logs_;
};

}  // namespace vigil::agent::testing

#endif  // VIGIL_TESTS_AGENT_AGENT_FIXTURE_H_
