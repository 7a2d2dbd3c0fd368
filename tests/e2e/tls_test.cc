// End-to-end: vigild in secure mode (TLS and bearer tokens), with the real
// vigild, vigil and kubectl binaries. Only loopback addresses are used:
// --tls turns secure mode on for 127.0.0.2, exactly as a non-loopback
// address would.
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "auth/token_file.h"
#include "client/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/leftovers.h"
#include "tests/e2e/subprocess.h"

#ifndef VIGIL_BIN_DIR
#error "VIGIL_BIN_DIR must name the build's bin directory (tests/CMakeLists.txt)"
#endif

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using api::Json;

const std::string kVigild = std::string(VIGIL_BIN_DIR) + "/vigild";
const std::string kVigil = std::string(VIGIL_BIN_DIR) + "/vigil";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string KubectlPath() {
  for (const char* dir : {"/usr/local/bin", "/usr/bin", "/bin"}) {
    const std::string path = std::string(dir) + "/kubectl";
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

Json ServiceGroup(const std::string& name) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceGroup"},
          {"metadata", {{"name", name}}},
          {"spec", {{"redundancyModel", "2N"}, {"preferredActiveUnits", 1},
                    {"preferredStandbyUnits", 1}}}};
}

Json ServiceUnit(const std::string& name, const std::string& node) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceUnit"},
          {"metadata", {{"name", name}}},
          {"spec", {{"serviceGroup", "web"}, {"node", node}, {"rank", 1}}}};
}

class SecureVigildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-e2e-tls-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (auto* process : {&agent_, &daemon_}) {
      if (*process != nullptr) (*process)->Terminate();
    }
    KillRecordedComponents(DataDir());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string DataDir() const { return (dir_ / "data").string(); }
  std::string CaFile() const { return DataDir() + "/pki/ca.crt"; }

  // Starts vigild with --tls on 127.0.0.2 and sets url_.
  void StartSecureDaemon() {
    daemon_ = Subprocess::Start({kVigild, "--data-dir", DataDir(), "--listen", "127.0.0.2:0",
                                 "--tls", "--node", "local"});
    ASSERT_NE(daemon_, nullptr);
    const std::string marker = "serving on ";
    ASSERT_TRUE(daemon_->WaitForOutput(marker, std::chrono::seconds(30))) << daemon_->Output();
    const std::string out = daemon_->Output();
    size_t at = out.find(marker) + marker.size();
    url_ = out.substr(at, out.find(' ', at) - at);
    ASSERT_THAT(url_, HasSubstr("https://127.0.0.2:"));
    auto tokens = auth::LoadTokenFile(DataDir() + "/tokens.csv");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    for (const auth::TokenEntry& entry : *tokens) {
      if (entry.identity.user == auth::kAdminUser) admin_token_ = entry.token;
      if (entry.identity.user == auth::kViewerUser) viewer_token_ = entry.token;
    }
    ASSERT_FALSE(admin_token_.empty());
    ASSERT_FALSE(viewer_token_.empty());
  }

  // `vigild token create-node NODE`: the printed token.
  std::string CreateNodeToken(const std::string& node) {
    RunResult created = vigil::e2e::Run({kVigild, "token", "create-node", node, "--data-dir", DataDir()});
    EXPECT_EQ(created.exit_code, 0) << created.output;
    return created.output.substr(0, created.output.find('\n'));
  }

  std::unique_ptr<client::HttpClient> Client(const std::string& token) {
    client::HttpClientOptions options;
    options.server = url_;
    options.ca_file = CaFile();
    options.bearer_token = token;
    options.timeout = std::chrono::seconds(10);
    return std::make_unique<client::HttpClient>(options);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Subprocess> daemon_;
  std::unique_ptr<Subprocess> agent_;
  std::string url_;
  std::string admin_token_;
  std::string viewer_token_;
};

TEST_F(SecureVigildTest, GeneratesCredentialsOwnerOnlyAndAKubeconfigWithCaAndToken) {
  StartSecureDaemon();
  for (const char* key : {"/pki/ca.key", "/pki/server.key", "/tokens.csv", "/kubeconfig"}) {
    struct stat st;
    ASSERT_EQ(stat((DataDir() + key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0077, 0u) << key << " must be readable by its owner only";
  }
  const std::string kubeconfig = ReadText(DataDir() + "/kubeconfig");
  EXPECT_THAT(kubeconfig, HasSubstr("server: " + url_));
  EXPECT_THAT(kubeconfig, HasSubstr("certificate-authority-data: "));
  EXPECT_THAT(kubeconfig, HasSubstr("token: " + admin_token_));
  EXPECT_THAT(ReadText(DataDir() + "/kubeconfig-viewer"), HasSubstr("token: " + viewer_token_));
}

TEST_F(SecureVigildTest, RequestsWithoutOrWithAWrongTokenAre401AndChangeNothing) {
  StartSecureDaemon();
  for (const std::string token : {"", "not-a-token"}) {
    auto created = Client(token)->Create(ServiceGroup("intruder"));
    EXPECT_TRUE(absl::IsUnauthenticated(created.status())) << created.status();
    auto listed = Client(token)->List("ServiceGroup");
    EXPECT_TRUE(absl::IsUnauthenticated(listed.status())) << listed.status();
    auto version = Client(token)->GetPath("/version");
    EXPECT_TRUE(absl::IsUnauthenticated(version.status())) << version.status();
  }
  auto intruder = Client(admin_token_)->Get("ServiceGroup", "intruder");
  EXPECT_TRUE(absl::IsNotFound(intruder.status())) << intruder.status();
  EXPECT_THAT(daemon_->Output(), Not(HasSubstr("name=intruder")));
}

TEST_F(SecureVigildTest, PlainHttpToTheTlsPortGetsNoAnswer) {
  StartSecureDaemon();
  client::HttpClientOptions options;
  options.server = "http://" + url_.substr(std::string("https://").size());
  options.timeout = std::chrono::seconds(5);
  auto listed = client::HttpClient(options).List("ServiceGroup");
  EXPECT_FALSE(listed.ok());
}

TEST_F(SecureVigildTest, ViewerReadsButItsWritesAre403AndChangeNothing) {
  StartSecureDaemon();
  ASSERT_TRUE(Client(admin_token_)->Create(ServiceGroup("web")).ok());
  auto viewer = Client(viewer_token_);
  EXPECT_TRUE(viewer->List("ServiceGroup").ok());
  auto created = viewer->Create(ServiceGroup("viewer-made"));
  EXPECT_TRUE(absl::IsPermissionDenied(created.status())) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("vigil-viewer"));
  auto deleted = viewer->Delete("ServiceGroup", "web");
  EXPECT_TRUE(absl::IsPermissionDenied(deleted.status())) << deleted.status();
  EXPECT_TRUE(absl::IsNotFound(Client(admin_token_)->Get("ServiceGroup", "viewer-made").status()));
  EXPECT_TRUE(Client(admin_token_)->Get("ServiceGroup", "web").ok());
}

TEST_F(SecureVigildTest, NodeTokenWritesOnlyItsOwnObjectsStatusAndWritesAreAudited) {
  StartSecureDaemon();
  const std::string token = CreateNodeToken("n2");
  ASSERT_EQ(token.size(), 64u);
  auto admin = Client(admin_token_);
  ASSERT_TRUE(admin->Create(ServiceGroup("web")).ok());
  ASSERT_TRUE(admin->Create(ServiceUnit("web-local", "local")).ok());
  ASSERT_TRUE(admin->Create(ServiceUnit("web-n2", "n2")).ok());

  auto node = Client(token);  // picked up without a restart
  const Json patch = {{"status", {{"restartCount", 7}}}};
  auto other = node->Patch("ServiceUnit", "web-local", patch, /*status=*/true);
  EXPECT_TRUE(absl::IsPermissionDenied(other.status())) << other.status();
  EXPECT_THAT(other.status().message(), HasSubstr("system:node:n2"));
  EXPECT_THAT(other.status().message(), HasSubstr("web-local"));
  // Unchanged (the embedded agent of node "local" may write it meanwhile, so
  // its resourceVersion is no witness; the refused value and the audit are).
  auto after = admin->Get("ServiceUnit", "web-local");
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->value("/status/restartCount"_json_pointer, 0), 7);

  auto own = node->Patch("ServiceUnit", "web-n2", patch, /*status=*/true);
  EXPECT_TRUE(own.ok()) << own.status();
  auto spec = node->Patch("ServiceUnit", "web-n2", {{"spec", {{"rank", 2}}}});
  EXPECT_TRUE(absl::IsPermissionDenied(spec.status())) << spec.status();
  auto sg = node->Create(ServiceGroup("node-made"));
  EXPECT_TRUE(absl::IsPermissionDenied(sg.status())) << sg.status();

  const std::string log = daemon_->Output();
  EXPECT_THAT(log, HasSubstr("audit user=vigil-admin verb=create kind=ServiceUnit name=web-n2"));
  EXPECT_THAT(log, HasSubstr("audit user=system:node:n2 verb=patch-status kind=ServiceUnit "
                             "name=web-n2"));
  EXPECT_THAT(log, Not(HasSubstr("user=system:node:n2 verb=patch-status kind=ServiceUnit "
                                 "name=web-local")));
}

TEST_F(SecureVigildTest, RemoteAgentWithItsNodeTokenRegistersAndReportsOverTls) {
  StartSecureDaemon();
  const std::string token_file = (dir_ / "n2.token").string();
  std::ofstream(token_file) << CreateNodeToken("n2") << "\n";
  agent_ = Subprocess::Start({kVigild, "agent", "--server", url_, "--node", "n2",
                              "--token-file", token_file, "--ca-file", CaFile(),
                              "--data-dir", (dir_ / "agent-n2").string()});
  ASSERT_NE(agent_, nullptr);
  auto admin = Client(admin_token_);
  bool reported = false;
  for (int i = 0; i < 100 && !reported; ++i) {
    auto node = admin->Get("Node", "n2");
    reported = node.ok() && node->contains("status") && (*node)["status"].contains("agent");
    if (!reported) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(reported) << agent_->Output();
  EXPECT_THAT(agent_->Output(), Not(HasSubstr("Forbidden")));
  EXPECT_THAT(agent_->Output(), Not(HasSubstr("Unauthorized")));
  EXPECT_THAT(daemon_->Output(), HasSubstr("audit user=system:node:n2"));
}

TEST_F(SecureVigildTest, KubectlAndVigilWorkWithTheGeneratedKubeconfigs) {
  const std::string kubectl = KubectlPath();
  if (kubectl.empty()) GTEST_SKIP() << "kubectl is not installed; skipping its checks";
  StartSecureDaemon();
  ASSERT_TRUE(Client(admin_token_)->Create(ServiceGroup("web")).ok());
  RunResult got = vigil::e2e::Run({kubectl, "--kubeconfig", DataDir() + "/kubeconfig", "get", "sg"});
  EXPECT_EQ(got.exit_code, 0) << got.output;
  EXPECT_THAT(got.output, HasSubstr("web"));
  RunResult viewer_delete = vigil::e2e::Run({kubectl, "--kubeconfig", DataDir() + "/kubeconfig-viewer",
                                 "delete", "sg", "web"});
  EXPECT_NE(viewer_delete.exit_code, 0);
  EXPECT_THAT(viewer_delete.output, HasSubstr("Forbidden"));
  RunResult vigil = vigil::e2e::Run({kVigil, "--kubeconfig", DataDir() + "/kubeconfig", "get", "sg"});
  EXPECT_EQ(vigil.exit_code, 0) << vigil.output;
  EXPECT_THAT(vigil.output, HasSubstr("web"));
  RunResult no_token = vigil::e2e::Run({kVigil, "--server", url_, "--certificate-authority", CaFile(),
                            "get", "sg"});
  EXPECT_NE(no_token.exit_code, 0);
  EXPECT_THAT(no_token.output, HasSubstr("Unauthorized"));
}

TEST_F(SecureVigildTest, RefusesToServeBeyondLoopbackWithoutCredentials) {
  // Refused before binding: no socket is ever opened on 0.0.0.0.
  RunResult refused = vigil::e2e::Run({kVigild, "--data-dir", DataDir(), "--listen", "0.0.0.0:0",
                           "--no-generate-credentials", "--node", "local"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("refusing to start"));
  EXPECT_THAT(refused.output, HasSubstr(DataDir() + "/pki/server.crt"));

  RunResult no_tokens = vigil::e2e::Run({kVigild, "--data-dir", DataDir(), "--listen", "0.0.0.0:0",
                             "--token-auth-file", (dir_ / "missing.csv").string(),
                             "--node", "local"});
  EXPECT_EQ(no_tokens.exit_code, 1) << no_tokens.output;
  EXPECT_THAT(no_tokens.output, HasSubstr("refusing to start"));
  EXPECT_THAT(no_tokens.output, HasSubstr((dir_ / "missing.csv").string()));
}

}  // namespace
}  // namespace vigil::e2e
