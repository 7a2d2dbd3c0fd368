// The REST surface over HTTP: discovery, OpenAPI, CRUD, patches, /status,
// dry-run, selectors, Tables and Kubernetes Status errors.
#include "server/api_server.h"

#include "api/printers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace vigil::server {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::Json;
using testing::ServiceGroup;

constexpr char kGroups[] = "/apis/vigil.io/v1/servicegroups";
constexpr char kTable[] = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

Json BodyOf(const httplib::Result& result) {
  EXPECT_TRUE(result) << "no response";
  if (!result) return Json();
  return Json::parse(result->body, nullptr, false);
}

class ApiServerTest : public testing::ServerFixture {
 protected:
  httplib::Result Post(const std::string& path, const Json& body) {
    return Http()->Post(path.c_str(), body.dump(), "application/json");
  }
  httplib::Result Put(const std::string& path, const Json& body) {
    return Http()->Put(path.c_str(), body.dump(), "application/json");
  }
  httplib::Result Patch(const std::string& path, const std::string& body,
                        const char* content_type = "application/merge-patch+json") {
    return Http()->Patch(path.c_str(), body, content_type);
  }
  httplib::Result Get(const std::string& path, const char* accept = "application/json") {
    return Http()->Get(path.c_str(), {{"Accept", accept}});
  }
  Json CreateGroup(const std::string& name) {
    httplib::Result result = Post(kGroups, ServiceGroup(name));
    EXPECT_EQ(result->status, 201) << result->body;
    return BodyOf(result);
  }
};

// Checks that `result` is a Kubernetes Status with this code and reason.
void ExpectStatus(const httplib::Result& result, int code, const std::string& reason) {
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, code) << result->body;
  Json status = Json::parse(result->body, nullptr, false);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["apiVersion"], "v1");
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["code"], code);
  EXPECT_EQ(status["reason"], reason) << result->body;
  EXPECT_FALSE(status.value("message", "").empty());
}

TEST_F(ApiServerTest, VersionAndCoreDiscovery) {
  Json version = BodyOf(Get("/version"));
  EXPECT_EQ(version["major"], "1");
  EXPECT_THAT(version["gitVersion"].get<std::string>(), HasSubstr("vigil"));
  Json core = BodyOf(Get("/api"));
  EXPECT_EQ(core["kind"], "APIVersions");
  EXPECT_EQ(core["versions"], Json::array());
  EXPECT_EQ(Get("/healthz")->body, "ok");
}

TEST_F(ApiServerTest, GroupDiscoveryIsLegacyJsonEvenWhenAggregatedIsPreferred) {
  const char* accept =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
      "application/json";
  httplib::Result result = Get("/apis", accept);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  Json groups = Json::parse(result->body);
  EXPECT_EQ(groups["kind"], "APIGroupList");
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["name"], "vigil.io");
  EXPECT_EQ(groups["groups"][0]["preferredVersion"]["groupVersion"], "vigil.io/v1");
  EXPECT_EQ(BodyOf(Get("/apis/vigil.io"))["kind"], "APIGroup");
}

TEST_F(ApiServerTest, ResourceListNamesEveryKindWithShortNamesAndStatus) {
  Json list = BodyOf(Get("/apis/vigil.io/v1"));
  EXPECT_EQ(list["kind"], "APIResourceList");
  EXPECT_EQ(list["groupVersion"], "vigil.io/v1");
  std::map<std::string, Json> by_name;
  for (const Json& r : list["resources"]) by_name[r["name"]] = r;
  for (const api::KindInfo& kind : api::AllKinds()) {
    ASSERT_TRUE(by_name.count(kind.plural)) << kind.plural;
    const Json& r = by_name[kind.plural];
    EXPECT_EQ(r["kind"], kind.kind);
    EXPECT_EQ(r["singularName"], kind.singular);
    EXPECT_EQ(r["namespaced"], false);
    EXPECT_EQ(r["shortNames"], Json(kind.short_names));
    EXPECT_THAT(r["verbs"], Contains("watch"));
    EXPECT_THAT(r["verbs"], Contains("patch"));
    EXPECT_THAT(r["categories"], Contains("all"));
    ASSERT_TRUE(by_name.count(kind.plural + "/status"));
    EXPECT_EQ(by_name[kind.plural + "/status"]["verbs"], Json({"get", "patch", "update"}));
  }
  EXPECT_EQ(by_name["servicegroups"]["shortNames"], Json({"sg"}));
}

TEST_F(ApiServerTest, OpenApiV3IndexPointsAtTheGroupDocument) {
  Json index = BodyOf(Get("/openapi/v3"));
  std::string url = index["paths"]["apis/vigil.io/v1"]["serverRelativeURL"];
  EXPECT_THAT(url, HasSubstr("/openapi/v3/apis/vigil.io/v1?hash="));
  Json doc = BodyOf(Get(url));
  EXPECT_TRUE(doc["components"]["schemas"].contains("io.vigil.v1.ServiceGroup"));
  ExpectStatus(Get("/openapi/v2"), 404, "NotFound");
}

TEST_F(ApiServerTest, UnknownPathsAndResourcesAreNotFound) {
  ExpectStatus(Get("/nope"), 404, "NotFound");
  ExpectStatus(Get("/apis/vigil.io/v1/widgets"), 404, "NotFound");
  ExpectStatus(Get("/apis/vigil.io/v1/servicegroups/x/scale"), 404, "NotFound");
  ExpectStatus(Get("/apis/vigil.io/v1/servicegroups/missing"), 404, "NotFound");
  Json status = BodyOf(Get("/apis/vigil.io/v1/servicegroups/missing"));
  EXPECT_EQ(status["message"], "servicegroups.vigil.io \"missing\" not found");
  EXPECT_EQ(status["details"]["name"], "missing");
  EXPECT_EQ(status["details"]["kind"], "servicegroups");
  EXPECT_EQ(status["details"]["group"], "vigil.io");
}

TEST_F(ApiServerTest, CreateGetReplaceDelete) {
  Json created = CreateGroup("vlc");
  EXPECT_EQ(created["spec"]["autoRepair"], true);
  Json got = BodyOf(Get(std::string(kGroups) + "/vlc"));
  EXPECT_EQ(got, created);
  ExpectStatus(Post(kGroups, ServiceGroup("vlc")), 409, "AlreadyExists");

  Json edit = got;
  edit["spec"]["redundancyModel"] = "N+M";
  httplib::Result put = Put(std::string(kGroups) + "/vlc", edit);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(BodyOf(put)["metadata"]["generation"], 2);
  ExpectStatus(Put(std::string(kGroups) + "/vlc", edit), 409, "Conflict");
  ExpectStatus(Put(std::string(kGroups) + "/other", ServiceGroup("vlc")), 400, "BadRequest");

  httplib::Result deleted = Http()->Delete((std::string(kGroups) + "/vlc").c_str());
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(BodyOf(deleted)["metadata"]["name"], "vlc");
  ExpectStatus(Get(std::string(kGroups) + "/vlc"), 404, "NotFound");
}

TEST_F(ApiServerTest, CreateFillsKindAndApiVersionFromTheUrl) {
  Json bare = ServiceGroup("vlc");
  bare.erase("kind");
  bare.erase("apiVersion");
  httplib::Result result = Post(kGroups, bare);
  ASSERT_EQ(result->status, 201) << result->body;
  EXPECT_EQ(BodyOf(result)["kind"], "ServiceGroup");
  Json wrong = testing::Node("n");
  ExpectStatus(Post(kGroups, wrong), 400, "BadRequest");
}

TEST_F(ApiServerTest, InvalidObjectIs422WithEveryCause) {
  Json sg = ServiceGroup("vlc", "3N");
  sg["spec"]["bogus"] = 1;
  httplib::Result result = Post(kGroups, sg);
  ExpectStatus(result, 422, "Invalid");
  Json status = Json::parse(result->body);
  EXPECT_EQ(status["details"]["kind"], "ServiceGroup");
  EXPECT_EQ(status["details"]["name"], "vlc");
  std::vector<std::string> fields;
  for (const Json& cause : status["details"]["causes"]) fields.push_back(cause["field"]);
  EXPECT_THAT(fields, Contains("spec.redundancyModel"));
  EXPECT_THAT(fields, Contains("spec.bogus"));
  EXPECT_THAT(status["message"].get<std::string>(),
              HasSubstr("ServiceGroup.vigil.io \"vlc\" is invalid"));
  ExpectStatus(Get(std::string(kGroups) + "/vlc"), 404, "NotFound");
}

TEST_F(ApiServerTest, MalformedBodiesAre400) {
  ExpectStatus(Http()->Post(kGroups, "{not json", "application/json"), 400, "BadRequest");
  ExpectStatus(Http()->Post(kGroups, "[1,2]", "application/json"), 400, "BadRequest");
  ExpectStatus(Http()->Post(kGroups, "", "application/json"), 400, "BadRequest");
}

TEST_F(ApiServerTest, PatchTypes) {
  CreateGroup("vlc");
  const std::string path = std::string(kGroups) + "/vlc";
  httplib::Result merge = Patch(path, R"({"spec":{"preferredStandbyUnits":2}})");
  ASSERT_EQ(merge->status, 200) << merge->body;
  EXPECT_EQ(BodyOf(merge)["spec"]["preferredStandbyUnits"], 2);
  httplib::Result strategic = Patch(path, R"({"metadata":{"labels":{"tier":"web"}}})",
                                    "application/strategic-merge-patch+json");
  ASSERT_EQ(strategic->status, 200) << strategic->body;
  EXPECT_EQ(BodyOf(strategic)["metadata"]["labels"]["tier"], "web");
  httplib::Result json_patch =
      Patch(path, R"([{"op":"replace","path":"/spec/autoRepair","value":false}])",
            "application/json-patch+json");
  ASSERT_EQ(json_patch->status, 200) << json_patch->body;
  EXPECT_EQ(BodyOf(json_patch)["spec"]["autoRepair"], false);
  ExpectStatus(Patch(path, "{}", "application/apply-patch+yaml"), 415, "UnsupportedMediaType");
  ExpectStatus(Patch(path, "{}", "text/plain"), 415, "UnsupportedMediaType");
  ExpectStatus(Patch(path, R"({"spec":{"redundancyModel":"3N"}})"), 422, "Invalid");
  ExpectStatus(Patch(std::string(kGroups) + "/missing", "{}"), 404, "NotFound");
  ExpectStatus(Patch(path, R"({"metadata":{"resourceVersion":"1"}})"), 409, "Conflict");
}

TEST_F(ApiServerTest, StatusSubresourceWritesOnlyStatus) {
  CreateGroup("vlc");
  const std::string path = std::string(kGroups) + "/vlc/status";
  Json obj = BodyOf(Get(path));
  obj["spec"]["redundancyModel"] = "N+M";
  obj["status"] = {{"activeUnits", 1}};
  httplib::Result put = Put(path, obj);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(BodyOf(put)["spec"]["redundancyModel"], "2N");
  EXPECT_EQ(BodyOf(put)["status"]["activeUnits"], 1);
  httplib::Result patch = Patch(path, R"({"status":{"standbyUnits":1}})");
  ASSERT_EQ(patch->status, 200) << patch->body;
  EXPECT_EQ(BodyOf(patch)["status"], Json({{"activeUnits", 1}, {"standbyUnits", 1}}));
  ExpectStatus(Patch(path, R"({"status":{"activeUnits":"x"}})"), 422, "Invalid");
  ExpectStatus(Http()->Delete(path.c_str()), 405, "MethodNotAllowed");
}

TEST_F(ApiServerTest, DryRunStoresNothing) {
  httplib::Result result = Post(std::string(kGroups) + "?dryRun=All", ServiceGroup("vlc"));
  ASSERT_EQ(result->status, 201) << result->body;
  EXPECT_EQ(BodyOf(result)["spec"]["autoRepair"], true);
  ExpectStatus(Get(std::string(kGroups) + "/vlc"), 404, "NotFound");
  ExpectStatus(Post(std::string(kGroups) + "?dryRun=Some", ServiceGroup("vlc")), 400,
               "BadRequest");
  CreateGroup("vlc");
  ASSERT_EQ(Http()->Delete((std::string(kGroups) + "/vlc?dryRun=All").c_str())->status, 200);
  EXPECT_EQ(Get(std::string(kGroups) + "/vlc")->status, 200);
}

TEST_F(ApiServerTest, DeleteHonoursPreconditionsAndFinalizers) {
  Json sg = ServiceGroup("vlc");
  sg["metadata"]["finalizers"] = {"vigil.io/cleanup"};
  Json created = BodyOf(Post(kGroups, sg));
  const std::string path = std::string(kGroups) + "/vlc";
  Json stale = {{"preconditions", {{"resourceVersion", "999"}}}};
  ExpectStatus(Http()->Delete(path.c_str(), stale.dump(), "application/json"), 409, "Conflict");
  httplib::Result marked = Http()->Delete(path.c_str());
  ASSERT_EQ(marked->status, 202) << marked->body;
  EXPECT_TRUE(BodyOf(marked)["metadata"].contains("deletionTimestamp"));
  httplib::Result removed = Patch(path, R"({"metadata":{"finalizers":null}})");
  ASSERT_EQ(removed->status, 200) << removed->body;
  ExpectStatus(Get(path), 404, "NotFound");
}

TEST_F(ApiServerTest, ListWithSelectorsAndRevisions) {
  CreateGroup("a");
  Json b = ServiceGroup("b");
  b["metadata"]["labels"]["app"] = "other";
  ASSERT_EQ(Post(kGroups, b)->status, 201);
  Json all = BodyOf(Get(kGroups));
  EXPECT_EQ(all["kind"], "ServiceGroupList");
  EXPECT_EQ(all["apiVersion"], "vigil.io/v1");
  EXPECT_EQ(all["items"].size(), 2u);
  const std::string rv = all["metadata"]["resourceVersion"];
  EXPECT_EQ(rv, std::to_string(store().CurrentRevision()));
  EXPECT_EQ(BodyOf(Get(std::string(kGroups) + "?labelSelector=app%3Dother"))["items"].size(), 1u);
  EXPECT_EQ(BodyOf(Get(std::string(kGroups) + "?fieldSelector=metadata.name%3Da"))["items"].size(),
            1u);
  EXPECT_EQ(BodyOf(Get(std::string(kGroups) + "?fieldSelector=metadata.name!%3Da"))["items"].size(),
            1u);
  ExpectStatus(Get(std::string(kGroups) + "?labelSelector=app%20in%20x"), 400, "BadRequest");
  ExpectStatus(Get(std::string(kGroups) + "?fieldSelector=spec.x%3D1"), 400, "BadRequest");
  ExpectStatus(Get(std::string(kGroups) + "?resourceVersion=abc"), 400, "BadRequest");

  const std::string at_a = std::to_string(std::stoll(rv) - 1);
  Json past = BodyOf(Get(std::string(kGroups) + "?resourceVersionMatch=Exact&resourceVersion=" + at_a));
  EXPECT_EQ(past["items"].size(), 1u);
  ASSERT_TRUE(store().Compact(store().CurrentRevision()).ok());
  ExpectStatus(Get(std::string(kGroups) + "?resourceVersionMatch=Exact&resourceVersion=" + at_a),
               410, "Expired");
}

TEST_F(ApiServerTest, DeleteCollectionBySelector) {
  CreateGroup("a");
  CreateGroup("b");
  httplib::Result result = Http()->Delete((std::string(kGroups) + "?labelSelector=app%3Ddemo").c_str());
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(BodyOf(result)["items"].size(), 2u);
  EXPECT_EQ(BodyOf(Get(kGroups))["items"].size(), 0u);
}

TEST_F(ApiServerTest, TableOfAListUsesThePrinterColumns) {
  CreateGroup("a");
  CreateGroup("b");
  Json table = BodyOf(Get(kGroups, kTable));
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  std::vector<api::PrinterColumn> columns = api::PrinterColumns("ServiceGroup");
  ASSERT_EQ(table["columnDefinitions"].size(), columns.size());
  EXPECT_EQ(table["columnDefinitions"][0]["name"], "Name");
  EXPECT_EQ(table["columnDefinitions"][0]["format"], "name");
  ASSERT_EQ(table["rows"].size(), 2u);
  EXPECT_EQ(table["rows"][0]["cells"][0], "a");
  EXPECT_EQ(table["rows"][0]["cells"][1], "2N");
  EXPECT_EQ(table["rows"][0]["cells"].size(), columns.size());
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["rows"][0]["object"]["metadata"]["name"], "a");
  EXPECT_FALSE(table["rows"][0]["object"].contains("spec"));

  Json full = BodyOf(Get(std::string(kGroups) + "?includeObject=Object", kTable));
  EXPECT_EQ(full["rows"][0]["object"]["spec"]["redundancyModel"], "2N");
  Json none = BodyOf(Get(std::string(kGroups) + "?includeObject=None", kTable));
  EXPECT_FALSE(none["rows"][0].contains("object"));
  Json single = BodyOf(Get(std::string(kGroups) + "/b", kTable));
  ASSERT_EQ(single["rows"].size(), 1u);
  EXPECT_EQ(single["rows"][0]["cells"][0], "b");
}

TEST_F(ApiServerTest, UnservableAcceptIs406) {
  ExpectStatus(Get(kGroups, "application/vnd.kubernetes.protobuf"), 406, "NotAcceptable");
  EXPECT_EQ(Get(kGroups, "*/*")->status, 200);
}

TEST_F(ApiServerTest, AuditNamesTheImpersonatedUser) {
  httplib::Result result = Http()->Post(kGroups, {{"Impersonate-User", "carol"}},
                                        ServiceGroup("vlc").dump(), "application/json");
  ASSERT_EQ(result->status, 201);
  ASSERT_EQ(AuditLines().size(), 1u);
  EXPECT_THAT(AuditLines()[0], HasSubstr("user=carol verb=create kind=ServiceGroup name=vlc"));
}

TEST_F(ApiServerTest, StartFailsClearlyWhenThePortIsTaken) {
  ApiServerOptions options;
  options.port = port_;
  ApiServer second(&registry(), options);
  absl::StatusOr<int> started = second.Start();
  ASSERT_TRUE(absl::IsUnavailable(started.status())) << started.status();
  EXPECT_THAT(started.status().message(), HasSubstr("already in use"));
  EXPECT_THAT(started.status().message(), HasSubstr(std::to_string(port_)));
}

}  // namespace
}  // namespace vigil::server
