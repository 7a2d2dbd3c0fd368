#include "auth/token_file.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/vigil-auth-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(TokenFile, ParsesKubeApiserverLinesWithQuotedGroups) {
  auto entries = ParseTokenFile(
      "# comment\n\nt1,alice,u1,\"system:masters,ops\"\n t2 , bob , u2\n", "tokens.csv");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].token, "t1");
  EXPECT_EQ((*entries)[0].identity.user, "alice");
  EXPECT_THAT((*entries)[0].identity.groups, ElementsAre("system:masters", "ops"));
  EXPECT_EQ((*entries)[1].identity.user, "bob");
  EXPECT_TRUE((*entries)[1].identity.groups.empty());
}

TEST(TokenFile, NamesFileAndLineOfATooShortLineAndWhatIsValid) {
  auto entries = ParseTokenFile("t1,alice,u1\nt2,bob\n", "/etc/vigil/tokens.csv");
  ASSERT_FALSE(entries.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(entries.status()));
  EXPECT_THAT(entries.status().message(), HasSubstr("/etc/vigil/tokens.csv:2:"));
  EXPECT_THAT(entries.status().message(), HasSubstr("needs at least 3"));
  EXPECT_THAT(entries.status().message(), HasSubstr("token,user,uid"));
}

TEST(TokenFile, RejectsEmptyTokenEmptyUserUnterminatedQuoteAndRepeats) {
  EXPECT_THAT(ParseTokenFile(",alice,u1", "f").status().message(), HasSubstr("f:1: the token"));
  EXPECT_THAT(ParseTokenFile("t,,u1", "f").status().message(), HasSubstr("f:1: the user"));
  EXPECT_THAT(ParseTokenFile("t,a,u,\"g1,g2", "f").status().message(),
              HasSubstr("f:1: unterminated quote"));
  EXPECT_THAT(ParseTokenFile("t,a,u\n#x\nt,b,u", "f").status().message(),
              HasSubstr("f:3: repeats the token"));
}

TEST(TokenFile, FormattedLinesParseBack) {
  TokenEntry entry{"tok", {"system:node:n1", "system:node:n1", {"system:nodes", "x"}}};
  auto parsed = ParseTokenFile(FormatTokenLine(entry), "f");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].identity.user, "system:node:n1");
  EXPECT_THAT((*parsed)[0].identity.groups, ElementsAre("system:nodes", "x"));
}

TEST(TokenFile, EnsureCreatesAdminAndViewerTokensOwnerOnlyAndNeverOverwrites) {
  TempDir dir;
  const std::string path = dir.File("tokens.csv");
  auto created = EnsureTokenFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto entries = LoadTokenFile(path);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].identity.user, kAdminUser);
  EXPECT_THAT((*entries)[0].identity.groups, ElementsAre(kAdminGroup));
  EXPECT_EQ((*entries)[1].identity.user, kViewerUser);
  EXPECT_EQ((*entries)[0].token.size(), 64u);
  EXPECT_NE((*entries)[0].token, (*entries)[1].token);
  auto again = EnsureTokenFile(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(LoadTokenFile(path)->at(0).token, (*entries)[0].token);
}

TEST(TokenFile, AddNodeTokenAppendsASystemNodesUserAndRejectsBadNames) {
  TempDir dir;
  const std::string path = dir.File("tokens.csv");
  ASSERT_TRUE(EnsureTokenFile(path).ok());
  auto token = AddNodeToken(path, "hv2");
  ASSERT_TRUE(token.ok()) << token.status();
  auto entries = LoadTokenFile(path);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[2].token, *token);
  EXPECT_EQ((*entries)[2].identity.user, "system:node:hv2");
  EXPECT_THAT((*entries)[2].identity.groups, ElementsAre(kNodesGroup));
  EXPECT_TRUE(absl::IsInvalidArgument(AddNodeToken(path, "a,b").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(AddNodeToken(path, "").status()));
}

TEST(TokenAuthenticator, KnowsTheFilesTokensAndPicksUpAddedOnes) {
  TempDir dir;
  const std::string path = dir.File("tokens.csv");
  { std::ofstream(path) << "admin-token,alice,1,system:masters\n"; }
  auto authenticator = TokenAuthenticator::Open(path);
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  EXPECT_EQ((*authenticator)->Authenticate("admin-token")->user, "alice");
  EXPECT_FALSE((*authenticator)->Authenticate("nope").has_value());
  EXPECT_FALSE((*authenticator)->Authenticate("").has_value());
  auto node_token = AddNodeToken(path, "n1");
  ASSERT_TRUE(node_token.ok());
  // No Reload(): an unknown token makes it look at the file at once.
  EXPECT_EQ((*authenticator)->Authenticate(*node_token)->user, "system:node:n1");
}

TEST(TokenAuthenticator, KeepsTheLastGoodTokensWhenTheFileBreaks) {
  TempDir dir;
  const std::string path = dir.File("tokens.csv");
  { std::ofstream(path) << "t1,alice,1\n"; }
  auto authenticator = TokenAuthenticator::Open(path);
  ASSERT_TRUE(authenticator.ok());
  { std::ofstream(path, std::ios::app) << "broken line\n"; }
  absl::Status reloaded = (*authenticator)->Reload();
  EXPECT_THAT(reloaded.message(), HasSubstr(path + ":2:"));
  EXPECT_EQ((*authenticator)->Authenticate("t1")->user, "alice");
}

TEST(TokenAuthenticator, OpenFailsNamingAMissingFile) {
  auto authenticator = TokenAuthenticator::Open("/nonexistent/tokens.csv");
  ASSERT_FALSE(authenticator.ok());
  EXPECT_THAT(authenticator.status().message(), HasSubstr("/nonexistent/tokens.csv"));
}

}  // namespace
}  // namespace vigil::auth
