// End-to-end network partition: a real vigild serving TLS with bearer tokens
// on the host side of a veth pair, the agent of node n1 inside its own
// network namespace (tests/e2e/test_network.h), the agent of n2 beside
// vigild. A 2N service is active on n1 (preferred, rank 1) and standby on n2,
// with auto-adjust and a probation.
//
// Cutting n1's link must make its agent stop the active component itself
// (self-fencing, 500 ms without a lease renewal) before the node lease
// expires (800 ms) and n2 is made active: the test proves the order from the
// kernel (the component's exit, seen through a pidfd), from what the
// components stamp when they start, and from the store's event log (when the
// SI was assigned to n2, when n1 was marked not Ready), and that no two
// active processes ever lived at once. Restoring the link brings n1 back as
// the standby, and the SI switches back to it only after the probation.
//
// Needs root and `ip netns`; skips with the reason otherwise.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "auth/token_file.h"
#include "tests/e2e/failover_checks.h"
#include "tests/e2e/switchback_fixture.h"
#include "tests/e2e/test_network.h"

namespace vigil::e2e {
namespace {

constexpr std::chrono::milliseconds kProbation{3000};

class PartitionTest : public SwitchbackTest {
 protected:
  // Instead of ClusterTest's loopback vigild: the network, then vigild in
  // secure mode on its host address, and an admin client.
  void SetUp() override {
    // A TLS write to a connection the server closed must fail, not kill
    // the test.
    signal(SIGPIPE, SIG_IGN);
    if (absl::Status s = TestNetwork::Available(); !s.ok()) {
      GTEST_SKIP() << "partition tests need network namespaces: " << s.message();
    }
    absl::StatusOr<std::unique_ptr<TestNetwork>> net = TestNetwork::Create("p");
    if (absl::IsFailedPrecondition(net.status())) {
      GTEST_SKIP() << "partition tests need network namespaces: " << net.status().message();
    }
    ASSERT_TRUE(net.ok()) << net.status();
    net_ = std::move(*net);
    char pattern[] = "/tmp/vigil-e2e-partition-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    stamps_ = dir_ / "stamps";
    std::filesystem::create_directories(stamps_);
    ASSERT_NO_FATAL_FAILURE(StartSecureVigild());
  }
  void TearDown() override {
    // Restored first: an agent cut off stops only once its requests end.
    if (net_ != nullptr) (void)net_->SetLinkUp(true);
    ClusterTest::TearDown();
    net_.reset();
  }

  void StartSecureVigild() {
    vigild_ = Subprocess::Start({kVigildBinary, "--data-dir", ServerDir(), "--listen",
                                 net_->host_address() + ":0", "--node", "control"});
    ASSERT_NE(vigild_, nullptr);
    const std::string marker = "serving on ";
    ASSERT_TRUE(vigild_->WaitForOutput(marker, std::chrono::seconds(30))) << vigild_->Output();
    const std::string out = vigild_->Output();
    const size_t at = out.find(marker) + marker.size();
    url_ = out.substr(at, out.find(' ', at) - at);
    ASSERT_EQ(url_.rfind("https://" + net_->host_address() + ":", 0), 0u) << url_;
    absl::StatusOr<std::vector<auth::TokenEntry>> tokens =
        auth::LoadTokenFile(ServerDir() + "/tokens.csv");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    client::HttpClientOptions options;
    options.server = url_;
    options.ca_file = CaFile();
    for (const auth::TokenEntry& entry : *tokens) {
      if (entry.identity.user == auth::kAdminUser) options.bearer_token = entry.token;
    }
    ASSERT_FALSE(options.bearer_token.empty());
    http_ = std::make_unique<client::HttpClient>(options);
  }

  std::string ServerDir() const { return (dir_ / "server").string(); }
  std::string CaFile() const { return ServerDir() + "/pki/ca.crt"; }

  // A node token from `vigild token create-node`, in a file: the agent flags
  // that use it and the server's CA.
  std::vector<std::string> NodeCredentials(const std::string& node) {
    RunResult created = vigil::e2e::Run({kVigildBinary, "token", "create-node", node, "--data-dir", ServerDir()});
    EXPECT_EQ(created.exit_code, 0) << created.output;
    const std::string file = (dir_ / (node + ".token")).string();
    std::ofstream(file) << created.output.substr(0, created.output.find('\n')) << "\n";
    return {"--token-file", file, "--ca-file", CaFile()};
  }

  // Starts `vigild agent` for `node` inside the test's network namespace.
  void StartAgentInNetwork(const std::string& node) {
    std::vector<std::string> argv = {kVigildBinary, "agent",    "--server", url_, "--node",
                                     node,          "--data-dir", (dir_ / node).string()};
    for (const std::string& flag : NodeCredentials(node)) argv.push_back(flag);
    auto agent = Subprocess::Start(net_->Wrap(argv));
    ASSERT_NE(agent, nullptr);
    ASSERT_TRUE(agent->WaitForOutput("node agent for " + node)) << agent->Output();
    agents_[node] = std::move(agent);
  }

  // When the node's Ready condition last became `status`, from its status.
  std::optional<Wall::time_point> ReadySince(const std::string& node, const std::string& status) {
    for (const Json& c : Status("Node", node).value("conditions", Json::array())) {
      if (c.value("type", "") == "Ready" && c.value("status", "") == status) {
        return ParseTime(c.value("lastTransitionTime", ""));
      }
    }
    return std::nullopt;
  }

  // The `since` of the first SI version in the event log where `unit`
  // holds `ha_state` after `after`.
  std::optional<Wall::time_point> FirstAssigned(const std::string& unit, const std::string& ha_state,
                                                Wall::time_point after) {
    for (const Json& version : History(*http_, "ServiceInstance", "si")) {
      const Json a = AssignmentOf(version, unit, ha_state);
      if (a.is_null()) continue;
      std::optional<Wall::time_point> since = ParseTime(a.value("since", ""));
      if (since && *since + milliseconds(1) >= after) return since;
    }
    return std::nullopt;
  }

  std::unique_ptr<TestNetwork> net_;
};

TEST_F(PartitionTest, CutNodeFencesItselfBeforeFailoverAndGetsTheSiBackAfterProbation) {
  ASSERT_NO_FATAL_FAILURE(StartAgentInNetwork("n1"));
  ASSERT_NO_FATAL_FAILURE(StartAgent("n2", NodeCredentials("n2")));
  ASSERT_NO_FATAL_FAILURE(CreateService(kProbation));
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "a"; }))
      << Status("ServiceInstance", "si").dump() << agents_["n1"]->Output();
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "b"; }));
  const pid_t first_active = RunningPid("a-svc");
  ASSERT_GT(first_active, 0);
  auto watch_a = ExitWatch::Start(first_active);
  ASSERT_TRUE(watch_a.ok()) << watch_a.status();

  // The partition.
  const Wall::time_point cut = Wall::now();
  ASSERT_TRUE(net_->SetLinkUp(false).ok());
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Active") == "b"; }))
      << Status("ServiceInstance", "si").dump() << vigild_->Output();
  ASSERT_TRUE(WaitFor([&] { return (*watch_a)->exited_at().has_value(); }, milliseconds(5000)))
      << "the partitioned node's active component still runs\n" << agents_["n1"]->Output();
  EXPECT_NE(agents_["n1"]->Output().find("(self-fencing)"), std::string::npos)
      << agents_["n1"]->Output();
  EXPECT_EQ(NodeReady("n1"), "False/NodeLeaseExpired");

  // The order: n1's active gone, then n1 marked not Ready and b assigned
  // active, then b's process started.
  const Wall::time_point fenced = *(*watch_a)->exited_at();
  const std::optional<Wall::time_point> not_ready = ReadySince("n1", "False");
  const std::optional<Wall::time_point> b_assigned = FirstAssigned("b", "Active", cut);
  ASSERT_TRUE(WaitFor([&] { return !StartStamps(stamps_, "b-svc").empty(); }));
  const std::vector<Wall::time_point> b_starts = StartStamps(stamps_, "b-svc");
  ASSERT_TRUE(not_ready && b_assigned) << Status("Node", "n1").dump();
  ASSERT_EQ(b_starts.size(), 1u);
  std::printf("link cut -> n1's active killed by its agent: %.0f ms\n", MsBetween(cut, fenced));
  std::printf("link cut -> n1 not Ready: %.0f ms; -> b assigned active: %.0f ms; "
              "-> b's process started: %.0f ms\n",
              MsBetween(cut, *not_ready), MsBetween(cut, *b_assigned),
              MsBetween(cut, b_starts[0]));
  EXPECT_LT(fenced, *not_ready);   // times are ms-truncated: a margin of
  EXPECT_LT(fenced, *b_assigned);  // ~300 ms is expected, 1 ms would do
  EXPECT_LT(fenced, b_starts[0]);
  EXPECT_EQ(VersionsWithTwoConfirmedActives(), 0);

  // The link comes back: n1 returns as the standby, and the SI switches
  // back to its preferred unit a only after a's probation.
  const pid_t b_pid = RunningPid("b-svc");
  ASSERT_GT(b_pid, 0);
  auto watch_b = ExitWatch::Start(b_pid);
  ASSERT_TRUE(watch_b.ok()) << watch_b.status();
  const Wall::time_point healed = Wall::now();
  ASSERT_TRUE(net_->SetLinkUp(true).ok());
  ASSERT_TRUE(WaitFor([&] { return ConfirmedUnit("Standby") == "a"; }, milliseconds(40000)))
      << Status("ServiceInstance", "si").dump() << agents_["n1"]->Output();
  EXPECT_EQ(NodeReady("n1"), "True/AgentReady");
  std::printf("link restored -> a confirmed standby: %.0f ms\n", MsBetween(healed, Wall::now()));
  ExpectSwitchbackAfterProbation(healed, kProbation, **watch_b);
}

}  // namespace
}  // namespace vigil::e2e
