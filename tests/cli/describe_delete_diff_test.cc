// vigil describe, delete and diff against a real server.
#include "tests/cli/cli_fixture.h"

namespace vigil::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ObjectsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    Write("demo.yaml", GroupYaml("web") + "---\n" + UnitYaml("web-a", "web", 1) +
                           "---\n" + InstanceYaml("web-1", "web"));
    CliResult applied = Vigil({"apply", "-f", ManifestDir()});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }
};

TEST_F(ObjectsTest, DescribeShowsSpecStatusAndRelatedObjects) {
  CliResult result = Vigil({"describe", "sg", "web"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Name:         web\n"));
  EXPECT_THAT(result.out, HasSubstr("Kind:         ServiceGroup\n"));
  EXPECT_THAT(result.out, HasSubstr("Labels:       app=demo\n"));
  EXPECT_THAT(result.out, HasSubstr("Redundancy Model:"));
  EXPECT_THAT(result.out, HasSubstr("Conditions:"));
  EXPECT_THAT(result.out, HasSubstr("Units:\n"));
  EXPECT_THAT(result.out, HasSubstr("web-a"));
  EXPECT_THAT(result.out, HasSubstr("Instances:\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("last-applied")));

  CliResult si = Vigil({"describe", "si/web-1"});
  EXPECT_THAT(si.out, HasSubstr("Csis:"));
  EXPECT_THAT(si.out, HasSubstr("PORT:"));
  EXPECT_THAT(si.out, HasSubstr("Assignments:"));
  CliResult missing = Vigil({"describe", "sg", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("(NotFound)"));
}

TEST_F(ObjectsTest, DeleteByNameBySelectorAndByManifest) {
  CliResult by_name = Vigil({"delete", "si", "web-1"});
  EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, "serviceinstance.vigil.io \"web-1\" deleted\n");
  CliResult again = Vigil({"delete", "si", "web-1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("(NotFound)"));
  EXPECT_EQ(Vigil({"delete", "si", "web-1", "--ignore-not-found"}).exit_code, 0);

  CliResult by_file = Vigil({"delete", "-f", ManifestDir(), "--ignore-not-found"});
  EXPECT_EQ(by_file.exit_code, 0) << by_file.err;
  EXPECT_EQ(by_file.out, "servicegroup.vigil.io \"web\" deleted\n"
                         "serviceunit.vigil.io \"web-a\" deleted\n");
  EXPECT_TRUE(absl::IsNotFound(registry().Get("ServiceGroup", "web").status()));

  ASSERT_EQ(Vigil({"apply", "-f", ManifestDir()}).exit_code, 0);
  CliResult refused = Vigil({"delete", "su"});
  EXPECT_EQ(refused.exit_code, 1);
  CliResult by_label = Vigil({"delete", "sg,su,si", "-l", "app=demo"});
  EXPECT_EQ(by_label.exit_code, 0) << by_label.err;
  EXPECT_THAT(by_label.out, HasSubstr("serviceunit.vigil.io \"web-a\" deleted"));
}

TEST_F(ObjectsTest, DiffIsEmptyWhenNothingWouldChange) {
  CliResult result = Vigil({"diff", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST_F(ObjectsTest, DiffShowsWhatApplyWouldChangeAndExitsOne) {
  Write("demo.yaml", GroupYaml("web", "N+M") + "---\n" + UnitYaml("web-a", "web", 1) +
                         "---\n" + InstanceYaml("web-1", "web") + "---\n" +
                         UnitYaml("web-b", "web", 2));
  CliResult result = Vigil({"diff", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.out, HasSubstr("--- live/vigil.io.v1.ServiceGroup.web\n"));
  EXPECT_THAT(result.out, HasSubstr("\n-  redundancyModel: 2N\n"));
  EXPECT_THAT(result.out, HasSubstr("\n+  redundancyModel: N+M\n"));
  EXPECT_THAT(result.out, HasSubstr("+++ merged/vigil.io.v1.ServiceUnit.web-b\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("ServiceUnit.web-a")));
  // diff stores nothing.
  EXPECT_EQ((*registry().Get("ServiceGroup", "web"))["spec"]["redundancyModel"], "2N");
  EXPECT_TRUE(absl::IsNotFound(registry().Get("ServiceUnit", "web-b").status()));
}

}  // namespace
}  // namespace vigil::cli::testing
