#include "cli/output.h"

#include "api/errors.h"
#include "cli/unified_diff.h"
#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

TEST(HumanDuration, MatchesKubectlBuckets) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(5 * 60 + 10)), "5m10s");
  EXPECT_EQ(HumanDuration(seconds(25 * 60)), "25m");
  EXPECT_EQ(HumanDuration(seconds(5 * 3600 + 600)), "5h10m");
  EXPECT_EQ(HumanDuration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(HumanDuration(seconds(3 * 86400 + 5 * 3600)), "3d5h");
  EXPECT_EQ(HumanDuration(seconds(40 * 86400)), "40d");
}

TEST(TableWriter, AlignsColumnsLikeKubectl) {
  TableWriter writer({"Name", "Model", "Age"});
  std::vector<std::vector<std::string>> rows = {{"web", "2N", "5s"},
                                                {"a-much-longer-name", "N+M", "1m"}};
  writer.Fit(rows);
  EXPECT_EQ(writer.HeaderLine(), "NAME                 MODEL   AGE\n");
  EXPECT_EQ(writer.RowLine(rows[0]), "web                  2N      5s\n");
  EXPECT_EQ(writer.RowLine(rows[1]), "a-much-longer-name   N+M     1m\n");
}

TEST(CellText, ShowsDatesAsAgesAndListsJoined) {
  EXPECT_EQ(CellText(api::Json::parse(R"(["a","b"])"), "string"), "a,b");
  EXPECT_EQ(CellText(api::Json(3), "integer"), "3");
  EXPECT_EQ(CellText(api::Json(), "string"), "<none>");
  EXPECT_EQ(CellText(api::Json("1970-01-01T00:00:00Z"), "date").back(), 'y');
  EXPECT_EQ(CellText(api::Json("5m"), "date"), "5m");
}

TEST(FormatServerError, ListsCausesAsBullets) {
  absl::Status status = api::InvalidObject(
      "ServiceGroup", "web",
      {{"FieldValueNotSupported", "spec.redundancyModel", "Unsupported value: \"3N\""},
       {"FieldValueRequired", "metadata.name", "Required value"}});
  std::string text = FormatServerError(status);
  EXPECT_EQ(text.rfind("Error from server (Invalid): ", 0), 0u) << text;
  EXPECT_NE(text.find("\n* spec.redundancyModel: Unsupported value: \"3N\""),
            std::string::npos) << text;
  EXPECT_NE(text.find("\n* metadata.name: Required value"), std::string::npos) << text;
  EXPECT_EQ(FormatServerError(absl::NotFoundError("servicegroups.vigil.io \"x\" not found")),
            "Error from server (NotFound): servicegroups.vigil.io \"x\" not found");
}

TEST(UnifiedDiff, EmptyForEqualTexts) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "");
}

TEST(UnifiedDiff, PrintsHunksWithContext) {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
  std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13\n";
  EXPECT_EQ(UnifiedDiff(before, after, "live/x", "merged/x"),
            "--- live/x\n+++ merged/x\n"
            "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
            "@@ -10,3 +10,4 @@\n 10\n 11\n 12\n+13\n");
}

TEST(UnifiedDiff, NewFileIsAllAdditions) {
  EXPECT_EQ(UnifiedDiff("", "a\nb\n", "live/x", "merged/x"),
            "--- live/x\n+++ merged/x\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

}  // namespace
}  // namespace vigil::cli
