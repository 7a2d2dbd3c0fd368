#include "cli/kubeconfig.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/kubeconfig.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-cli-kubeconfig-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(KubeconfigTest, ReadsWhatVigildWrites) {
  const std::string path = (dir_ / "kubeconfig").string();
  ASSERT_TRUE(server::WriteKubeconfig(path, "https://127.0.0.2:8443",
                                      {.user = "vigil-admin", .ca_pem = "CA PEM\n", .token = "t0k"})
                  .ok());
  auto options = LoadKubeconfig(path);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->server, "https://127.0.0.2:8443");
  EXPECT_EQ(options->ca_pem, "CA PEM\n");
  EXPECT_EQ(options->bearer_token, "t0k");
}

TEST_F(KubeconfigTest, ReadsCaAndTokenFilesRelativeToTheKubeconfig) {
  Write("ca.crt", "FILE PEM");
  Write("token", "  file-token\n");
  const std::string path = Write("config", R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://h:1", certificate-authority: ca.crt}
users:
- name: u
  user: {tokenFile: token}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
)");
  auto options = LoadKubeconfig(path);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->ca_pem, "FILE PEM");
  EXPECT_EQ(options->bearer_token, "file-token");
}

TEST_F(KubeconfigTest, NamesTheFileAndTheMissingEntry) {
  const std::string path = Write("config", "current-context: nope\ncontexts: []\n");
  auto options = LoadKubeconfig(path);
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr(path));
  EXPECT_THAT(options.status().message(), HasSubstr("\"nope\""));
  EXPECT_FALSE(LoadKubeconfig((dir_ / "missing").string()).ok());
}

}  // namespace
}  // namespace vigil::cli
