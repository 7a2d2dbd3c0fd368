// GET /metrics on the API server: Prometheus text with the server's own
// request, latency, watch and store figures; readable by the viewer and
// admin tokens in secure mode, 401 without a token; 404 without a registry.
#include <fstream>

#include "auth/pki.h"
#include "auth/token_file.h"
#include "client/http_client.h"
#include "gtest/gtest.h"
#include "metrics/exposition_parser.h"
#include "metrics/metrics.h"
#include "tests/server/server_fixture.h"

namespace vigil::server {
namespace {

using testing::ServiceGroup;

class MetricsEndpointTest : public testing::ServerFixture {
 protected:
  ApiServerOptions ServerOptions() override {
    ApiServerOptions options;
    options.port = 0;
    options.metrics = &metrics_;
    return options;
  }
  metrics::Registry metrics_;
};

TEST_F(MetricsEndpointTest, CountsRequestsAndShowsTheStoreRevision) {
  ASSERT_TRUE(registry().Create(ServiceGroup("web")).ok());
  auto http = Http();
  ASSERT_TRUE(http->Get("/apis/vigil.io/v1/servicegroups"));
  ASSERT_TRUE(http->Get("/apis/vigil.io/v1/servicegroups/web"));
  ASSERT_TRUE(http->Get("/apis/vigil.io/v1/servicegroups/nope"));
  httplib::Result res = http->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), metrics::kContentType);
  absl::StatusOr<std::vector<metrics::ParsedFamily>> parsed = metrics::ParseExposition(res->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << res->body;
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_api_requests_total",
                               {{"verb", "list"}, {"code", "200"}}),
            1);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_api_requests_total",
                               {{"verb", "get"}, {"code", "200"}}),
            1);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_api_requests_total",
                               {{"verb", "get"}, {"code", "404"}}),
            1);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_api_request_duration_seconds_count",
                               {{"verb", "get"}}),
            2);
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_store_revision"),
            static_cast<double>(store().CurrentRevision()));
  EXPECT_EQ(metrics::FindValue(*parsed, "vigil_api_watches"), 0);
}

using NoMetricsTest = testing::ServerFixture;

TEST_F(NoMetricsTest, MetricsIsNotFoundWithoutARegistry) {
  httplib::Result res = Http()->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

class SecureMetricsTest : public testing::ServerFixture {
 protected:
  ApiServerOptions ServerOptions() override {
    const std::string pki = (dir_ / "pki").string();
    EXPECT_TRUE(auth::EnsureServingPki(pki, {"127.0.0.1"}).ok());
    const std::string tokens = (dir_ / "tokens.csv").string();
    std::ofstream(tokens) << "admin-token,alice,1,system:masters\n"
                          << "viewer-token,victor,2,vigil:viewers\n"
                          << "stranger-token,eve,3,developers\n";
    auto authenticator = auth::TokenAuthenticator::Open(tokens);
    EXPECT_TRUE(authenticator.ok()) << authenticator.status();
    authenticator_ = std::move(*authenticator);
    ApiServerOptions options;
    options.port = 0;
    options.tls_cert_file = pki + "/server.crt";
    options.tls_private_key_file = pki + "/server.key";
    options.authenticator = authenticator_.get();
    options.metrics = &metrics_;
    return options;
  }
  client::HttpClient Client(const std::string& token) {
    client::HttpClientOptions options;
    options.server = "https://127.0.0.1:" + std::to_string(port_);
    options.ca_file = (dir_ / "pki" / "ca.crt").string();
    options.bearer_token = token;
    return client::HttpClient(options);
  }
  metrics::Registry metrics_;
  std::unique_ptr<auth::TokenAuthenticator> authenticator_;
};

TEST_F(SecureMetricsTest, ViewerAndAdminMayReadItOthersMayNot) {
  for (const char* token : {"viewer-token", "admin-token"}) {
    absl::StatusOr<std::string> text = Client(token).GetText("/metrics");
    ASSERT_TRUE(text.ok()) << token << ": " << text.status();
    EXPECT_TRUE(metrics::ParseExposition(*text).ok()) << *text;
    EXPECT_NE(text->find("vigil_api_requests_total"), std::string::npos);
  }
  EXPECT_TRUE(absl::IsUnauthenticated(Client("").GetText("/metrics").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Client("stranger-token").GetText("/metrics").status()));
}

}  // namespace
}  // namespace vigil::server
