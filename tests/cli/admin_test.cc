// vigil lock|unlock|lock-instantiation|unlock-instantiation|shutdown|
// repaired|drain against a real API server: argument parsing, the AMF
// transitions and their refusals, the patches made, and the progress lines
// and verdicts while waiting. No controller runs here: where a test needs
// assignments to move, the test itself writes the SI's status through the
// server, as the assignment controller would (tests/e2e/node_admin_test.cc
// runs the real controller and agents).
#include <future>
#include <thread>

#include "api/object.h"
#include "cli/admin_state.h"
#include "tests/cli/cli_fixture.h"

namespace vigil::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using api::AdminState;
using api::Json;

TEST(AdminState, TransitionsFollowAmf) {
  const api::KindInfo& node = *api::FindKind("node");
  const api::KindInfo& si = *api::FindKind("si");
  auto next = [](AdminVerb verb, const api::KindInfo& kind, AdminState from) {
    return NextAdminState(verb, kind, from, "x/y");
  };
  EXPECT_EQ(*next(AdminVerb::kLock, node, AdminState::kUnlocked), AdminState::kLocked);
  EXPECT_EQ(*next(AdminVerb::kLock, node, AdminState::kShuttingDown), AdminState::kLocked);
  EXPECT_EQ(*next(AdminVerb::kLock, node, AdminState::kLocked), AdminState::kLocked);  // no-op
  EXPECT_EQ(*next(AdminVerb::kUnlock, node, AdminState::kShuttingDown), AdminState::kUnlocked);
  EXPECT_EQ(*next(AdminVerb::kLockInstantiation, node, AdminState::kLocked),
            AdminState::kLockedInstantiation);
  EXPECT_EQ(*next(AdminVerb::kUnlockInstantiation, node, AdminState::kLockedInstantiation),
            AdminState::kLocked);
  EXPECT_EQ(*next(AdminVerb::kShutdown, node, AdminState::kUnlocked), AdminState::kShuttingDown);
  EXPECT_EQ(*next(AdminVerb::kUnlock, si, AdminState::kLocked), AdminState::kUnlocked);

  absl::StatusOr<AdminState> refused =
      NextAdminState(AdminVerb::kUnlock, node, AdminState::kLockedInstantiation, "node/n1");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_EQ(refused.status().message(),
            "cannot unlock node/n1: it is LockedInstantiation (valid now: unlock-instantiation)");
  EXPECT_EQ(next(AdminVerb::kLockInstantiation, node, AdminState::kUnlocked).status().message(),
            "cannot lock-instantiation x/y: it is Unlocked (valid now: lock, shutdown, drain)");
  EXPECT_EQ(next(AdminVerb::kShutdown, node, AdminState::kLocked).status().message(),
            "cannot shutdown x/y: it is Locked (valid now: unlock, lock-instantiation)");
  EXPECT_EQ(next(AdminVerb::kShutdown, si, AdminState::kUnlocked).status().message(),
            "shutdown applies to node, su, sg; not to si");
  EXPECT_EQ(CheckVerbKind(AdminVerb::kRepaired, *api::FindKind("sg")).message(),
            "repaired applies to node, su; not to sg");
  EXPECT_EQ(ParseAdminVerb("unlockk").status().message(),
            "unknown admin command \"unlockk\" (one of lock, unlock, lock-instantiation, "
            "unlock-instantiation, shutdown, repaired, drain)");
}

// Nodes n1 and n2; a 2N group g with unit a on n1 and b on n2; SI web.
class AdminTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    std::string yaml;
    for (const char* node : {"n1", "n2"}) {
      yaml += std::string("apiVersion: vigil.io/v1\nkind: Node\nmetadata: {name: ") + node +
              "}\nspec: {}\n---\n";
    }
    yaml += GroupYaml("g") + "---\n";
    for (const auto& [unit, node] : {std::pair{"a", "n1"}, std::pair{"b", "n2"}}) {
      yaml += std::string("apiVersion: vigil.io/v1\nkind: ServiceUnit\nmetadata: {name: ") +
              unit + "}\nspec: {serviceGroup: g, node: " + node + "}\n---\n";
    }
    yaml += InstanceYaml("web", "g");
    Write("cluster.yaml", yaml);
    CliResult applied = Vigil({"apply", "-f", ManifestDir()});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }

  std::string AdminStateOf(const std::string& kind, const std::string& name) {
    absl::StatusOr<Json> obj = registry().Get(kind, name);
    return obj.ok() ? obj->value("spec", Json::object()).value("adminState", "Unlocked") : "?";
  }

  // Writes the SI's assignments, each {unit, node, haState, confirmed}.
  void Assign(const std::vector<std::tuple<std::string, std::string, std::string, bool>>& list,
              const std::string& message = "") {
    Json assignments = Json::array();
    for (const auto& [unit, node, ha, confirmed] : list) {
      assignments.push_back({{"unit", unit}, {"node", node}, {"haState", ha},
                             {"since", "2026-12-06T00:00:00.000Z"}, {"confirmed", confirmed}});
    }
    Json status = {{"assignments", assignments}};
    if (!message.empty()) status["message"] = message;
    absl::StatusOr<Json> patched =
        registry().Patch("ServiceInstance", "web", {{"status", status}}, true);
    ASSERT_TRUE(patched.ok()) << patched.status();
  }

  // Runs vigil in the background; its output can be read while it runs.
  struct Background {
    SyncStringBuf out_buf, err_buf;
    std::ostream out{&out_buf}, err{&err_buf};
    std::istringstream in;
    std::future<int> exit_code;
  };
  std::unique_ptr<Background> Start(std::vector<std::string> args) {
    auto run = std::make_unique<Background>();
    args.insert(args.begin(), {"--server", url_});
    Background* raw = run.get();
    run->exit_code = std::async(std::launch::async, [raw, args] {
      return RunVigil(args, {&raw->in, &raw->out, &raw->err, nullptr});
    });
    return run;
  }
  // Polls until `needle` is in the background command's output (10 s).
  bool WaitOutput(Background& run, const std::string& needle) {
    for (int i = 0; i < 5000; ++i) {
      if (run.out_buf.Snapshot().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
};

TEST_F(AdminTest, LockWithoutWaitingPatchesTheAdminState) {
  CliResult locked = Vigil({"lock", "node", "n1", "--wait=false"});
  EXPECT_EQ(locked.exit_code, 0) << locked.err;
  EXPECT_EQ(locked.out, "node/n1: Unlocked -> Locked\n");
  EXPECT_EQ(AdminStateOf("Node", "n1"), "Locked");
  CliResult again = Vigil({"lock", "node/n1", "--wait=false"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "node/n1 already Locked\n");
  CliResult li = Vigil({"lock-instantiation", "nodes", "n1", "--wait=false"});
  EXPECT_EQ(li.exit_code, 0) << li.err;
  EXPECT_EQ(AdminStateOf("Node", "n1"), "LockedInstantiation");

  for (const char* kind : {"su", "serviceunit", "ServiceUnit.vigil.io"}) {
    EXPECT_EQ(Vigil({"shutdown", kind, "a", "--wait=false"}).exit_code, 0) << kind;
    EXPECT_EQ(AdminStateOf("ServiceUnit", "a"), "ShuttingDown");
    EXPECT_EQ(Vigil({"unlock", kind, "a", "--wait=false"}).exit_code, 0) << kind;
  }
  EXPECT_EQ(Vigil({"lock", "sg/g", "--wait=false"}).out, "sg/g: Unlocked -> Locked\n");
  EXPECT_EQ(Vigil({"lock", "si", "web", "--wait=false"}).out, "si/web: Unlocked -> Locked\n");
  EXPECT_EQ(AdminStateOf("ServiceInstance", "web"), "Locked");
}

TEST_F(AdminTest, InvalidTransitionsAreRefusedNamingStateAndValidCommands) {
  ASSERT_EQ(Vigil({"lock", "node", "n1", "--wait=false"}).exit_code, 0);
  ASSERT_EQ(Vigil({"lock-instantiation", "node", "n1", "--wait=false"}).exit_code, 0);
  CliResult unlock = Vigil({"unlock", "node", "n1"});
  EXPECT_EQ(unlock.exit_code, 1);
  EXPECT_EQ(unlock.err,
            "error: cannot unlock node/n1: it is LockedInstantiation (valid now: "
            "unlock-instantiation)\n");
  EXPECT_EQ(AdminStateOf("Node", "n1"), "LockedInstantiation");
  CliResult li = Vigil({"lock-instantiation", "su", "a"});
  EXPECT_EQ(li.exit_code, 1);
  EXPECT_THAT(li.err, HasSubstr("cannot lock-instantiation su/a: it is Unlocked "
                                "(valid now: lock, shutdown)"));
  EXPECT_EQ(Vigil({"unlock-instantiation", "node", "n1", "--wait=false"}).out,
            "node/n1: LockedInstantiation -> Locked\n");
  EXPECT_EQ(Vigil({"unlock", "node", "n1", "--wait=false"}).out, "node/n1: Locked -> Unlocked\n");
}

TEST_F(AdminTest, BadArgumentsSayWhatIsValid) {
  CliResult comp = Vigil({"lock", "comp", "x"});
  EXPECT_EQ(comp.exit_code, 1);
  EXPECT_EQ(comp.err, "error: lock applies to node, su, sg, si; not to comp\n");
  EXPECT_EQ(Vigil({"shutdown", "si/web"}).err, "error: shutdown applies to node, su, sg; not to si\n");
  EXPECT_EQ(Vigil({"drain", "su", "a"}).err, "error: drain applies to node; not to su\n");
  EXPECT_EQ(Vigil({"lock", "node"}).err,
            "error: lock takes one object: vigil lock KIND NAME (or KIND/NAME)\n");
  EXPECT_EQ(Vigil({"lock", "node", "n1", "n2"}).exit_code, 1);
  EXPECT_THAT(Vigil({"lock", "nod", "n1"}).err,
              HasSubstr("the server doesn't have a resource type \"nod\""));
  CliResult timeout = Vigil({"lock", "node", "n1", "--timeout", "soon"});
  EXPECT_EQ(timeout.exit_code, 1);
  EXPECT_THAT(timeout.err, HasSubstr("invalid --timeout \"soon\""));
  EXPECT_EQ(AdminStateOf("Node", "n1"), "Unlocked");  // nothing was sent
  CliResult missing = Vigil({"lock", "node", "n9"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("(NotFound)"));
  CliResult drain = Vigil({"drain", "node", "n1", "--wait=false"});
  EXPECT_EQ(drain.exit_code, 1);
  EXPECT_THAT(drain.err, HasSubstr("drain waits for each step"));
  CliResult help = Vigil({"drain", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("live-migrated where their SIs go"));
}

TEST_F(AdminTest, LockFollowsTheSwitchoverUntilTheNodeHoldsNothing) {
  Assign({{"a", "n1", "Active", true}, {"b", "n2", "Standby", true}});
  std::unique_ptr<Background> lock = Start({"lock", "node", "n1", "--timeout", "20s"});
  ASSERT_TRUE(WaitOutput(*lock, "si/web: active a on n1, standby b on n2\n"
                               "node/n1: Unlocked -> Locked\n"))
      << lock->out_buf.Snapshot() << lock->err_buf.Snapshot();
  EXPECT_EQ(AdminStateOf("Node", "n1"), "Locked");
  // What the assignment controller writes for a graceful switchover.
  Assign({{"a", "n1", "Quiesced", true}, {"b", "n2", "Standby", true}});
  ASSERT_TRUE(WaitOutput(*lock, "si/web: quiesced on a on n1\n")) << lock->out_buf.Snapshot();
  Assign({{"a", "n1", "Quiesced", true}, {"b", "n2", "Active", false}});
  Assign({{"a", "n1", "Quiesced", true}, {"b", "n2", "Active", true}});
  ASSERT_TRUE(WaitOutput(*lock, "si/web: active b on n2 (was a on n1) \u2713\n"))
      << lock->out_buf.Snapshot();
  EXPECT_EQ(lock->exit_code.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "done while a still held the SI";
  Assign({{"b", "n2", "Active", true}});
  ASSERT_EQ(lock->exit_code.get(), 0) << lock->err_buf.Snapshot();
  EXPECT_THAT(lock->out_buf.Snapshot(), HasSubstr("si/web: no standby (was b on n2)\n"));
}

TEST_F(AdminTest, LockFailsWhenNoOtherUnitCanTakeTheSi) {
  Assign({{"a", "n1", "Active", true}});
  std::unique_ptr<Background> lock = Start({"lock", "su", "a", "--timeout", "20s"});
  ASSERT_TRUE(WaitOutput(*lock, "si/web: active a on n1, standby none\nsu/a: Unlocked -> Locked\n"))
      << lock->err_buf.Snapshot();
  Assign({}, "no unit in service can take it");
  ASSERT_EQ(lock->exit_code.get(), 1);
  EXPECT_EQ(lock->err_buf.Snapshot(),
            "error: lock of su/a: si/web has no active assignment: no other unit can take it "
            "(no unit in service can take it); su/a stays Locked (vigil unlock su/a gives the "
            "work back)\n");
}

TEST_F(AdminTest, WaitingStopsAtTheTimeoutSayingWhatIsMissing) {
  Assign({{"a", "n1", "Active", true}});
  const auto start = std::chrono::steady_clock::now();
  CliResult lock = Vigil({"lock", "node", "n1", "--timeout", "1s"});
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(lock.exit_code, 1);
  EXPECT_THAT(lock.err, HasSubstr("error: timed out waiting for lock of node/n1: still "
                                  "assigned: si/web Active on a (after 1s;"));
  CliResult unlock = Vigil({"unlock", "si", "web", "--timeout", "5s"});
  EXPECT_EQ(unlock.exit_code, 0) << "already Unlocked: " << unlock.err;
}

TEST_F(AdminTest, RepairedCreatesAnOperationOnlyForAFailedUnit) {
  CliResult healthy = Vigil({"repaired", "su", "a"});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.err;
  EXPECT_EQ(healthy.out, "su/a is not failed (operState Enabled): nothing to repair\n");
  ASSERT_TRUE(registry()
                  .Patch("ServiceUnit", "a",
                         {{"status", {{"operState", "Disabled"},
                                      {"lastFailure", {{"reason", "exited 1"}}}}}},
                         true)
                  .ok());
  CliResult repaired = Vigil({"repaired", "node/n1", "--wait=false"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_THAT(repaired.out, HasSubstr("node/n1: su/a Disabled\noperation/repaired-n1-"));
  absl::StatusOr<client::ObjectList> ops = registry().List("Operation");
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->items.size(), 1u);
  EXPECT_EQ(ops->items[0]["spec"], Json::parse(R"({"action": "Repaired", "target": "n1"})"));
  // No agent runs here: waiting ends at the timeout with the operation's state.
  CliResult waited = Vigil({"repaired", "su", "a", "--timeout", "1s"});
  EXPECT_EQ(waited.exit_code, 1);
  EXPECT_THAT(waited.err, HasSubstr("timed out waiting for repaired of su/a: operation/repaired-a-"));
}

TEST_F(AdminTest, DescribeShowsTheAssignmentsHeldAndTheLockInProgress) {
  Assign({{"a", "n1", "Quiesced", true}, {"b", "n2", "Standby", true}});
  ASSERT_EQ(Vigil({"lock", "node", "n1", "--wait=false"}).exit_code, 0);
  CliResult node = Vigil({"describe", "node", "n1"});
  EXPECT_EQ(node.exit_code, 0) << node.err;
  EXPECT_THAT(node.out, HasSubstr("Assignments:\n  Instance"));
  EXPECT_THAT(node.out, HasSubstr("web "));
  EXPECT_THAT(node.out, HasSubstr("Quiesced"));
  EXPECT_THAT(node.out, HasSubstr("In Progress:\n  lock in progress: 1 assignment still here: "
                                  "si/web Quiesced on a\n"));
  CliResult unit = Vigil({"describe", "su", "b"});
  EXPECT_THAT(unit.out, HasSubstr("Standby"));
  EXPECT_THAT(unit.out, HasSubstr("In Progress:  <none>\n"));
  Assign({{"b", "n2", "Active", true}});
  EXPECT_THAT(Vigil({"describe", "node", "n1"}).out,
              HasSubstr("Assignments:  <none>\nIn Progress:  <none>\n"));
}

}  // namespace
}  // namespace vigil::cli::testing
