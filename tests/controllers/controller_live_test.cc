// The live AssignmentController against a real Registry on a RocksDB store,
// with a fake node agent that confirms HA states by writing unit statuses.
#include "controllers/assignment_controller.h"

#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/registry.h"
#include "store/store.h"
#include "tests/controllers/controller_objects.h"

namespace vigil::controllers {
namespace {

using api::Json;
using std::chrono::milliseconds;
using testing::Group;
using testing::InServiceStatus;
using testing::Instance;
using testing::ReadyNode;
using testing::Unit;

// Plays every node agent: each unit reports (in status.haStates) exactly the
// HA states its SIs' assignments ask for, unless it is Disabled, in which
// case it is cleaned up (reports nothing). Reacts to SI and SU changes.
class FakeAgent {
 public:
  explicit FakeAgent(client::Client* client)
      : client_(client), instances_(client, "ServiceInstance"), units_(client, "ServiceUnit") {
    auto wake = [this](const ObjectPtr&, const ObjectPtr&) {
      std::lock_guard lock(mu_);
      dirty_ = true;
      cv_.notify_all();
    };
    instances_.AddHandler(wake);
    units_.AddHandler(wake);
  }
  ~FakeAgent() { Stop(); }

  void Start() {
    instances_.Start();
    units_.Start();
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    instances_.Stop();
    units_.Stop();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait(lock, [this] { return dirty_ || stopping_; });
      dirty_ = false;
      lock.unlock();
      SyncAll();
      lock.lock();
    }
  }
  void SyncAll() {
    std::map<std::string, Json> wanted;
    for (const ObjectPtr& si : instances_.List()) {
      const Json status = si->value("status", Json::object());
      for (const Json& a : status.value("assignments", Json::array())) {
        wanted[a["unit"]].push_back(
            {{"serviceInstance", api::NameOf(*si)}, {"haState", a["haState"]}});
      }
    }
    for (const ObjectPtr& unit : units_.List()) {
      const Json status = unit->value("status", Json::object());
      const std::string name = api::NameOf(*unit);
      Json reach = status.value("operState", "") == "Disabled" || !wanted.count(name)
                       ? Json::array()
                       : wanted[name];
      if (status.value("haStates", Json::array()) == reach) continue;
      Json patch = {{"status", {{"haStates", reach.empty() ? Json(nullptr) : reach}}}};
      (void)client_->Patch("ServiceUnit", name, patch, /*status=*/true);
    }
  }

  client::Client* client_;
  Informer instances_, units_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// The registry, except that status writes of one ServiceInstance wait until
// Release(): a group whose writes are slow (a disk that stalls, a conflict
// storm) for as long as a test wants.
class HoldingClient : public client::Client {
 public:
  HoldingClient(client::Client* inner, std::string held_instance)
      : inner_(inner), held_(std::move(held_instance)) {}
  ~HoldingClient() override { Release(); }

  // Waits (bounded, generously) until a write of the held SI is waiting.
  bool WaitUntilHolding() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return holding_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  absl::StatusOr<Json> UpdateStatus(const Json& obj, const client::WriteOptions& options) override {
    if (api::KindOf(obj) == "ServiceInstance" && api::NameOf(obj) == held_) {
      std::unique_lock lock(mu_);
      ++holding_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    return inner_->UpdateStatus(obj, options);
  }
  absl::StatusOr<Json> Get(const std::string& kind, const std::string& name) override {
    return inner_->Get(kind, name);
  }
  absl::StatusOr<client::ObjectList> List(const std::string& kind,
                                          const client::ListOptions& options) override {
    return inner_->List(kind, options);
  }
  absl::StatusOr<Json> Create(const Json& obj, const client::WriteOptions& options) override {
    return inner_->Create(obj, options);
  }
  absl::StatusOr<Json> Update(const Json& obj, const client::WriteOptions& options) override {
    return inner_->Update(obj, options);
  }
  absl::StatusOr<Json> Patch(const std::string& kind, const std::string& name, const Json& patch,
                             bool status, const client::WriteOptions& options) override {
    return inner_->Patch(kind, name, patch, status, options);
  }
  absl::StatusOr<Json> Delete(const std::string& kind, const std::string& name,
                              std::optional<int64_t> expected_resource_version,
                              const client::WriteOptions& options) override {
    return inner_->Delete(kind, name, expected_resource_version, options);
  }
  absl::StatusOr<std::unique_ptr<client::WatchStream>> Watch(
      const std::string& kind, const client::ListOptions& options) override {
    return inner_->Watch(kind, options);
  }

 private:
  client::Client* const inner_;
  const std::string held_;
  std::mutex mu_;
  std::condition_variable cv_;
  int holding_ = 0;
  bool released_ = false;
};

class ControllerLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-controller-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::OpenRocksDbStore(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ = std::make_unique<server::Registry>(
        std::shared_ptr<store::Store>(std::move(*store)));
    registry_->SetAuditSink([](const std::string&) {});
    watcher_ = std::make_unique<Informer>(registry_.get(), "ServiceInstance");
    op_watcher_ = std::make_unique<Informer>(registry_.get(), "Operation");
    for (Informer* w : {watcher_.get(), op_watcher_.get()}) {
      w->AddHandler([this](const ObjectPtr&, const ObjectPtr&) {
        std::lock_guard lock(mu_);
        ++events_;
        cv_.notify_all();
      });
      w->Start();
    }
    agent_ = std::make_unique<FakeAgent>(registry_.get());
  }
  void TearDown() override {
    controller_.reset();
    agent_.reset();
    watcher_.reset();
    op_watcher_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Create(Json obj) {
    Json status = obj.value("status", Json());
    absl::StatusOr<Json> created = registry_->Create(obj);
    ASSERT_TRUE(created.ok()) << created.status();
    if (status.is_null()) return;
    (*created)["status"] = status;
    ASSERT_TRUE(registry_->UpdateStatus(*created).ok());
  }
  void Patch(const std::string& kind, const std::string& name, const Json& patch,
             bool status) {
    absl::StatusOr<Json> patched = registry_->Patch(kind, name, patch, status);
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
  // Runs the controller through `client` (default: the registry itself).
  void StartController(client::Client* client = nullptr) {
    AssignmentControllerOptions options;
    options.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      log_.push_back(line);
    };
    options.sync_timeout = std::chrono::seconds(10);
    controller_ =
        std::make_unique<AssignmentController>(client ? client : registry_.get(), options);
    ASSERT_TRUE(controller_->Start().ok());
  }
  // A 2N group with units `a` on n1 (rank 1) and `b` on n2 (rank 2), in
  // service for an hour, and one SI.
  void CreateTwoN(const std::string& group, const std::string& a, const std::string& b,
                  const std::string& si) {
    Create(Group(group, "2N"));
    Create(Unit(a, group, "n1", 1, InServiceStatus(absl::Now() - absl::Hours(1))));
    Create(Unit(b, group, "n2", 2, InServiceStatus(absl::Now() - absl::Hours(1))));
    Create(Instance(si, group));
  }
  // Two ready nodes, the 2N group g (units a, b; SI s); controller and
  // agent running.
  void StartTwoN() {
    Create(ReadyNode("n1"));
    Create(ReadyNode("n2"));
    CreateTwoN("g", "a", "b", "s");
    agent_->Start();
    StartController();
  }

  Json Get(const std::string& kind, const std::string& name) {
    absl::StatusOr<Json> obj = registry_->Get(kind, name);
    return obj.ok() ? *obj : Json();
  }
  // Waits until `done` holds, re-checking on every SI / Operation event (and
  // every 20 ms for conditions no event announces); false after 10 s.
  bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::unique_lock lock(mu_);
      const int seen = events_;
      cv_.wait_for(lock, milliseconds(20), [&] { return events_ != seen; });
    }
    return true;
  }
  Json StatusOf(const std::string& kind, const std::string& name) {
    Json status = Get(kind, name).value("status", Json::object());
    return status.is_object() ? status : Json::object();
  }
  // The SI's units by state, once every assignment is confirmed; "" if not.
  std::string Settled(const std::string& si) {
    const Json status = Get("ServiceInstance", si).value("status", Json::object());
    std::string out;
    for (const Json& a : status.value("assignments", Json::array())) {
      if (!a.value("confirmed", false)) return "";
      out += a.value("haState", "") + ":" + a.value("unit", "") + " ";
    }
    return out;
  }
  std::vector<std::string> Log() {
    std::lock_guard lock(mu_);
    return log_;
  }

  std::string dir_;
  std::unique_ptr<server::Registry> registry_;
  std::unique_ptr<Informer> watcher_, op_watcher_;
  std::unique_ptr<FakeAgent> agent_;
  std::unique_ptr<AssignmentController> controller_;
  std::mutex mu_;
  std::condition_variable cv_;
  int events_ = 0;
  std::vector<std::string> log_;
};

TEST_F(ControllerLiveTest, InitialAssignmentOfA2NGroup) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }))
      << Get("ServiceInstance", "s").dump(2);
  const Json si = Get("ServiceInstance", "s")["status"];
  EXPECT_EQ(si["assignmentState"], "FullyAssigned");
  EXPECT_EQ(si["assignments"][0]["node"], "n1");
  EXPECT_EQ(si["conditions"][0]["status"], "True");
  ASSERT_TRUE(WaitFor([&] {
    return StatusOf("ServiceGroup", "g").value("assignedInstances", 0) == 1;
  }));
  const Json sg = Get("ServiceGroup", "g")["status"];
  EXPECT_EQ(sg["conditions"][0], Json::parse(R"({"type": "Available", "status": "True",
      "observedGeneration": 1, "reason": "AllInstancesActive",
      "lastTransitionTime": ")" + sg["conditions"][0].value("lastTransitionTime", "") + "\"}"));
  AssignmentControllerStats stats = controller_->stats();
  EXPECT_GT(stats.group_reconciles, 0);
  std::cout << "reconciles " << stats.reconciles << ", CPU per group reconcile: decide "
            << absl::FormatDuration(stats.AverageDecideCpu()) << ", total "
            << absl::FormatDuration(stats.AverageTotalCpu()) << " (max "
            << absl::FormatDuration(stats.max_total_cpu) << ")\n";
  EXPECT_LT(stats.AverageDecideCpu(), absl::Milliseconds(5));
}

TEST_F(ControllerLiveTest, FailoverWhenTheActiveUnitIsDisabledThenRepair) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }));
  Patch("ServiceUnit", "a", {{"status", {{"operState", "Disabled"}}}}, true);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b "; }))
      << Get("ServiceInstance", "s").dump(2);
  std::vector<std::string> log = Log();
  EXPECT_THAT(log, ::testing::Contains(::testing::HasSubstr("promote s on b to Active")));
  EXPECT_THAT(log, ::testing::Not(::testing::Contains(::testing::HasSubstr("Quiesced"))));
  EXPECT_EQ(Get("ServiceInstance", "s")["status"]["assignmentState"], "PartiallyAssigned");
  // Repaired: back in service, it takes the standby (no auto-adjust).
  Json back = InServiceStatus(absl::Now());
  Patch("ServiceUnit", "a", {{"status", back}}, true);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b Standby:a "; }));
}

// The paper's two-layer architecture under one control plane: node "guest"
// runs inside the VM of SI vm-1. When that VM loses its active assignment,
// the units on "guest" fail at once (no heartbeat timeout) and the service
// inside fails over to the unit on the other node.
TEST_F(ControllerLiveTest, NestedNodeFailsTheMomentItsVmLosesItsActiveAssignment) {
  Create(ReadyNode("host"));
  Create(ReadyNode("other"));
  Json guest = ReadyNode("guest");
  guest["spec"]["hostedBy"] = "vm-1";
  Create(guest);
  Create(Group("vms", "No-Redundancy"));
  Create(Unit("vm-u", "vms", "host", 1, InServiceStatus(absl::Now() - absl::Hours(1))));
  Create(Instance("vm-1", "vms"));
  agent_->Start();
  StartController();
  // The guest is up once its VM's SI is confirmed active.
  ASSERT_TRUE(WaitFor([&] { return Settled("vm-1") == "Active:vm-u "; }));
  Create(Group("g", "2N"));
  Create(Unit("a", "g", "guest", 1, InServiceStatus(absl::Now() - absl::Hours(1))));
  Create(Unit("b", "g", "other", 2, InServiceStatus(absl::Now() - absl::Hours(1))));
  Create(Instance("s", "g"));
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }))
      << Get("ServiceInstance", "s").dump(2);
  Patch("ServiceUnit", "vm-u", {{"status", {{"operState", "Disabled"}}}}, true);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b "; }))
      << Get("ServiceInstance", "s").dump(2);
  // The VM is repaired: the guest's unit comes back as the standby.
  Patch("ServiceUnit", "vm-u", {{"status", InServiceStatus(absl::Now())}}, true);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b Standby:a "; }))
      << Get("ServiceInstance", "s").dump(2);
}

TEST_F(ControllerLiveTest, AdminLockSwitchesOverGracefully) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }));
  Patch("ServiceUnit", "a", {{"spec", {{"adminState", "Locked"}}}}, false);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b "; }))
      << Get("ServiceInstance", "s").dump(2);
  EXPECT_THAT(Log(), ::testing::Contains(::testing::HasSubstr("set s on a to Quiesced")));
  Patch("ServiceUnit", "a", {{"spec", {{"adminState", "Unlocked"}}}}, false);
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b Standby:a "; }));
}

TEST_F(ControllerLiveTest, SiSwapThroughAnOperation) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }));
  Create(testing::SwapOp("swap-1", "s", api::NowRfc3339()));
  ASSERT_TRUE(WaitFor([&] {
    return StatusOf("Operation", "swap-1").value("phase", "") == "Succeeded";
  })) << Get("Operation", "swap-1").dump(2) << ::testing::PrintToString(Log())
     << " conflicts " << controller_->stats().conflicts;
  const Json op = StatusOf("Operation", "swap-1");
  EXPECT_EQ(op["fromUnit"], "a");
  EXPECT_FALSE(op.value("completionTime", "").empty());
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:b Standby:a "; }));
  EXPECT_FALSE(StatusOf("ServiceGroup", "g").value("lastAdjustment", "").empty());
  // An operation on a missing SI fails.
  Create(testing::SwapOp("swap-2", "nope", api::NowRfc3339()));
  ASSERT_TRUE(WaitFor([&] {
    return StatusOf("Operation", "swap-2").value("phase", "") == "Failed";
  }));
  EXPECT_EQ(Get("Operation", "swap-2")["status"]["message"],
            "ServiceInstance nope not found");
}

TEST_F(ControllerLiveTest, DeletingTheGroupReleasesItsInstances) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }));
  ASSERT_TRUE(registry_->Delete("ServiceGroup", "g").ok());
  ASSERT_TRUE(WaitFor([&] {
    return StatusOf("ServiceInstance", "s").value("message", "") ==
           "ServiceGroup g not found";
  })) << Get("ServiceInstance", "s").dump(2);
  EXPECT_FALSE(StatusOf("ServiceInstance", "s").contains("assignments"));
  EXPECT_EQ(StatusOf("ServiceInstance", "s")["assignmentState"], "Unassigned");
}

TEST_F(ControllerLiveTest, RestartOfTheControllerDisturbsNothing) {
  StartTwoN();
  ASSERT_TRUE(WaitFor([&] { return Settled("s") == "Active:a Standby:b "; }));
  ASSERT_TRUE(WaitFor([&] {
    return StatusOf("ServiceGroup", "g").value("assignedInstances", 0) == 1;
  }));
  controller_.reset();
  const Json si_before = Get("ServiceInstance", "s");
  const Json sg_before = Get("ServiceGroup", "g");
  StartController();
  ASSERT_TRUE(WaitFor([&] { return controller_->stats().group_reconciles >= 1; }));
  // Every key queued at start has been reconciled once the queue drains;
  // poke the group again (an event) and let that reconcile finish too.
  Patch("ServiceGroup", "g", {{"metadata", {{"labels", {{"touched", "yes"}}}}}}, false);
  ASSERT_TRUE(WaitFor([&] { return controller_->stats().group_reconciles >= 2; }));
  controller_->Stop();
  EXPECT_EQ(controller_->stats().writes, 0);
  EXPECT_EQ(Get("ServiceInstance", "s"), si_before);
  EXPECT_EQ(Get("ServiceGroup", "g")["status"], sg_before["status"]);
}

// One group's slow status writes do not hold up another group: the workers
// reconcile different groups at once (with a single worker, `free` would
// wait for `held`'s write, here for good).
TEST_F(ControllerLiveTest, AGroupWhoseWritesHangDoesNotHoldUpAnother) {
  Create(ReadyNode("n1"));
  Create(ReadyNode("n2"));
  CreateTwoN("g1", "a1", "b1", "held");
  agent_->Start();
  HoldingClient holding(registry_.get(), "held");
  StartController(&holding);
  ASSERT_TRUE(holding.WaitUntilHolding());

  CreateTwoN("g2", "a2", "b2", "free");
  EXPECT_TRUE(WaitFor([&] { return Settled("free") == "Active:a2 Standby:b2 "; }))
      << Get("ServiceInstance", "free").dump(2);
  EXPECT_EQ(Settled("held"), "");

  holding.Release();
  EXPECT_TRUE(WaitFor([&] { return Settled("held") == "Active:a1 Standby:b1 "; }))
      << Get("ServiceInstance", "held").dump(2);
  controller_.reset();  // before `holding`, which it writes through
}

}  // namespace
}  // namespace vigil::controllers
