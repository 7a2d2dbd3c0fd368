// Fencing before recovery: the pure decisions (AttemptFence, DecideFence,
// NodeAwaitsFence / UnitReadiness), the real fence methods (a real command
// with a deadline, real libvirt domains on the test:/// driver), and the
// live NodeFencer against a real Registry on RocksDB.
#include "controllers/node_fencer.h"

#include <libvirt/libvirt.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "controllers/snapshot.h"
#include "server/registry.h"
#include "store/store.h"
#include "tests/controllers/controller_objects.h"
#include "virt/hypervisor.h"

namespace vigil::controllers {
namespace {

using api::Json;
using std::chrono::milliseconds;

// Fence methods whose outcomes the test sets; records every call.
class ScriptedMethods : public FenceMethods {
 public:
  absl::Status command_result = absl::OkStatus();
  absl::Status domains_result = absl::OkStatus();
  int commands = 0;
  std::vector<std::string> destroyed;
  std::map<std::string, std::string> last_env;

  absl::Status RunCommand(const std::vector<std::string>&,
                          const std::map<std::string, std::string>& env, milliseconds) override {
    ++commands;
    last_env = env;
    return command_result;
  }
  absl::Status DestroyDomains(const std::string&, const std::vector<std::string>& domains) override {
    destroyed.insert(destroyed.end(), domains.begin(), domains.end());
    return domains_result;
  }
};

FenceTarget Target(std::vector<std::string> command, std::string hypervisor, bool only_vms) {
  FenceTarget target{.node = "n1", .outage = "2026-12-06T00:00:00.000Z"};
  target.fencing.command = std::move(command);
  target.fencing.hypervisor = std::move(hypervisor);
  target.fencing.timeout = milliseconds(1000);
  target.domains = {"vm-a"};
  target.only_vms = only_vms;
  return target;
}

TEST(AttemptFenceTest, HypervisorConfirmsWhenTheNodeRunsOnlyVms) {
  ScriptedMethods methods;
  FenceAttempt attempt = AttemptFence(methods, Target({"fence"}, "qemu:///x", true));
  EXPECT_TRUE(attempt.confirmed);
  EXPECT_EQ(attempt.method, "hypervisor");
  EXPECT_EQ(methods.commands, 0);  // not needed
  EXPECT_EQ(methods.destroyed, std::vector<std::string>{"vm-a"});
}

TEST(AttemptFenceTest, OtherComponentsNeedTheCommand) {
  ScriptedMethods methods;
  FenceAttempt attempt = AttemptFence(methods, Target({"fence"}, "qemu:///x", false));
  EXPECT_TRUE(attempt.confirmed);
  EXPECT_EQ(attempt.method, "command");
  EXPECT_EQ(methods.commands, 1);
  EXPECT_EQ(methods.last_env["VIGIL_NODE"], "n1");
  EXPECT_EQ(methods.last_env["VIGIL_OUTAGE"], "2026-12-06T00:00:00.000Z");

  methods.command_result = absl::UnavailableError("fence command `fence` exited 1");
  attempt = AttemptFence(methods, Target({"fence"}, "qemu:///x", false));
  EXPECT_FALSE(attempt.confirmed);
  EXPECT_NE(attempt.message.find("other components"), std::string::npos) << attempt.message;
  EXPECT_NE(attempt.message.find("exited 1"), std::string::npos) << attempt.message;
}

TEST(AttemptFenceTest, UnreachableHypervisorFallsBackToTheCommand) {
  ScriptedMethods methods;
  methods.domains_result = absl::UnavailableError("hypervisor unreachable");
  FenceAttempt attempt = AttemptFence(methods, Target({"fence"}, "qemu:///x", true));
  EXPECT_TRUE(attempt.confirmed);
  EXPECT_EQ(attempt.method, "command");
  EXPECT_NE(attempt.message.find("unreachable"), std::string::npos) << attempt.message;
}

TEST(DecideFenceTest, ConfirmedIsFenced) {
  api::NodeFencing fencing{.command = {"x"}, .timeout = milliseconds(1000)};
  FenceDecision d = DecideFence(fencing, {.confirmed = true, .method = "command"}, 1,
                                milliseconds(5));
  EXPECT_EQ(d.status.phase, "Fenced");
  EXPECT_EQ(d.status.method, "command");
  EXPECT_FALSE(d.retry);
}

TEST(DecideFenceTest, ProceedAfterTimeoutRetriesUntilTheTimeoutThenProceeds) {
  api::NodeFencing fencing{.command = {"x"}, .timeout = milliseconds(1000)};
  FenceAttempt failed{.confirmed = false, .message = "exited 1"};
  FenceDecision early = DecideFence(fencing, failed, 1, milliseconds(200));
  EXPECT_EQ(early.status.phase, "Fencing");
  EXPECT_TRUE(early.retry);
  FenceDecision late = DecideFence(fencing, failed, 3, milliseconds(1000));
  EXPECT_EQ(late.status.phase, "ProceededUnfenced");
  EXPECT_FALSE(late.retry);
  EXPECT_NE(late.status.message.find("exited 1"), std::string::npos);
}

TEST(DecideFenceTest, WaitForConfirmationNeverProceeds) {
  api::NodeFencing fencing{.command = {"x"},
                           .timeout = milliseconds(1000),
                           .policy = api::FencePolicy::kWaitForConfirmation};
  FenceDecision d = DecideFence(fencing, {.confirmed = false, .message = "no"}, 50,
                                milliseconds(3600 * 1000));
  EXPECT_EQ(d.status.phase, "Fencing");
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.status.attempts, 50);
}

// ---- which units wait for the fence ----

api::Node NotReadyNode(bool fencing, const std::string& outage) {
  api::Node node;
  node.metadata.name = "n1";
  if (fencing) node.spec.fencing.command = {"fence"};
  api::Condition ready;
  ready.type = "Ready";
  ready.status = api::ConditionStatus::kFalse;
  ready.last_transition_time = outage;
  ready.reason = "NodeLeaseExpired";
  node.status.conditions.push_back(ready);
  return node;
}

TEST(NodeAwaitsFenceTest, OnlyAFencingNodeWithoutAVerdictForThisOutage) {
  const std::string outage = "2026-12-06T01:00:00.000Z";
  EXPECT_FALSE(NodeAwaitsFence(NotReadyNode(false, outage)));  // self-fencing only
  api::Node node = NotReadyNode(true, outage);
  EXPECT_TRUE(NodeAwaitsFence(node));
  node.status.fencing = {.phase = "Fencing", .outage = outage};
  EXPECT_TRUE(NodeAwaitsFence(node));
  node.status.fencing = {.phase = "Fenced", .outage = "2026-12-05T00:00:00.000Z"};
  EXPECT_TRUE(NodeAwaitsFence(node));  // a verdict of an earlier outage
  node.status.fencing = {.phase = "Fenced", .outage = outage};
  EXPECT_FALSE(NodeAwaitsFence(node));
  node.status.fencing = {.phase = "ProceededUnfenced", .outage = outage};
  EXPECT_FALSE(NodeAwaitsFence(node));
  node.status.fencing = {};
  node.status.conditions[0].reason = "SelfFenced";  // the agent stopped everything itself
  EXPECT_FALSE(NodeAwaitsFence(node));
  node.status.conditions[0].status = api::ConditionStatus::kTrue;
  node.status.conditions[0].reason = "AgentReady";
  EXPECT_FALSE(NodeAwaitsFence(node));  // Ready
}

TEST(NodeAwaitsFenceTest, UnitsHoldTheirAssignmentsExceptPreInstantiableOnes) {
  const api::Node node = NotReadyNode(true, "2026-12-06T01:00:00.000Z");
  api::ServiceUnit unit;
  unit.spec.node = "n1";
  EXPECT_EQ(UnitReadiness(unit, &node), core::Readiness::kAwaitingFence);
  unit.status.pre_instantiable = true;  // SA-aware: its standbys are promoted
  EXPECT_EQ(UnitReadiness(unit, &node), core::Readiness::kOutOfService);
  unit.status.pre_instantiable = false;
  api::Node fenced = node;
  fenced.status.fencing = {.phase = "Fenced", .outage = "2026-12-06T01:00:00.000Z"};
  EXPECT_EQ(UnitReadiness(unit, &fenced), core::Readiness::kOutOfService);
}

// ---- the real methods ----

class RealFenceMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-fence-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::unique_ptr<FenceMethods> methods_ = MakeFenceMethods();
};

TEST_F(RealFenceMethodsTest, CommandSucceedsWithItsEnvironment) {
  const std::string out = dir_ + "/out";
  absl::Status ran = methods_->RunCommand({"sh", "-c", "echo \"$VIGIL_NODE\" > " + out},
                                          {{"VIGIL_NODE", "n7"}}, milliseconds(5000));
  ASSERT_TRUE(ran.ok()) << ran;
  std::string line;
  std::getline(std::ifstream(out), line);
  EXPECT_EQ(line, "n7");
}

TEST_F(RealFenceMethodsTest, FailingCommandSaysHowAndItsLastLine) {
  absl::Status ran = methods_->RunCommand({"sh", "-c", "echo working; echo 'BMC refused' >&2; exit 3"},
                                          {}, milliseconds(5000));
  EXPECT_TRUE(absl::IsUnavailable(ran)) << ran;
  EXPECT_NE(ran.message().find("exited 3"), std::string::npos) << ran;
  EXPECT_NE(ran.message().find("BMC refused"), std::string::npos) << ran;
}

TEST_F(RealFenceMethodsTest, MissingProgramIsInvalidArgument) {
  absl::Status ran = methods_->RunCommand({"/nonexistent/fence-agent"}, {}, milliseconds(5000));
  EXPECT_TRUE(absl::IsInvalidArgument(ran)) << ran;
}

TEST_F(RealFenceMethodsTest, HungCommandIsCutOffWithItsWholeGroup) {
  const std::string pid_file = dir_ + "/pid";
  const auto before = std::chrono::steady_clock::now();
  absl::Status ran = methods_->RunCommand(
      {"sh", "-c", "sleep 60 & echo $! > " + pid_file + "; wait"}, {}, milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_TRUE(absl::IsDeadlineExceeded(ran)) << ran;
  EXPECT_LT(took, std::chrono::seconds(3));
  pid_t background = 0;
  std::ifstream(pid_file) >> background;
  ASSERT_GT(background, 0);
  // The background sleep was in the command's group: killed too (it may be
  // a zombie of init for a moment).
  for (int i = 0; i < 500 && kill(background, 0) == 0; ++i) {
    std::ifstream stat("/proc/" + std::to_string(background) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    if (state == "Z") break;
    std::this_thread::sleep_for(milliseconds(2));
  }
  std::ifstream stat("/proc/" + std::to_string(background) + "/stat");
  std::string pid, comm, state;
  if (stat >> pid >> comm >> state) {
    EXPECT_EQ(state, "Z");
  }
}

TEST_F(RealFenceMethodsTest, DomainsAreDestroyedThroughTheUri) {
  auto opened = virt::LibvirtHypervisor::Open("test:///default");
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<virt::LibvirtHypervisor> hypervisor = std::move(*opened);
  const std::string name = "fence-" + std::to_string(getpid());
  auto created = hypervisor->CreateTransientDomain(
      "<domain type='test'><name>" + name +
      "</name><memory>8192</memory><os><type>hvm</type></os></domain>");
  ASSERT_TRUE(created.ok()) << created.status();
  absl::Status fenced = methods_->DestroyDomains("test:///default", {name, "never-defined"});
  ASSERT_TRUE(fenced.ok()) << fenced;
  EXPECT_TRUE(absl::IsNotFound(hypervisor->LookupDomain(name)));  // transient: gone when off
  // Once more: nothing runs, still fenced.
  EXPECT_TRUE(methods_->DestroyDomains("test:///default", {name}).ok());
}

TEST_F(RealFenceMethodsTest, UnreachableHypervisorIsAnError) {
  absl::Status fenced = methods_->DestroyDomains(
      "qemu+unix:///system?socket=/nonexistent/libvirt-sock", {"vm"});
  EXPECT_FALSE(fenced.ok());
}

// ---- the live fencer ----

class NodeFencerLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-fencer-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::OpenRocksDbStore(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ = std::make_unique<server::Registry>(
        std::shared_ptr<store::Store>(std::move(*store)));
    registry_->SetAuditSink([](const std::string&) {});
  }
  void TearDown() override {
    fencer_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartFencer() {
    NodeFencerOptions options;
    options.retry_interval = milliseconds(50);
    options.log = [](const std::string&) {};
    fencer_ = std::make_unique<NodeFencer>(registry_.get(), options);
    ASSERT_TRUE(fencer_->Start().ok());
  }
  // A node whose lease expired at `outage`, with `fencing` as its spec.fencing.
  void CreateLostNode(const std::string& name, Json fencing, const std::string& outage) {
    Json node = testing::ReadyNode(name);
    if (!fencing.is_null()) node["spec"]["fencing"] = fencing;
    absl::StatusOr<Json> created = registry_->Create(node);
    ASSERT_TRUE(created.ok()) << created.status();
    (*created)["status"] = {{"conditions",
                             {{{"type", "Ready"},
                               {"status", "False"},
                               {"reason", "NodeLeaseExpired"},
                               {"lastTransitionTime", outage}}}}};
    ASSERT_TRUE(registry_->UpdateStatus(*created).ok());
  }
  Json Fencing(const std::string& node) {
    absl::StatusOr<Json> obj = registry_->Get("Node", node);
    return obj.ok() ? obj->value("status", Json::object()).value("fencing", Json::object())
                    : Json::object();
  }
  bool WaitForPhase(const std::string& node, const std::string& phase,
                    milliseconds timeout = milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fencing(node).value("phase", "") != phase) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }
  int Lines(const std::string& path) {
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  std::string dir_;
  std::unique_ptr<server::Registry> registry_;
  std::unique_ptr<NodeFencer> fencer_;
};

TEST_F(NodeFencerLiveTest, CommandFencesEachOutageExactlyOnce) {
  const std::string calls = dir_ + "/calls";
  const std::string outage = "2026-12-06T01:00:00.000Z";
  CreateLostNode("n1", {{"command", {"sh", "-c", "echo \"$VIGIL_NODE $VIGIL_OUTAGE\" >> " + calls}}},
                 outage);
  ASSERT_NO_FATAL_FAILURE(StartFencer());
  ASSERT_TRUE(WaitForPhase("n1", "Fenced")) << Fencing("n1").dump();
  const Json fencing = Fencing("n1");
  EXPECT_EQ(fencing["outage"], outage);
  EXPECT_EQ(fencing["method"], "command");
  EXPECT_EQ(fencing["attempts"], 1);
  std::this_thread::sleep_for(milliseconds(500));  // scans, node changes
  EXPECT_EQ(Lines(calls), 1);
  std::string line;
  std::getline(std::ifstream(calls), line);
  EXPECT_EQ(line, "n1 " + outage);
}

TEST_F(NodeFencerLiveTest, UnconfirmedFenceProceedsAfterTheTimeoutAndSaysSo) {
  CreateLostNode("n1", {{"command", {"false"}}, {"timeout", "300ms"}},
                 "2026-12-06T01:00:00.000Z");
  ASSERT_NO_FATAL_FAILURE(StartFencer());
  ASSERT_TRUE(WaitForPhase("n1", "ProceededUnfenced")) << Fencing("n1").dump();
  const Json fencing = Fencing("n1");
  EXPECT_GE(fencing.value("attempts", 0), 2);
  EXPECT_NE(fencing.value("message", "").find("exited 1"), std::string::npos) << fencing.dump();
}

TEST_F(NodeFencerLiveTest, WaitForConfirmationKeepsTryingAndRecoveryWaits) {
  const std::string outage = "2026-12-06T01:00:00.000Z";
  CreateLostNode("n1",
                 {{"command", {"false"}}, {"timeout", "100ms"}, {"policy", "WaitForConfirmation"}},
                 outage);
  ASSERT_NO_FATAL_FAILURE(StartFencer());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Fencing("n1").value("attempts", 0) < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const Json fencing = Fencing("n1");
  EXPECT_EQ(fencing.value("phase", ""), "Fencing") << fencing.dump();
  EXPECT_GE(fencing.value("attempts", 0), 3) << fencing.dump();
  absl::StatusOr<Json> node = registry_->Get("Node", "n1");
  ASSERT_TRUE(node.ok());
  absl::StatusOr<api::Node> typed = api::FromJson<api::Node>(*node);
  ASSERT_TRUE(typed.ok());
  EXPECT_TRUE(NodeAwaitsFence(*typed));
}

TEST_F(NodeFencerLiveTest, NodeWithoutFencingIsNotedNotSilent) {
  CreateLostNode("n1", Json(), "2026-12-06T01:00:00.000Z");
  ASSERT_NO_FATAL_FAILURE(StartFencer());
  ASSERT_TRUE(WaitForPhase("n1", "NotConfigured")) << Fencing("n1").dump();
  EXPECT_NE(Fencing("n1").value("message", "").find("self"), std::string::npos);
}

}  // namespace
}  // namespace vigil::controllers
