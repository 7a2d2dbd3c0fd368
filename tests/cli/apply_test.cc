// vigil apply against a real server: created/unchanged/configured, field
// removal, all-or-nothing validation, dry run, prune, ordering.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/cli/cli_fixture.h"

namespace vigil::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& kind, server::Registry& registry) {
  auto list = registry.List(kind, {});
  return list.ok() ? list->items.size() : 0;
}

TEST_F(CliTest, ApplyCreatesThenIsUnchangedThenConfigured) {
  Write("web.yaml", GroupYaml("web") + "---\n" + UnitYaml("web-a", "web", 1));
  CliResult first = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out,
            "servicegroup.vigil.io/web created\nserviceunit.vigil.io/web-a created\n");

  CliResult second = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out,
            "servicegroup.vigil.io/web unchanged\nserviceunit.vigil.io/web-a unchanged\n");

  Write("web.yaml", GroupYaml("web") + "---\n" + UnitYaml("web-a", "web", 2));
  CliResult third = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(third.out,
            "servicegroup.vigil.io/web unchanged\nserviceunit.vigil.io/web-a configured\n");
  auto unit = registry().Get("ServiceUnit", "web-a");
  ASSERT_TRUE(unit.ok()) << unit.status();
  EXPECT_EQ((*unit)["spec"]["rank"], 2);
}

TEST_F(CliTest, ApplyRemovesWhatTheManifestDroppedAndKeepsOthersChanges) {
  Write("sg.yaml", GroupYaml("web", "2N",
                             "  autoAdjust: {enabled: true, probation: 20s}\n"));
  ASSERT_EQ(Vigil({"apply", "-f", ManifestDir()}).exit_code, 0);
  auto patched = registry().Patch(
      "ServiceGroup", "web", api::Json::parse(R"({"metadata":{"labels":{"owner":"ops"}}})"),
      false, {});
  ASSERT_TRUE(patched.ok()) << patched.status();

  Write("sg.yaml", GroupYaml("web"));
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.out, "servicegroup.vigil.io/web configured\n") << result.err;
  auto sg = registry().Get("ServiceGroup", "web");
  ASSERT_TRUE(sg.ok());
  const api::Json& spec = (*sg)["spec"];
  EXPECT_TRUE(!spec.contains("autoAdjust") ||
              (spec["autoAdjust"].value("probation", "") == "10s" &&
               spec["autoAdjust"].value("enabled", false) == false))
      << "removed fields fall back to their defaults: " << sg->dump();
  EXPECT_EQ((*sg)["metadata"]["labels"].value("owner", ""), "ops");
  EXPECT_EQ(Vigil({"apply", "-f", ManifestDir()}).out,
            "servicegroup.vigil.io/web unchanged\n");
}

TEST_F(CliTest, ApplyRejectsInvalidManifestsWholeListingEveryProblem) {
  const std::string good = Write("a-good.yaml", GroupYaml("web"));
  const std::string bad = Write(
      "b-bad.yaml", GroupYaml("ok") + "---\n" + GroupYaml("db", "3N") + "---\n" +
                        "apiVersion: vigil.io/v1\nkind: ServiceUnit\nmetadata: {name: u}\n"
                        "spec: {node: local, rank: -1}\n");
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("nothing was applied"));
  EXPECT_THAT(result.err, HasSubstr(bad + ": document 2 (ServiceGroup/db): "
                                          "spec.redundancyModel: Unsupported value"));
  EXPECT_THAT(result.err, HasSubstr(bad + ": document 3 (ServiceUnit/u): spec.serviceGroup: Required value"));
  EXPECT_THAT(result.err, HasSubstr(bad + ": document 3 (ServiceUnit/u): spec.rank"));
  EXPECT_THAT(result.err, Not(HasSubstr(good)));
  EXPECT_EQ(Count("ServiceGroup", registry()), 0u);
  EXPECT_EQ(Count("ServiceUnit", registry()), 0u);
}

TEST_F(CliTest, ApplyReportsMalformedYamlWithLineAndColumnAndStoresNothing) {
  Write("a.yaml", GroupYaml("web"));
  const std::string broken =
      Write("b.yaml", "apiVersion: vigil.io/v1\nkind: ServiceGroup\nmetadata: {name: x\n");
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(broken + ":4:"));
  EXPECT_EQ(Count("ServiceGroup", registry()), 0u);
}

TEST_F(CliTest, ApplyRejectsDuplicateObjects) {
  Write("a.yaml", GroupYaml("web"));
  Write("b.yaml", GroupYaml("web", "N+M"));
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("Duplicate value: \"web\""));
  EXPECT_EQ(Count("ServiceGroup", registry()), 0u);
}

TEST_F(CliTest, ApplyReadsStdinAndNestedDirectoriesInSortedOrder) {
  Write("z/2-su.yaml", UnitYaml("u2", "g", 2));
  Write("a/1-su.yaml", UnitYaml("u1", "g", 1));
  Write("a/notes.txt", "not a manifest");
  CliResult dir = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(dir.out, "serviceunit.vigil.io/u1 created\nserviceunit.vigil.io/u2 created\n")
      << dir.err;
  CliResult piped = Vigil({"apply", "-f", "-"}, GroupYaml("g"));
  EXPECT_EQ(piped.out, "servicegroup.vigil.io/g created\n") << piped.err;
}

TEST_F(CliTest, ApplyDryRunStoresNothing) {
  Write("sg.yaml", GroupYaml("web"));
  CliResult result = Vigil({"apply", "--dry-run", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "servicegroup.vigil.io/web created (dry run)\n");
  EXPECT_EQ(Count("ServiceGroup", registry()), 0u);
}

TEST_F(CliTest, ApplyPruneDeletesAppliedObjectsThatLeftTheManifests) {
  Write("a.yaml", InstanceYaml("si-a", "web"));
  Write("b.yaml", InstanceYaml("si-b", "web"));
  ASSERT_EQ(Vigil({"apply", "-f", ManifestDir()}).exit_code, 0);
  // Created outside apply: prune must leave it alone.
  auto other = registry().Create(
      api::Json::parse(R"({"apiVersion":"vigil.io/v1","kind":"ServiceInstance",
        "metadata":{"name":"manual","labels":{"app":"demo"}},
        "spec":{"serviceGroup":"web","csis":[{"name":"c","csType":"c"}]}})"),
      {});
  ASSERT_TRUE(other.ok()) << other.status();

  std::filesystem::remove(dir_ / "manifests" / "b.yaml");
  CliResult refused = Vigil({"apply", "--prune", "-f", ManifestDir()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("--all"));

  CliResult result = Vigil({"apply", "--prune", "-l", "app=demo", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "serviceinstance.vigil.io/si-a unchanged\n"
                        "serviceinstance.vigil.io/si-b pruned\n");
  EXPECT_TRUE(absl::IsNotFound(registry().Get("ServiceInstance", "si-b").status()));
  EXPECT_TRUE(registry().Get("ServiceInstance", "manual").ok());
}

TEST_F(CliTest, ApplyOfManyObjectsPrintsInManifestOrder) {
  std::string yaml, expected;
  for (int i = 0; i < 150; ++i) {
    // Interleave kinds and reverse names so that order is not alphabetical.
    std::string name = absl::StrCat("obj-", 999 - i);
    yaml += (i % 2 == 0 ? GroupYaml(name) : InstanceYaml(name, "g")) + "---\n";
    expected += absl::StrCat(i % 2 == 0 ? "servicegroup" : "serviceinstance",
                             ".vigil.io/", name, " created\n");
  }
  Write("many.yaml", yaml);
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, expected);
  EXPECT_EQ(Count("ServiceGroup", registry()), 75u);
  CliResult again = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(std::count(again.out.begin(), again.out.end(), '\n'), 150);
  EXPECT_THAT(again.out, Not(HasSubstr("created")));
  EXPECT_THAT(again.out, Not(HasSubstr("configured")));
}

TEST_F(CliTest, ApplyReportsServerErrorsAndExitsNonZero) {
  Write("sg.yaml", GroupYaml("web"));
  server_->Stop();
  CliResult result = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot reach the Vigil server at " + url()));
  EXPECT_THAT(result.err, HasSubstr("is vigild running?"));
  // Validation needs no server: problems are reported even when it is down.
  Write("bad.yaml", GroupYaml("db", "3N"));
  CliResult invalid = Vigil({"apply", "-f", ManifestDir()});
  EXPECT_THAT(invalid.err, HasSubstr("bad.yaml: document 1 (ServiceGroup/db)"));
}

TEST_F(CliTest, RepositoryManifestsValidateAndApply) {
  for (const char* dir : {"demo", "examples"}) {
    CliResult result = Vigil({"apply", "-f", RepoManifests() + "/" + dir});
    EXPECT_EQ(result.exit_code, 0) << dir << ": " << result.err;
    EXPECT_THAT(result.out, Not(HasSubstr("unchanged"))) << dir;
  }
  EXPECT_GE(Count("ServiceGroup", registry()), 6u);
  CliResult again = Vigil({"apply", "-f", RepoManifests()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, Not(HasSubstr("configured")));
}

}  // namespace
}  // namespace vigil::cli::testing
