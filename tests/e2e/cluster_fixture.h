// ClusterTest: a real vigild on loopback and any number of remote node agents
// (`vigild agent --node NAME`), each with its own data dir, for end-to-end
// tests of several nodes. Every process is ended by PID in TearDown (frozen
// ones are resumed first) and the components the agents recorded are killed.
#ifndef VIGIL_TESTS_E2E_CLUSTER_FIXTURE_H_
#define VIGIL_TESTS_E2E_CLUSTER_FIXTURE_H_

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/http_client.h"
#include "api/assignments.h"
#include "gtest/gtest.h"
#include "tests/e2e/failover_checks.h"
#include "tests/e2e/leftovers.h"
#include "tests/e2e/subprocess.h"

#ifndef VIGIL_BIN_DIR
#error "VIGIL_BIN_DIR must name the build's bin directory (tests/CMakeLists.txt)"
#endif

namespace vigil::e2e {

inline const std::string kVigildBinary = std::string(VIGIL_BIN_DIR) + "/vigild";

inline double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// True while `pid` runs: a zombie (dead, not yet reaped by whoever inherited
// it) does not count.
inline bool ProcessAlive(int64_t pid) {
  if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

// A vigil.io/v1 object of `kind` named `name` with `spec`.
inline api::Json Obj(const std::string& kind, const std::string& name, api::Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

class ClusterTest : public ::testing::Test {
 protected:
  using Json = api::Json;
  using milliseconds = std::chrono::milliseconds;
  using Steady = std::chrono::steady_clock;

  void SetUp() override {
    char pattern[] = "/tmp/vigil-e2e-cluster-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    vigild_ = Subprocess::Start({kVigildBinary, "--data-dir", (dir_ / "server").string(), "--listen",
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

  // Starts `vigild agent` for `node` (extra flags appended) and waits until it
  // says it runs.
  void StartAgent(const std::string& node, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {kVigildBinary, "agent",    "--server", url_, "--node",
                                     node,          "--data-dir", (dir_ / node).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto agent = Subprocess::Start(argv);
    ASSERT_NE(agent, nullptr);
    // Generous: a loaded CI machine (TCG domains of other tests) can take
    // seconds to start an agent; this waits for readiness, it times nothing.
    ASSERT_TRUE(agent->WaitForOutput("node agent for " + node, std::chrono::seconds(30)))
        << agent->Output();
    agents_[node] = std::move(agent);
  }

  void Create(const Json& obj) {
    absl::StatusOr<Json> created = http_->Create(obj);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  // The object's status, or {} if it cannot be read.
  Json Status(const std::string& kind, const std::string& name) {
    absl::StatusOr<Json> obj = http_->Get(kind, name);
    return obj.ok() ? obj->value("status", Json::object()) : Json::object();
  }
  // The unit holding a confirmed `ha_state` assignment of SI `si`, or "".
  std::string ConfirmedUnit(const std::string& ha_state, const std::string& si = "si") {
    absl::StatusOr<Json> obj = http_->Get("ServiceInstance", si);
    return obj.ok() ? api::ConfirmedUnitOf(*obj, ha_state) : "";
  }
  // "<status>/<reason>" of the node's Ready condition, or "".
  std::string NodeReady(const std::string& node) {
    for (const Json& c : Status("Node", node).value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "") + "/" + c.value("reason", "");
    }
    return "";
  }
  // Waits until `node`'s agent has recorded `component`'s running process
  // in its adoption file (written shortly after the start is reported): an
  // agent killed before that cannot be taken to account for it. Returns the
  // PID, or 0 on timeout.
  int64_t WaitRecorded(const std::string& node, const std::string& component) {
    int64_t pid = 0;
    WaitFor([&] {
      pid = Status("Component", component).value("pid", int64_t{0});
      return pid > 0 && RecordedPid(dir_ / node, node, component) == pid;
    });
    return RecordedPid(dir_ / node, node, component) == pid ? pid : 0;
  }

  // Polls `done` every 2 ms; false if it is still false after `timeout`.
  bool WaitFor(const std::function<bool()>& done, milliseconds timeout = milliseconds(15000)) {
    const Steady::time_point deadline = Steady::now() + timeout;
    while (!done()) {
      if (Steady::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
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

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_CLUSTER_FIXTURE_H_
