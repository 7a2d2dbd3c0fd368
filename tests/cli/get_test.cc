// vigil get against a real server: tables, yaml/json/name, several kinds,
// errors, and -w streaming changes.
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/cli/cli_fixture.h"

namespace vigil::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class GetTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    Write("demo.yaml", GroupYaml("web") + "---\n" + UnitYaml("web-a", "web", 1) +
                           "---\n" + UnitYaml("web-b", "web", 2) + "---\n" +
                           InstanceYaml("web-1", "web"));
    CliResult applied = Vigil({"apply", "-f", ManifestDir()});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }
};

TEST_F(GetTest, PrintsAnAlignedTableFromTheServer) {
  CliResult result = Vigil({"get", "su"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_THAT(lines[0], StartsWith("NAME "));
  EXPECT_THAT(lines[1], StartsWith("web-a "));
  EXPECT_THAT(lines[2], StartsWith("web-b "));
  // Columns line up: the second column starts at the same offset everywhere.
  size_t column = lines[0].find_first_not_of(' ', lines[0].find(' '));
  EXPECT_EQ(lines[1].find_first_not_of(' ', lines[1].find(' ')), column);
  EXPECT_THAT(lines[1], HasSubstr(" web "));
}

TEST_F(GetTest, PrefixesNamesWhenSeveralKindsAreShown) {
  CliResult result = Vigil({"get", "sg,si"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\nservicegroup.vigil.io/web "));
  EXPECT_THAT(result.out, HasSubstr("\nserviceinstance.vigil.io/web-1 "));
  EXPECT_THAT(result.out, HasSubstr("\n\nNAME"));  // a blank line between tables
}

TEST_F(GetTest, PrintsObjectsAsYamlJsonAndNames) {
  CliResult yaml = Vigil({"get", "sg", "web", "-o", "yaml"});
  EXPECT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_THAT(yaml.out, HasSubstr("kind: ServiceGroup"));
  EXPECT_THAT(yaml.out, HasSubstr("redundancyModel: 2N"));
  CliResult json = Vigil({"get", "sg/web", "-o", "json"});
  auto parsed = api::Json::parse(json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out;
  EXPECT_EQ(parsed["metadata"]["name"], "web");
  CliResult list = Vigil({"get", "su", "-o", "json"});
  EXPECT_EQ(api::Json::parse(list.out)["items"].size(), 2u);
  CliResult names = Vigil({"get", "su", "-o", "name", "-l", "app=demo"});
  EXPECT_EQ(names.out, "serviceunit.vigil.io/web-a\nserviceunit.vigil.io/web-b\n");
}

TEST_F(GetTest, ReportsMissingObjectsUnknownKindsAndEmptyLists) {
  CliResult missing = Vigil({"get", "sg", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, StartsWith("Error from server (NotFound): "));
  EXPECT_THAT(missing.err, HasSubstr("nope"));
  CliResult unknown = Vigil({"get", "pods"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("doesn't have a resource type \"pods\""));
  CliResult empty = Vigil({"get", "comp"});
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_EQ(empty.err, "No resources found\n");
  CliResult bad_output = Vigil({"get", "sg", "-o", "xml"});
  EXPECT_EQ(bad_output.exit_code, 1);
}

// Waits until `buf` holds `needle` (or five seconds pass).
bool WaitFor(SyncStringBuf& buf, const std::string& needle) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!absl::StrContains(buf.Snapshot(), needle)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST_F(GetTest, WatchPrintsChangesAsTheyHappen) {
  SyncStringBuf out_buf, err_buf;
  std::ostream out(&out_buf), err(&err_buf);
  std::istringstream in;
  std::atomic<bool> stop{false};
  int exit_code = -1;
  std::thread watcher([&] {
    exit_code = RunVigil({"--server", url(), "get", "si", "-w"}, {&in, &out, &err, &stop});
  });
  ASSERT_TRUE(WaitFor(out_buf, "web-1")) << out_buf.Snapshot() << err_buf.Snapshot();
  ASSERT_TRUE(registry()
                  .Create(api::Json::parse(R"({"apiVersion":"vigil.io/v1",
                      "kind":"ServiceInstance","metadata":{"name":"web-2"},
                      "spec":{"serviceGroup":"web","csis":[{"name":"c","csType":"c"}]}})"),
                          {})
                  .ok());
  EXPECT_TRUE(WaitFor(out_buf, "\nweb-2 ")) << out_buf.Snapshot() << err_buf.Snapshot();
  stop = true;
  watcher.join();
  EXPECT_EQ(exit_code, 0) << err_buf.Snapshot();
  EXPECT_EQ(out_buf.Snapshot().find("NAME"), out_buf.Snapshot().rfind("NAME"))
      << "one header only";
}

}  // namespace
}  // namespace vigil::cli::testing
