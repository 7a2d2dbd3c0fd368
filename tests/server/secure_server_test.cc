// The API server in secure mode (TLS + bearer tokens), in process: the
// generated PKI, a token file, and HttpClient over https.
#include <fstream>
#include <sstream>

#include "auth/pki.h"
#include "auth/token_file.h"
#include "client/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/kubeconfig.h"
#include "tests/server/server_fixture.h"

namespace vigil::server {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using api::Json;
using testing::ServiceGroup;

constexpr char kAdmin[] = "admin-token";
constexpr char kViewer[] = "viewer-token";
constexpr char kNode1[] = "node1-token";
constexpr char kStranger[] = "stranger-token";

Json ServiceUnit(const std::string& name, const std::string& node) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceUnit"},
          {"metadata", {{"name", name}}},
          {"spec", {{"serviceGroup", "web"}, {"node", node}, {"rank", 1}}}};
}

class SecureServerTest : public testing::ServerFixture {
 protected:
  ApiServerOptions ServerOptions() override {
    const std::string pki = (dir_ / "pki").string();
    auto created = auth::EnsureServingPki(pki, {"127.0.0.1"});
    EXPECT_TRUE(created.ok()) << created.status();
    const std::string tokens = (dir_ / "tokens.csv").string();
    std::ofstream(tokens) << kAdmin << ",alice,1,system:masters\n"
                          << kViewer << ",victor,2,vigil:viewers\n"
                          << kNode1 << ",system:node:n1,3,system:nodes\n"
                          << kStranger << ",eve,4,developers\n";
    auto authenticator = auth::TokenAuthenticator::Open(tokens);
    EXPECT_TRUE(authenticator.ok()) << authenticator.status();
    authenticator_ = std::move(*authenticator);
    ApiServerOptions options;
    options.port = 0;
    options.tls_cert_file = pki + "/server.crt";
    options.tls_private_key_file = pki + "/server.key";
    options.authenticator = authenticator_.get();
    return options;
  }

  client::HttpClient Client(const std::string& token) {
    client::HttpClientOptions options;
    options.server = "https://127.0.0.1:" + std::to_string(port_);
    options.ca_file = (dir_ / "pki" / "ca.crt").string();
    options.bearer_token = token;
    options.timeout = std::chrono::seconds(10);
    return client::HttpClient(options);
  }

  std::unique_ptr<auth::TokenAuthenticator> authenticator_;
};

TEST_F(SecureServerTest, NoTokenOrUnknownTokenIs401EverywhereAndStoresNothing) {
  for (const std::string token : {"", "bogus"}) {
    auto created = Client(token).Create(ServiceGroup("web"));
    EXPECT_TRUE(absl::IsUnauthenticated(created.status())) << created.status();
    for (const char* path : {"/version", "/apis", "/openapi/v3", "/healthz"}) {
      EXPECT_TRUE(absl::IsUnauthenticated(Client(token).GetPath(path).status())) << path;
    }
  }
  EXPECT_TRUE(absl::IsNotFound(registry().Get("ServiceGroup", "web").status()));
  EXPECT_TRUE(AuditLines().empty());
}

TEST_F(SecureServerTest, AdminWritesAreAuditedWithTheTokensUserNotTheClaimedOne) {
  auto created = Client(kAdmin).Create(ServiceGroup("web"), {.dry_run = false, .user = "mallory"});
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(AuditLines().size(), 1u);
  EXPECT_THAT(AuditLines()[0], HasSubstr("user=alice(as:mallory) verb=create"));
  EXPECT_TRUE(Client(kAdmin).GetPath("/apis/vigil.io/v1").ok());
}

TEST_F(SecureServerTest, ViewerAndStrangerWritesAre403AndChangeNothing) {
  ASSERT_TRUE(registry().Create(ServiceGroup("web")).ok());
  EXPECT_TRUE(Client(kViewer).List("ServiceGroup").ok());
  EXPECT_TRUE(Client(kViewer).GetPath("/version").ok());
  auto deleted = Client(kViewer).Delete("ServiceGroup", "web");
  EXPECT_TRUE(absl::IsPermissionDenied(deleted.status())) << deleted.status();
  EXPECT_THAT(deleted.status().message(), HasSubstr("user \"victor\" may not delete"));
  EXPECT_TRUE(absl::IsPermissionDenied(Client(kStranger).List("ServiceGroup").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Client(kStranger).GetPath("/version").status()));
  EXPECT_TRUE(registry().Get("ServiceGroup", "web").ok());
}

TEST_F(SecureServerTest, NodeAgentWritesOnlyItsOwnStatusAndNode) {
  ASSERT_TRUE(registry().Create(ServiceGroup("web")).ok());
  ASSERT_TRUE(registry().Create(ServiceUnit("su-n1", "n1")).ok());
  ASSERT_TRUE(registry().Create(ServiceUnit("su-n2", "n2")).ok());
  client::HttpClient node = Client(kNode1);
  const Json patch = {{"status", {{"restartCount", 3}}}};
  auto other = node.Patch("ServiceUnit", "su-n2", patch, /*status=*/true);
  EXPECT_TRUE(absl::IsPermissionDenied(other.status())) << other.status();
  EXPECT_EQ(registry().Get("ServiceUnit", "su-n2")->value("/status/restartCount"_json_pointer, 0),
            0);
  EXPECT_TRUE(node.Patch("ServiceUnit", "su-n1", patch, /*status=*/true).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(node.Create(testing::Node("n2")).status()));
  EXPECT_TRUE(node.Create(testing::Node("n1")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(node.Delete("Node", "n1").status()));
  EXPECT_THAT(AuditLines(), Contains(HasSubstr("user=system:node:n1 verb=patch-status "
                                               "kind=ServiceUnit name=su-n1")));
}

TEST_F(SecureServerTest, ACertificateFromAnotherCaIsRejectedByTheClient) {
  auto other = auth::GenerateCa("other", 1);
  ASSERT_TRUE(other.ok());
  client::HttpClientOptions options;
  options.server = "https://127.0.0.1:" + std::to_string(port_);
  options.ca_pem = other->cert_pem;
  options.bearer_token = kAdmin;
  EXPECT_TRUE(absl::IsUnavailable(client::HttpClient(options).GetPath("/version").status()));
  std::stringstream ca;
  ca << std::ifstream(dir_ / "pki" / "ca.crt").rdbuf();
  options.ca_pem = ca.str();
  EXPECT_TRUE(client::HttpClient(options).GetPath("/version").ok());
}

TEST_F(SecureServerTest, RefusesToStartWithUnloadableTlsFilesOrWithoutAuthenticator) {
  ApiServerOptions options;
  options.port = 0;
  options.tls_cert_file = (dir_ / "missing.crt").string();
  options.tls_private_key_file = (dir_ / "missing.key").string();
  ApiServer without_tokens(&registry(), options);
  EXPECT_TRUE(absl::IsInvalidArgument(without_tokens.Start().status()));
  options.authenticator = authenticator_.get();
  ApiServer without_files(&registry(), options);
  absl::Status failed = without_files.Start().status();
  EXPECT_TRUE(absl::IsInvalidArgument(failed)) << failed;
  EXPECT_THAT(failed.message(), HasSubstr((dir_ / "missing.crt").string()));
}

TEST(Kubeconfig, CarriesTheCaAndTokenWhenGiven) {
  const std::string text = KubeconfigText(
      "https://127.0.0.1:8443", {.user = "vigil-viewer", .ca_pem = "PEM", .token = "tok"});
  EXPECT_THAT(text, HasSubstr("server: https://127.0.0.1:8443"));
  EXPECT_THAT(text, HasSubstr("certificate-authority-data: UEVN"));  // base64("PEM")
  EXPECT_THAT(text, HasSubstr("    token: tok"));
  EXPECT_THAT(text, HasSubstr("user: vigil-viewer"));
}

}  // namespace
}  // namespace vigil::server
