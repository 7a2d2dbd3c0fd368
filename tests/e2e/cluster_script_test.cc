// End-to-end: hack/cluster.sh, the one-machine multi-node cluster, run as a
// user would (bash, the build's binaries through $VIGIL_BIN_DIR): `up`
// starts vigild and the node agents and the nodes become Ready, a second
// `up` only reports, `status` reflects what runs, `down` ends exactly the
// recorded processes (and the components the agents started) and a second
// `down` has nothing to do. With --netns (root only) every agent runs in its
// own network namespace, `partition` makes its node not Ready and `heal`
// brings it back, and `down` deletes the namespaces and links.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auth/token_file.h"
#include "gmock/gmock.h"
#include "tests/e2e/cluster_fixture.h"
#include "tests/e2e/test_network.h"

#ifndef VIGIL_SOURCE_DIR
#error "VIGIL_SOURCE_DIR must name the repository root (tests/CMakeLists.txt)"
#endif

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ClusterScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    char pattern[] = "/tmp/vigil-e2e-script-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    setenv("VIGIL_BIN_DIR", VIGIL_BIN_DIR, 1);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      (void)Script({"down"});
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }

  // `bash hack/cluster.sh COMMAND... --dir DIR`.
  RunResult Script(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/bin/bash", std::string(VIGIL_SOURCE_DIR) + "/hack/cluster.sh"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--dir");
    argv.push_back(dir_.string());
    return vigil::e2e::Run(argv);
  }

  // The PID recorded for `name` (vigild, node1, ...), 0 if none.
  pid_t RecordedPid(const std::string& name) {
    std::ifstream in(dir_ / "pids" / name);
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  // An admin client for the cluster's URL (with its CA and token when
  // secure).
  std::unique_ptr<client::HttpClient> Client() {
    std::ifstream env(dir_ / "cluster.env");
    std::string line, url;
    while (std::getline(env, line)) {
      if (line.rfind("url=", 0) == 0) url = line.substr(4);
    }
    client::HttpClientOptions options;
    options.server = url;
    if (fs::exists(dir_ / "server" / "tokens.csv")) {
      options.ca_file = (dir_ / "server" / "pki" / "ca.crt").string();
      auto tokens = auth::LoadTokenFile((dir_ / "server" / "tokens.csv").string());
      EXPECT_TRUE(tokens.ok()) << tokens.status();
      for (const auth::TokenEntry& entry : tokens.value_or(std::vector<auth::TokenEntry>{})) {
        if (entry.identity.user == auth::kAdminUser) options.bearer_token = entry.token;
      }
    }
    return std::make_unique<client::HttpClient>(options);
  }

  // "<status>/<reason>" of the node's Ready condition, or "".
  static std::string NodeReady(client::HttpClient& http, const std::string& node) {
    auto obj = http.Get("Node", node);
    if (!obj.ok()) return "";
    for (const api::Json& c :
         obj->value("status", api::Json::object()).value("conditions", api::Json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "") + "/" + c.value("reason", "");
    }
    return "";
  }

  static bool WaitFor(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  fs::path dir_;
};

TEST_F(ClusterScriptTest, UpStatusDownOnLoopbackAreIdempotentAndEndWhatTheyStarted) {
  RunResult up = Script({"up", "--nodes", "2"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_THAT(up.output, HasSubstr("vigild on http://127.0.0.1:"));
  EXPECT_THAT(up.output, HasSubstr("KUBECONFIG=" + dir_.string() + "/server/kubeconfig"));
  auto http = Client();
  for (const char* node : {"node1", "node2"}) {
    EXPECT_TRUE(WaitFor([&] { return NodeReady(*http, node) == "True/AgentReady"; })) << node;
  }
  const std::vector<pid_t> pids = {RecordedPid("vigild"), RecordedPid("node1"), RecordedPid("node2")};
  for (pid_t pid : pids) ASSERT_TRUE(ProcessAlive(pid)) << pid;

  RunResult again = Script({"up", "--nodes", "2"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("already up"));
  EXPECT_EQ(RecordedPid("vigild"), pids[0]);
  RunResult status = Script({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("node2    running"));

  // A component on node1, which `down` must end too.
  ASSERT_TRUE(http->Create(Obj("ServiceGroup", "g", {{"redundancyModel", "2N"}})).ok());
  ASSERT_TRUE(http->Create(Obj("ServiceUnit", "a", {{"serviceGroup", "g"}, {"node", "node1"}})).ok());
  ASSERT_TRUE(http->Create(Obj("Component", "a-svc",
                               {{"serviceUnit", "a"},
                                {"csTypes", {"svc"}},
                                {"exec", {{"instantiate", {"sleep", "600"}}}}}))
                  .ok());
  ASSERT_TRUE(http->Create(Obj("ServiceInstance", "si",
                               {{"serviceGroup", "g"}, {"csis", {{{"name", "svc"}, {"csType", "svc"}}}}}))
                  .ok());
  pid_t component = 0;
  ASSERT_TRUE(WaitFor([&] {
    auto c = http->Get("Component", "a-svc");
    component = c.ok() ? c->value("status", api::Json::object()).value("pid", 0) : 0;
    return ProcessAlive(component);
  }));

  RunResult down = Script({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.output;
  for (pid_t pid : pids) EXPECT_FALSE(ProcessAlive(pid)) << pid << "\n" << down.output;
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(component); }, std::chrono::seconds(5)))
      << down.output;
  RunResult down_again = Script({"down"});
  EXPECT_EQ(down_again.exit_code, 0);
  EXPECT_THAT(down_again.output, HasSubstr("nothing to stop"));
  EXPECT_EQ(Script({"status"}).exit_code, 3);
}

TEST_F(ClusterScriptTest, RejectsBadArgumentsNamingThem) {
  RunResult bad_nodes = Script({"up", "--nodes", "zero"});
  EXPECT_NE(bad_nodes.exit_code, 0);
  EXPECT_THAT(bad_nodes.output, HasSubstr("--nodes must be a whole number from 1 to 200, got 'zero'"));
  RunResult bad_command = Script({"start"});
  EXPECT_NE(bad_command.exit_code, 0);
  EXPECT_THAT(bad_command.output, HasSubstr("unknown command 'start'"));
  RunResult no_node = Script({"partition"});
  EXPECT_NE(no_node.exit_code, 0);
  EXPECT_THAT(no_node.output, HasSubstr("partition needs a node name"));
}

TEST_F(ClusterScriptTest, NetnsAgentsRunInTheirNamespacesAndPartitionMakesANodeNotReady) {
  if (absl::Status s = TestNetwork::Available(); !s.ok()) {
    GTEST_SKIP() << "--netns needs network namespaces: " << s.message();
  }
  if (fs::exists("/sys/class/net/vigil-br0")) {
    GTEST_SKIP() << "a --netns cluster already runs on this machine (link vigil-br0 exists)";
  }
  RunResult up = Script({"up", "--netns", "--nodes", "2"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_THAT(up.output, HasSubstr("vigild on https://198.18.0.1:"));
  auto http = Client();
  for (const char* node : {"node1", "node2"}) {
    EXPECT_TRUE(WaitFor([&] { return NodeReady(*http, node) == "True/AgentReady"; })) << node;
  }
  // Each agent is in a network namespace of its own.
  auto netns_of = [](pid_t pid) { return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net"); };
  const fs::path root_ns = netns_of(getpid());
  EXPECT_NE(netns_of(RecordedPid("node1")), root_ns);
  EXPECT_NE(netns_of(RecordedPid("node1")), netns_of(RecordedPid("node2")));
  EXPECT_EQ(netns_of(RecordedPid("vigild")), root_ns);

  RunResult cut = Script({"partition", "node1"});
  ASSERT_EQ(cut.exit_code, 0) << cut.output;
  EXPECT_TRUE(WaitFor([&] { return NodeReady(*http, "node1") == "False/NodeLeaseExpired"; }));
  EXPECT_EQ(NodeReady(*http, "node2"), "True/AgentReady");
  EXPECT_THAT(Script({"status"}).output, HasSubstr("link DOWN (partitioned)"));
  RunResult heal = Script({"heal", "node1"});
  ASSERT_EQ(heal.exit_code, 0) << heal.output;
  EXPECT_TRUE(WaitFor([&] { return NodeReady(*http, "node1") == "True/AgentReady"; },
                      std::chrono::seconds(40)));

  const std::vector<pid_t> pids = {RecordedPid("vigild"), RecordedPid("node1"), RecordedPid("node2")};
  RunResult down = Script({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.output;
  for (pid_t pid : pids) EXPECT_FALSE(ProcessAlive(pid)) << pid << "\n" << down.output;
  EXPECT_FALSE(fs::exists("/sys/class/net/vigil-br0"));
  EXPECT_FALSE(fs::exists("/sys/class/net/vigil-node1"));
  EXPECT_FALSE(fs::exists("/run/netns/vigil-node1"));
}

}  // namespace
}  // namespace vigil::e2e
