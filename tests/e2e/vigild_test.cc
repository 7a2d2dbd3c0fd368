// End-to-end: the real vigild and vigil binaries of this build. Durability
// across kill -9, watch replay after a restart, clear start-up failures, and
// clean shutdown.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "client/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/leftovers.h"
#include "tests/e2e/subprocess.h"

#ifndef VIGIL_BIN_DIR
#error "VIGIL_BIN_DIR must name the build's bin directory (tests/CMakeLists.txt)"
#endif

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;
using api::Json;

const std::string kVigild = std::string(VIGIL_BIN_DIR) + "/vigild";
const std::string kVigil = std::string(VIGIL_BIN_DIR) + "/vigil";

std::string RepoDir() { return VIGIL_SOURCE_DIR; }

client::HttpClientOptions Options(const std::string& url) {
  client::HttpClientOptions options;
  options.server = url;
  return options;
}

client::ListOptions From(int64_t revision) {
  client::ListOptions options;
  options.resource_version = revision;
  return options;
}

// A running vigild and the URL it serves on. Stopped with SIGTERM when it
// goes out of scope, so that its agent records what it started (which the
// fixture then ends; see leftovers.h).
struct Daemon {
  Daemon() = default;
  Daemon(Daemon&&) = default;
  Daemon& operator=(Daemon&&) = default;
  ~Daemon() {
    if (process != nullptr) process->Terminate();
  }
  std::unique_ptr<Subprocess> process;
  std::string url;
};

class VigildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    // Every vigild of the test has ended; what their agents started has not.
    KillRecordedComponents(DataDir());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<Subprocess> Spawn(const std::string& data_dir,
                                    const std::string& listen = "127.0.0.1:0") {
    return Subprocess::Start({kVigild, "--data-dir", data_dir, "--listen", listen,
                              "--node", "local"});
  }

  // Starts vigild and waits until it serves.
  Daemon StartDaemon(const std::string& data_dir) {
    Daemon d;
    d.process = Spawn(data_dir);
    EXPECT_NE(d.process, nullptr) << kVigild;
    if (d.process == nullptr) return d;
    const std::string marker = "serving on ";
    EXPECT_TRUE(d.process->WaitForOutput(marker)) << d.process->Output();
    std::string out = d.process->Output();
    size_t at = out.find(marker);
    if (at != std::string::npos) {
      at += marker.size();
      d.url = out.substr(at, out.find(' ', at) - at);
    }
    return d;
  }

  RunResult Vigil(const Daemon& d, std::vector<std::string> args) {
    args.insert(args.begin(), {kVigil, "--server", d.url});
    return vigil::e2e::Run(args);
  }

  // kind/name -> resourceVersion of every object as of `revision` (0: now).
  // Controllers inside vigild keep writing status, so comparisons across a
  // restart are made at a fixed revision.
  std::map<std::string, std::string> Versions(const Daemon& d, int64_t revision = 0) {
    client::HttpClient http(Options(d.url));
    std::map<std::string, std::string> versions;
    for (const char* kind : {"Node", "ServiceGroup", "ServiceUnit", "Component",
                             "ServiceInstance"}) {
      auto list = http.List(kind, From(revision));
      EXPECT_TRUE(list.ok()) << list.status();
      if (!list.ok()) continue;
      for (const Json& item : list->items) {
        versions[std::string(kind) + "/" + api::NameOf(item)] = api::ResourceVersionOf(item);
      }
    }
    return versions;
  }

  // The server's current revision.
  int64_t Revision(const Daemon& d) {
    auto list = client::HttpClient(Options(d.url)).List("Node");
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? list->resource_version : 0;
  }

  std::string DataDir() const { return (dir_ / "data").string(); }
  std::filesystem::path dir_;
};

TEST_F(VigildTest, AcknowledgedWritesSurviveKill9WithTheirResourceVersions) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  RunResult applied = Vigil(d, {"apply", "-f", RepoDir() + "/manifests/demo"});
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("servicegroup.vigil.io/web created"));
  const int64_t before_revision = Revision(d);
  std::map<std::string, std::string> before = Versions(d, before_revision);
  // One more acknowledged write, then kill -9 at once.
  client::HttpClient http(Options(d.url));
  auto patched = http.Patch("ServiceGroup", "web",
                            Json::parse(R"({"metadata":{"labels":{"last":"write"}}})"));
  ASSERT_TRUE(patched.ok()) << patched.status();
  d.process->Signal(SIGKILL);
  EXPECT_EQ(d.process->Wait(), 128 + SIGKILL);
  int64_t acknowledged = 0;
  ASSERT_TRUE(absl::SimpleAtoi(api::ResourceVersionOf(*patched), &acknowledged));

  Daemon again = StartDaemon(DataDir());
  ASSERT_FALSE(again.url.empty()) << again.process->Output();
  // Every object, as of the last acknowledged write, with the same versions
  // as the server reported before the kill.
  std::map<std::string, std::string> after = Versions(again, acknowledged);
  EXPECT_FALSE(before.empty());
  EXPECT_EQ(after.size(), before.size());
  EXPECT_EQ(after["ServiceGroup/web"], api::ResourceVersionOf(*patched));
  for (const auto& [object, version] : before) {
    int64_t old_version = 0, new_version = 0;
    ASSERT_TRUE(absl::SimpleAtoi(version, &old_version));
    ASSERT_TRUE(absl::SimpleAtoi(after[object], &new_version)) << object;
    EXPECT_GE(new_version, old_version) << object;
  }
  EXPECT_EQ(Versions(again, before_revision), before);
  RunResult reapplied = Vigil(again, {"apply", "-f", RepoDir() + "/manifests/demo"});
  EXPECT_EQ(reapplied.exit_code, 0) << reapplied.output;
  EXPECT_THAT(reapplied.output, HasSubstr("servicegroup.vigil.io/web unchanged"));
}

TEST_F(VigildTest, WatchFromAnOldRevisionReplaysWhatItMissedAcrossARestart) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  ASSERT_EQ(Vigil(d, {"apply", "-f", RepoDir() + "/manifests/demo"}).exit_code, 0);
  client::HttpClient http(Options(d.url));
  auto list = http.List("ServiceInstance");
  ASSERT_TRUE(list.ok()) << list.status();
  const int64_t seen = list->resource_version;
  std::vector<std::string> versions;
  for (const char* value : {"one", "two"}) {
    auto patched = http.Patch("ServiceInstance", "web-1",
                              Json{{"metadata", {{"labels", {{"step", value}}}}}});
    ASSERT_TRUE(patched.ok()) << patched.status();
    versions.push_back(api::ResourceVersionOf(*patched));
  }
  d.process->Signal(SIGKILL);
  d.process->Wait();

  Daemon again = StartDaemon(DataDir());
  ASSERT_FALSE(again.url.empty());
  client::HttpClient resumed(Options(again.url));
  auto watch = resumed.Watch("ServiceInstance", From(seen));
  ASSERT_TRUE(watch.ok()) << watch.status();
  // Replayed in order, among the controllers' status writes.
  for (const std::string& expected : versions) {
    absl::StatusOr<std::optional<client::WatchEvent>> event;
    do {
      event = (*watch)->Next(std::chrono::seconds(5));
      ASSERT_TRUE(event.ok()) << event.status();
      ASSERT_TRUE(event->has_value()) << "no replayed event with version " << expected;
    } while (api::ResourceVersionOf((*event)->object) != expected);
    EXPECT_EQ((*event)->type, client::WatchEvent::Type::kModified);
    EXPECT_EQ((*event)->object["metadata"]["labels"]["step"],
              expected == versions[0] ? "one" : "two");
  }
  (*watch)->Cancel();
}

TEST_F(VigildTest, SecondVigildOnTheSameDataDirFailsClearly) {
  Daemon first = StartDaemon(DataDir());
  ASSERT_FALSE(first.url.empty());
  RunResult second = vigil::e2e::Run({kVigild, "--data-dir", DataDir(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("in use by another vigild"));
  EXPECT_THAT(second.output, HasSubstr(std::filesystem::path(DataDir()).string()));
}

TEST_F(VigildTest, PortTakenFailsClearly) {
  Daemon first = StartDaemon(DataDir());
  ASSERT_FALSE(first.url.empty());
  const std::string listen = first.url.substr(first.url.find("//") + 2);
  RunResult second = vigil::e2e::Run({kVigild, "--data-dir", (dir_ / "other").string(),
                          "--listen", listen});
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("cannot serve on " + listen));
  EXPECT_THAT(second.output, HasSubstr("in use"));
}

TEST_F(VigildTest, SigtermShutsDownCleanlyWithExitZero) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "kubeconfig"));
  // Terminate kills it after a grace period, so a hung shutdown fails here.
  EXPECT_EQ(d.process->Terminate(), 0) << d.process->Output();
  EXPECT_THAT(d.process->Output(), HasSubstr("received SIGTERM"));
}

TEST_F(VigildTest, RegistersItsOwnNode) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  RunResult nodes = Vigil(d, {"get", "node", "-o", "name"});
  EXPECT_EQ(nodes.exit_code, 0) << nodes.output;
  EXPECT_EQ(nodes.output, "node.vigil.io/local\n");
}

TEST_F(VigildTest, VigilGetWatchPrintsAChange) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  ASSERT_EQ(Vigil(d, {"apply", "-f", RepoDir() + "/manifests/demo"}).exit_code, 0);
  std::unique_ptr<Subprocess> watch =
      Subprocess::Start({kVigil, "--server", d.url, "get", "si", "-w", "-o", "yaml"});
  ASSERT_TRUE(watch->WaitForOutput("name: web-1")) << watch->Output();
  client::HttpClient http(Options(d.url));
  ASSERT_TRUE(http.Patch("ServiceInstance", "web-1",
                         Json::parse(R"({"metadata":{"labels":{"marker":"e2e-change"}}})"))
                  .ok());
  const bool printed = watch->WaitForOutput("marker: e2e-change", std::chrono::seconds(1));
  EXPECT_TRUE(printed) << "no change printed within 1s: " << watch->Output();
  watch->Terminate();
}

// A one-unit service whose exec component says hello and then idles.
constexpr char kHelloManifest[] = R"yaml(
apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: hello}
spec: {redundancyModel: No-Redundancy}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: hello-a}
spec: {serviceGroup: hello, node: local}
---
apiVersion: vigil.io/v1
kind: Component
metadata: {name: hello-a-app}
spec:
  serviceUnit: hello-a
  csTypes: [app]
  exec:
    instantiate: [/bin/sh, -c, 'echo "hello from $VIGIL_COMPONENT as $VIGIL_HA_STATE"; echo "to stderr" >&2; exec sleep 600']
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: hello-1}
spec:
  serviceGroup: hello
  csis: [{name: app, csType: app}]
)yaml";

TEST_F(VigildTest, VigilLogsPrintsWhatAComponentWrote) {
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  const std::string manifest = (dir_ / "hello.yaml").string();
  std::ofstream(manifest) << kHelloManifest;
  ASSERT_EQ(Vigil(d, {"apply", "-f", manifest}).exit_code, 0);
  RunResult logs;
  for (int i = 0; i < 200 && logs.output.find("to stderr") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    logs = Vigil(d, {"logs", "comp", "hello-a-app"});
  }
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_THAT(logs.output, HasSubstr("hello from hello-a-app as Active\n"));
  EXPECT_THAT(logs.output, HasSubstr("to stderr\n"));
  RunResult tail = Vigil(d, {"logs", "component/hello-a-app", "--tail", "1"});
  EXPECT_EQ(tail.exit_code, 0) << tail.output;
  EXPECT_THAT(tail.output, ::testing::Not(HasSubstr("hello from")));
  RunResult missing = Vigil(d, {"logs", "comp", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("not found"));

  // Removing the service stops its process (nothing is left running).
  client::HttpClient http(Options(d.url));
  auto comp = http.Get("Component", "hello-a-app");
  ASSERT_TRUE(comp.ok()) << comp.status();
  const pid_t pid = (*comp)["status"].value("pid", 0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Vigil(d, {"delete", "-f", manifest}).exit_code, 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = kill(pid, 0) != 0;
  }
  EXPECT_TRUE(gone) << "pid " << pid << " still runs";
}

TEST_F(VigildTest, KubectlAndVigilAgreeOnUnchanged) {
  if (system("command -v kubectl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no kubectl";
  Daemon d = StartDaemon(DataDir());
  ASSERT_FALSE(d.url.empty());
  const std::string demo = RepoDir() + "/manifests/demo";
  ASSERT_EQ(Vigil(d, {"apply", "-f", demo}).exit_code, 0);
  const std::string kubeconfig = "--kubeconfig=" + DataDir() + "/kubeconfig";
  RunResult kubectl = vigil::e2e::Run({"/bin/sh", "-c", "kubectl " + kubeconfig + " apply -f " + demo});
  EXPECT_EQ(kubectl.exit_code, 0) << kubectl.output;
  EXPECT_THAT(kubectl.output, HasSubstr("servicegroup.vigil.io/web unchanged"));
  EXPECT_THAT(kubectl.output, ::testing::Not(HasSubstr("configured")));
}

}  // namespace
}  // namespace vigil::e2e
