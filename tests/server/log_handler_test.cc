// GET /apis/vigil.io/v1/components/NAME/log through the real ApiServer, with
// a reader standing in for the node agent's log files.
#include "server/log_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/http_client.h"
#include "tests/server/server_fixture.h"

namespace vigil::server::testing {
namespace {

using ::testing::HasSubstr;

class LogHandlerTest : public ServerFixture {
 protected:
  ApiServerOptions ServerOptions() override {
    ApiServerOptions options = ServerFixture::ServerOptions();
    options.component_logs = [](const std::string& component,
                                const api::LogQuery& query) -> absl::StatusOr<api::LogChunk> {
      if (component == "elsewhere") {
        return absl::FailedPreconditionError("component elsewhere is placed on node n2");
      }
      if (component != "web") return absl::NotFoundError("components \"" + component + "\" not found");
      const std::string log = "line 1\nline 2\n";
      const size_t from = static_cast<size_t>(std::min<int64_t>(query.since_byte, 14));
      std::string text = log.substr(from);
      if (query.tail_lines == 1) text = "line 2\n";
      return api::LogChunk{text, 14};
    };
    return options;
  }
};

TEST_F(LogHandlerTest, ServesTheLogAsTextWithItsSize) {
  auto res = Http()->Get("/apis/vigil.io/v1/components/web/log");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "line 1\nline 2\n");
  EXPECT_EQ(res->get_header_value(api::kLogSizeHeader), "14");
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain"));
  res = Http()->Get("/apis/vigil.io/v1/components/web/log?tailLines=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "line 2\n");
  res = Http()->Get("/apis/vigil.io/v1/components/web/log?sinceByte=7");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "line 2\n");
}

TEST_F(LogHandlerTest, ErrorsAreKubernetesStatusObjects) {
  client::HttpClientOptions options;
  options.server = url_;
  client::HttpClient http(options);
  auto missing = http.GetText("/apis/vigil.io/v1/components/nope/log");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  auto elsewhere = http.GetText("/apis/vigil.io/v1/components/elsewhere/log");
  EXPECT_THAT(std::string(elsewhere.status().message()), HasSubstr("placed on node n2"));
  auto res = Http()->Get("/apis/vigil.io/v1/components/web/log?tailLines=-3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("tailLines: \\\"-3\\\" is not a non-negative integer"));
}

TEST_F(LogHandlerTest, OtherComponentPathsAreStillResources) {
  auto res = Http()->Get("/apis/vigil.io/v1/components/web");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("\"kind\":\"Status\""));
}

}  // namespace
}  // namespace vigil::server::testing
