// End-to-end node failure: a real vigild and two remote node agents
// (`vigild agent`), a 2N service with one unit on each node. The agent of the
// node holding the active is killed, or frozen and resumed; the node's
// Lease expires, the node is marked not Ready and the service is active on
// the other node. A frozen agent that resumes stops its components itself
// (self-fencing) and serves nothing. After each scenario the store's event
// log is replayed to prove that no ServiceInstance ever had two confirmed
// actives at once.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "client/http_client.h"
#include "gtest/gtest.h"
#include "tests/e2e/leftovers.h"
#include "tests/e2e/subprocess.h"

#ifndef VIGIL_BIN_DIR
#error "VIGIL_BIN_DIR must name the build's bin directory (tests/CMakeLists.txt)"
#endif

namespace vigil::e2e {
namespace {

using api::Json;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

const std::string kVigild = std::string(VIGIL_BIN_DIR) + "/vigild";

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

bool ProcessAlive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

Json Obj(const std::string& kind, const std::string& name, Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

class NodeFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-e2e-nodes-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    vigild_ = Subprocess::Start({kVigild, "--data-dir", (dir_ / "server").string(), "--listen",
                                 "127.0.0.1:0", "--node", "control"});
    ASSERT_NE(vigild_, nullptr);
    const std::string marker = "serving on ";
    ASSERT_TRUE(vigild_->WaitForOutput(marker)) << vigild_->Output();
    const std::string out = vigild_->Output();
    const size_t at = out.find(marker) + marker.size();
    url_ = out.substr(at, out.find(' ', at) - at);
    client::HttpClientOptions options;
    options.server = url_;
    http_ = std::make_unique<client::HttpClient>(options);
  }
  void TearDown() override {
    for (auto& [node, agent] : agents_) {
      agent->Signal(SIGCONT);
      agent->Terminate();
    }
    if (vigild_ != nullptr) vigild_->Terminate();
    for (const auto& [node, agent] : agents_) KillRecordedComponents(dir_ / node);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartAgent(const std::string& node) {
    auto agent = Subprocess::Start({kVigild, "agent", "--server", url_, "--node", node,
                                    "--data-dir", (dir_ / node).string()});
    ASSERT_NE(agent, nullptr);
    ASSERT_TRUE(agent->WaitForOutput("node agent for " + node)) << agent->Output();
    agents_[node] = std::move(agent);
  }

  void Create(const Json& obj) {
    absl::StatusOr<Json> created = http_->Create(obj);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  Json Status(const std::string& kind, const std::string& name) {
    absl::StatusOr<Json> obj = http_->Get(kind, name);
    return obj.ok() ? obj->value("status", Json::object()) : Json::object();
  }
  // The unit holding a confirmed `ha_state` assignment of the SI, or "".
  std::string ConfirmedUnit(const std::string& ha_state) {
    for (const Json& a : Status("ServiceInstance", "si").value("assignments", Json::array())) {
      if (a.value("haState", "") == ha_state && a.value("confirmed", false)) {
        return a.value("unit", "");
      }
    }
    return "";
  }
  std::string NodeReady(const std::string& node) {
    for (const Json& c : Status("Node", node).value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "") + "/" + c.value("reason", "");
    }
    return "";
  }
  bool WaitFor(const std::function<bool()>& done, milliseconds timeout = milliseconds(15000)) {
    const Steady::time_point deadline = Steady::now() + timeout;
    while (!done()) {
      if (Steady::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

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

  // Replays every change of every ServiceInstance since revision 1 and
  // returns how many versions had more than one confirmed active.
  int VersionsWithTwoConfirmedActives() {
    client::ListOptions from;
    from.resource_version = 1;
    absl::StatusOr<client::ObjectList> now = http_->List("ServiceInstance");
    EXPECT_TRUE(now.ok()) << now.status();
    if (!now.ok()) return -1;
    absl::StatusOr<std::unique_ptr<client::WatchStream>> watch =
        http_->Watch("ServiceInstance", from);
    EXPECT_TRUE(watch.ok()) << watch.status();
    if (!watch.ok()) return -1;
    int bad = 0;
    for (;;) {
      auto event = (*watch)->Next(milliseconds(2000));
      EXPECT_TRUE(event.ok()) << event.status();
      if (!event.ok() || !event->has_value()) break;
      const Json& obj = (*event)->object;
      int actives = 0;
      for (const Json& a : obj.value("status", Json::object()).value("assignments", Json::array())) {
        actives += a.value("haState", "") == "Active" && a.value("confirmed", false);
      }
      bad += actives > 1;
      if (std::stoll(api::ResourceVersionOf(obj)) >= now->resource_version) break;
    }
    (*watch)->Cancel();
    return bad;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Subprocess> vigild_;
  std::string url_;
  std::unique_ptr<client::HttpClient> http_;
  std::map<std::string, std::unique_ptr<Subprocess>> agents_;
};

TEST_F(NodeFailureTest, KilledAgentsNodeFailsOverWithinASecondOrSo) {
  ASSERT_NO_FATAL_FAILURE(StartServiceActiveOnN1());

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
  EXPECT_NE(agents_["n1"]->Output().find("self-fencing"), std::string::npos)
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
