// The Kubernetes Status codec: code mapping both ways, causes preserved.
#include "client/k8s_status.h"

#include "api/errors.h"
#include "gtest/gtest.h"

namespace vigil::client {
namespace {

TEST(K8sStatus, MapsCodesToHttpAndReasons) {
  struct Case {
    absl::Status status;
    int code;
    const char* reason;
  };
  const Case cases[] = {
      {absl::NotFoundError("x"), 404, "NotFound"},
      {absl::AlreadyExistsError("x"), 409, "AlreadyExists"},
      {absl::AbortedError("x"), 409, "Conflict"},
      {absl::InvalidArgumentError("x"), 422, "Invalid"},
      {api::MalformedRequest("x"), 400, "BadRequest"},
      {absl::OutOfRangeError("x"), 410, "Expired"},
      {absl::UnavailableError("x"), 503, "ServiceUnavailable"},
      {absl::PermissionDeniedError("x"), 403, "Forbidden"},
      {absl::UnauthenticatedError("x"), 401, "Unauthorized"},
      {absl::InternalError("x"), 500, "InternalError"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HttpCodeFor(c.status), c.code) << c.status;
    EXPECT_EQ(ReasonFor(c.status), c.reason) << c.status;
  }
}

TEST(K8sStatus, RoundTripsEveryCodeThroughJson) {
  for (const absl::Status& status :
       {absl::NotFoundError("gone"), absl::AlreadyExistsError("dup"),
        absl::AbortedError("stale"), api::MalformedRequest("bad"),
        absl::OutOfRangeError("old"), absl::UnavailableError("down")}) {
    api::Json json = StatusToJson(status, {"vlc", "servicegroups"});
    EXPECT_EQ(json["kind"], "Status");
    EXPECT_EQ(json["details"]["name"], "vlc");
    absl::Status back = StatusFromHttp(HttpCodeFor(status), json.dump());
    EXPECT_EQ(back.code(), status.code()) << status;
    EXPECT_EQ(back.message(), status.message());
    EXPECT_EQ(api::IsMalformedRequest(back), api::IsMalformedRequest(status));
  }
}

TEST(K8sStatus, InvalidObjectKeepsMessageAndCauses) {
  std::vector<api::FieldError> causes = {
      {"FieldValueNotSupported", "spec.redundancyModel", "Unsupported value: \"3N\""},
      {"FieldValueRequired", "spec.csis", "Required value"}};
  absl::Status invalid = api::InvalidObject("ServiceGroup", "vlc", causes);
  api::Json json = StatusToJson(invalid, {"vlc", "ServiceGroup"});
  EXPECT_EQ(json["code"], 422);
  ASSERT_EQ(json["details"]["causes"].size(), 2u);
  EXPECT_EQ(json["details"]["causes"][0]["field"], "spec.redundancyModel");
  EXPECT_EQ(json["details"]["causes"][0]["reason"], "FieldValueNotSupported");
  absl::Status back = StatusFromJson(json);
  EXPECT_TRUE(absl::IsInvalidArgument(back));
  EXPECT_EQ(back.message(), invalid.message());
  EXPECT_EQ(api::CausesOf(back), causes);
}

TEST(K8sStatus, ToleratesBodiesThatAreNotStatusObjects) {
  absl::Status status = StatusFromHttp(502, "<html>bad gateway</html>");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnknown);
  EXPECT_NE(status.message().find("bad gateway"), absl::string_view::npos);
  EXPECT_TRUE(absl::IsNotFound(StatusFromHttp(404, "")));
  EXPECT_TRUE(absl::IsAborted(StatusFromHttp(409, R"({"kind":"Status","reason":7})")));
  EXPECT_TRUE(absl::IsUnknown(StatusFromJson(api::Json::array())));
}

}  // namespace
}  // namespace vigil::client
