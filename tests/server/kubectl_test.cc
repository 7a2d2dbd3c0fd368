// End to end with the real kubectl (v1.32): apply (created / unchanged /
// configured), get tables, explain, get -w, delete, and an invalid manifest.
// Skipped only when kubectl is not installed.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/kubeconfig.h"
#include "tests/server/server_fixture.h"
#include "tests/server/subprocess_runner.h"

namespace vigil::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Json;
using testing::Subprocess;

constexpr std::chrono::seconds kCommandTimeout{30};

std::string FindKubectl() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin", ':')) {
    std::string candidate = std::string(dir) + "/kubectl";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

const char kGroupYaml[] = R"(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata:
  name: vlc
spec:
  redundancyModel: 2N
  preferredStandbyUnits: 1
)";

const char kUnitYaml[] = R"(apiVersion: vigil.io/v1
kind: ServiceUnit
metadata:
  name: vlc-a
spec: {serviceGroup: vlc, node: hv1, rank: 1}
---
apiVersion: vigil.io/v1
kind: Node
metadata:
  name: hv1
spec: {}
)";

const char kInstanceYaml[] = R"(apiVersion: vigil.io/v1
kind: ServiceInstance
metadata:
  name: stream-1
spec:
  serviceGroup: vlc
  csis:
  - {name: stream, csType: stream, attributes: {PORT: "8554"}}
)";

const char kComponentYaml[] = R"(apiVersion: vigil.io/v1
kind: Component
metadata:
  name: vlc-a-player
spec:
  serviceUnit: vlc-a
  csTypes: [stream]
  exec:
    instantiate: ["/bin/sleep", "1000"]
)";

class KubectlTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    kubectl_ = FindKubectl();
    if (kubectl_.empty()) GTEST_SKIP() << "kubectl is not installed";
    ServerFixture::SetUp();
    std::filesystem::create_directories(dir_ / "home");
    std::filesystem::create_directories(dir_ / "manifests");
    ASSERT_TRUE(WriteKubeconfig((dir_ / "kubeconfig").string(), url_).ok());
    Write("10-sg.yaml", kGroupYaml);
    Write("20-su.yaml", kUnitYaml);
    Write("30-si.yaml", kInstanceYaml);
    Write("40-comp.yaml", kComponentYaml);
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "manifests" / name) << text;
  }

  std::string Manifests() { return (dir_ / "manifests").string(); }

  std::unique_ptr<Subprocess> Start(std::vector<std::string> args) {
    args.insert(args.begin(), kubectl_);
    auto process = Subprocess::Start(
        args, {"KUBECONFIG=" + (dir_ / "kubeconfig").string(),
               "HOME=" + (dir_ / "home").string(), "PATH=/usr/bin:/bin"});
    EXPECT_NE(process, nullptr);
    return process;
  }

  // Runs kubectl to completion; returns {exit code, combined output}.
  std::pair<int, std::string> Kubectl(std::vector<std::string> args) {
    std::unique_ptr<Subprocess> process = Start(std::move(args));
    if (process == nullptr) return {-1, ""};
    process->WaitForOutput("\x01never", kCommandTimeout);  // until EOF
    int code = process->Wait();
    return {code, process->Output()};
  }

  std::string kubectl_;
};

TEST_F(KubectlTest, ApplyReportsCreatedUnchangedConfigured) {
  auto [code, out] = Kubectl({"apply", "-f", Manifests()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("servicegroup.vigil.io/vlc created"));
  EXPECT_THAT(out, HasSubstr("serviceunit.vigil.io/vlc-a created"));
  EXPECT_THAT(out, HasSubstr("node.vigil.io/hv1 created"));
  EXPECT_THAT(out, HasSubstr("serviceinstance.vigil.io/stream-1 created"));
  EXPECT_THAT(out, HasSubstr("component.vigil.io/vlc-a-player created"));

  std::tie(code, out) = Kubectl({"apply", "-f", Manifests()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("servicegroup.vigil.io/vlc unchanged"));
  EXPECT_THAT(out, HasSubstr("serviceinstance.vigil.io/stream-1 unchanged"));
  EXPECT_THAT(out, Not(HasSubstr("configured")));

  std::string edited = kGroupYaml;
  edited.replace(edited.find("preferredStandbyUnits: 1"), 24, "preferredStandbyUnits: 2");
  Write("10-sg.yaml", edited);
  std::tie(code, out) = Kubectl({"apply", "-f", Manifests()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("servicegroup.vigil.io/vlc configured"));
  EXPECT_THAT(out, HasSubstr("serviceunit.vigil.io/vlc-a unchanged"));
  Json sg = registry().Get("sg", "vlc").value();
  EXPECT_EQ(sg["spec"]["preferredStandbyUnits"], 2);
  EXPECT_EQ(sg["metadata"]["generation"], 2);
  EXPECT_TRUE(sg["metadata"]["annotations"].contains(
      "kubectl.kubernetes.io/last-applied-configuration"));
}

TEST_F(KubectlTest, GetShowsTablesForEveryKind) {
  ASSERT_EQ(Kubectl({"apply", "-f", Manifests()}).first, 0);
  auto [code, out] = Kubectl({"get", "sg,su,si,comp,node"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("MODEL"));
  EXPECT_THAT(out, HasSubstr("servicegroup.vigil.io/vlc"));
  EXPECT_THAT(out, HasSubstr("serviceunit.vigil.io/vlc-a"));
  EXPECT_THAT(out, HasSubstr("serviceinstance.vigil.io/stream-1"));
  EXPECT_THAT(out, HasSubstr("component.vigil.io/vlc-a-player"));
  EXPECT_THAT(out, HasSubstr("node.vigil.io/hv1"));
  std::tie(code, out) = Kubectl({"get", "servicegroups", "vlc", "-o", "jsonpath={.spec.redundancyModel}"});
  EXPECT_EQ(out, "2N");
  std::tie(code, out) = Kubectl({"get", "sg", "nope"});
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("servicegroups.vigil.io \"nope\" not found"));
}

TEST_F(KubectlTest, ExplainDescribesFields) {
  auto [code, out] = Kubectl({"explain", "servicegroup.spec"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("KIND:       ServiceGroup"));
  EXPECT_THAT(out, HasSubstr("redundancyModel"));
}

TEST_F(KubectlTest, DeleteRemovesWhatWasApplied) {
  ASSERT_EQ(Kubectl({"apply", "-f", Manifests()}).first, 0);
  auto [code, out] = Kubectl({"delete", "-f", Manifests()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("servicegroup.vigil.io \"vlc\" deleted"));
  for (const char* kind : {"sg", "su", "si", "comp", "node"}) {
    EXPECT_TRUE(registry().List(kind).value().items.empty()) << kind;
  }
}

TEST_F(KubectlTest, GetWatchPrintsAChangeWithinASecond) {
  ASSERT_EQ(Kubectl({"apply", "-f", Manifests()}).first, 0);
  std::unique_ptr<Subprocess> watch = Start({"get", "si", "-w"});
  ASSERT_TRUE(watch->WaitForOutput("stream-1", kCommandTimeout)) << watch->Output();
  const size_t printed = watch->Output().size();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(registry()
                  .Patch("si", "stream-1",
                         {{"status", {{"assignmentState", "FullyAssigned"}}}}, true)
                  .ok());
  EXPECT_TRUE(watch->WaitForOutput("FullyAssigned", std::chrono::seconds(1), printed))
      << watch->Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  watch->Terminate();
}

TEST_F(KubectlTest, InvalidManifestIsRejectedWithEveryFieldError) {
  Write("50-bad.yaml", R"(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata:
  name: bad
spec:
  redundancyModel: 3N
  preferredActiveUnits: 0
)");
  auto [code, out] = Kubectl({"apply", "-f", (dir_ / "manifests" / "50-bad.yaml").string()});
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("spec.redundancyModel: Unsupported value: \"3N\""));
  EXPECT_THAT(out, HasSubstr("spec.preferredActiveUnits"));
  EXPECT_TRUE(absl::IsNotFound(registry().Get("sg", "bad").status()));
}

TEST_F(KubectlTest, AppliesTheRepositoryDemo) {
  const std::filesystem::path demo = std::filesystem::path(VIGIL_SOURCE_DIR) / "manifests" / "demo";
  ASSERT_TRUE(std::filesystem::exists(demo)) << demo;
  auto [code, out] = Kubectl({"apply", "-f", demo.string()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, Not(HasSubstr("rror")));
  std::tie(code, out) = Kubectl({"apply", "-f", demo.string()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, Not(HasSubstr("configured")));
}

}  // namespace
}  // namespace vigil::server
