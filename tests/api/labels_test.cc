#include "api/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigil::api {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using Labels = std::map<std::string, std::string>;

LabelSelector MustParse(std::string_view text) {
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status();
  return selector.ok() ? *selector : LabelSelector();
}

TEST(LabelSelector, EmptyMatchesEverything) {
  LabelSelector selector = MustParse("");
  EXPECT_TRUE(selector.empty());
  EXPECT_TRUE(selector.Matches({}));
  EXPECT_TRUE(MustParse("   ").Matches({{"a", "b"}}));
}

struct MatchCase {
  std::string selector;
  Labels labels;
  bool matches;
};

TEST(LabelSelector, Operators) {
  const Labels vlc = {{"app", "vlc"}, {"tier", "media"}, {"env", "prod"}};
  const std::vector<MatchCase> cases = {
      {"app=vlc", vlc, true},
      {"app==vlc", vlc, true},
      {"app=ffmpeg", vlc, false},
      {"app!=ffmpeg", vlc, true},
      {"app!=vlc", vlc, false},
      {"missing!=x", vlc, true},
      {"env in (prod,staging)", vlc, true},
      {"env in (staging)", vlc, false},
      {"missing in (a)", vlc, false},
      {"env notin (prod)", vlc, false},
      {"env notin (dev, staging)", vlc, true},
      {"missing notin (a)", vlc, true},
      {"tier", vlc, true},
      {"missing", vlc, false},
      {"!missing", vlc, true},
      {"!tier", vlc, false},
      {"app=vlc,tier=media", vlc, true},
      {"app=vlc,tier=db", vlc, false},
      {" app = vlc , env in ( prod ) , ! canary ", vlc, true},
      {"empty=", {{"empty", ""}}, true},
      {"empty=", vlc, false},
      {"vigil.io/role=db", {{"vigil.io/role", "db"}}, true},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(MustParse(c.selector).Matches(c.labels), c.matches) << c.selector;
  }
}

TEST(LabelSelector, MatchesObjectLabels) {
  LabelSelector selector = MustParse("app=vlc");
  EXPECT_TRUE(selector.MatchesObject(
      Json::parse(R"({"metadata": {"name": "a", "labels": {"app": "vlc"}}})")));
  EXPECT_FALSE(selector.MatchesObject(Json::parse(R"({"metadata": {"name": "a"}})")));
  EXPECT_FALSE(selector.MatchesObject(Json()));
  EXPECT_TRUE(MustParse("!app").MatchesObject(Json::object()));
}

TEST(LabelSelector, CanonicalString) {
  LabelSelector selector =
      MustParse("app==vlc, env in (staging,prod,prod), !canary,tier,x!=y,z notin (b,a)");
  EXPECT_EQ(selector.ToString(),
            "app=vlc,env in (prod,staging),!canary,tier,x!=y,z notin (a,b)");
  EXPECT_THAT(selector.requirements(), SizeIs(6));
  EXPECT_EQ(MustParse(selector.ToString()).ToString(), selector.ToString());
}

TEST(LabelSelector, ClearErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a in b", "expected '(' at position 5"},
      {"a in (b", "expected ',' or ')' at position 7"},
      {"a in ()", "the set of values of 'in' or 'notin' may not be empty at position 6"},
      {"a in (", "expected ',' or ')' at position 6"},
      {"a b", "expected one of '=', '==', '!=', 'in', 'notin' at position 2"},
      {"a=b c", "expected ',' or the end at position 4"},
      {",a", "expected a label key at position 0"},
      {"a=b,", "expected a label key at position 4"},
      {"!", "expected a label key at position 1"},
      {"bad key!=x", "expected one of"},
      {"-a=b", "invalid label key \"-a\""},
      {"a=-b", "invalid label value \"-b\""},
      {"a=" + std::string(64, 'v'), "must be no more than 63 characters"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(text);
    ASSERT_FALSE(selector.ok()) << text;
    EXPECT_EQ(selector.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(selector.status().message()), HasSubstr(message)) << text;
    EXPECT_THAT(std::string(selector.status().message()),
                HasSubstr("invalid label selector \"" + text + "\""));
  }
}

TEST(LabelKeyErrors, KubernetesRules) {
  for (const char* key : {"app", "a", "A-b_c.d", "vigil.io/role", "a.b/c",
                          "app.kubernetes.io/name", "x1"}) {
    EXPECT_THAT(LabelKeyErrors(key), IsEmpty()) << key;
  }
  EXPECT_THAT(LabelKeyErrors(""), ::testing::ElementsAre("name part must be non-empty"));
  EXPECT_THAT(LabelKeyErrors("/a"), ::testing::ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(LabelKeyErrors("a/"), ::testing::ElementsAre("name part must be non-empty"));
  EXPECT_THAT(LabelKeyErrors("Vigil.io/a"), SizeIs(1));
  EXPECT_THAT(LabelKeyErrors(std::string(64, 'a')),
              ::testing::ElementsAre("name part must be no more than 63 characters"));
  EXPECT_THAT(LabelKeyErrors(std::string(254, 'a') + "/b"),
              ::testing::ElementsAre("prefix part must be no more than 253 characters"));
  EXPECT_THAT(LabelKeyErrors("-a"), SizeIs(1));
  EXPECT_THAT(LabelKeyErrors("a-"), SizeIs(1));
  EXPECT_THAT(LabelKeyErrors("a b"), SizeIs(1));
}

TEST(LabelValueErrors, KubernetesRules) {
  for (const char* value : {"", "a", "A.b-c_d", "123", "vlc"}) {
    EXPECT_THAT(LabelValueErrors(value), IsEmpty()) << value;
  }
  for (const char* value : {"-a", "a-", "a b", "a/b", "é"}) {
    EXPECT_THAT(LabelValueErrors(value), SizeIs(1)) << value;
  }
  EXPECT_THAT(LabelValueErrors(std::string(64, 'a')),
              ::testing::ElementsAre("must be no more than 63 characters"));
}

TEST(Dns1123SubdomainErrors, Names) {
  for (const char* name : {"a", "vlc", "vlc-a", "a.b", "0", "a-1.b-2"}) {
    EXPECT_THAT(Dns1123SubdomainErrors(name), IsEmpty()) << name;
  }
  for (const char* name : {"", "A", "a_b", "-a", "a-", "a..b", ".a", "a."}) {
    EXPECT_THAT(Dns1123SubdomainErrors(name), SizeIs(1)) << name;
  }
  EXPECT_THAT(Dns1123SubdomainErrors(std::string(253, 'a')), IsEmpty());
  EXPECT_THAT(Dns1123SubdomainErrors(std::string(254, 'a')),
              ::testing::ElementsAre("must be no more than 253 characters"));
}

}  // namespace
}  // namespace vigil::api
