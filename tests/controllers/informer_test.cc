#include "controllers/informer.h"

#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "server/registry.h"
#include "store/store.h"

namespace vigil::controllers {
namespace {

using api::Json;
using std::chrono::milliseconds;

Json Group(const std::string& name) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceGroup"},
          {"metadata", {{"name", name}}},
          {"spec", {{"redundancyModel", "2N"}}}};
}

// Records what handlers saw, so tests can wait for a condition on it.
class Recorder {
 public:
  void Record(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
    std::lock_guard lock(mu_);
    const std::string name = api::NameOf(new_obj ? *new_obj : *old_obj);
    if (!old_obj) adds_.insert(name);
    if (old_obj && new_obj) ++updates_;
    if (!new_obj) deletes_.insert(name);
    cv_.notify_all();
  }
  bool WaitFor(std::function<bool()> done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), done);
  }
  std::set<std::string> adds_, deletes_;
  int updates_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
};

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-informer-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::OpenRocksDbStore(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::shared_ptr<store::Store>(std::move(*store));
    registry_ = std::make_unique<server::Registry>(store_);
    registry_->SetAuditSink([](const std::string&) {});
  }
  void TearDown() override {
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Create(const Json& obj) { ASSERT_TRUE(registry_->Create(obj, {}).ok()); }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<server::Registry> registry_;
};

TEST_F(InformerTest, LoadsExistingObjectsThenFollowsChanges) {
  Create(Group("a"));
  Informer informer(registry_.get(), "ServiceGroup");
  Recorder recorder;
  informer.AddHandler([&](const ObjectPtr& o, const ObjectPtr& n) { recorder.Record(o, n); });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  ASSERT_NE(informer.Get("a"), nullptr);

  Create(Group("b"));
  ASSERT_TRUE(registry_->Patch("ServiceGroup", "a", {{"spec", {{"autoRepair", false}}}},
                               false, {}).ok());
  ASSERT_TRUE(registry_->Delete("ServiceGroup", "b", std::nullopt, {}).ok());
  ASSERT_TRUE(recorder.WaitFor([&] { return recorder.deletes_.contains("b"); }));

  EXPECT_EQ(recorder.adds_, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(recorder.updates_, 1);
  EXPECT_EQ(informer.Get("b"), nullptr);
  EXPECT_EQ((*informer.Get("a"))["spec"]["autoRepair"], false);
  EXPECT_EQ(informer.List().size(), 1u);
  informer.Stop();
}

TEST_F(InformerTest, RelistsAfterCompactionWithoutLosingChanges) {
  Informer informer(registry_.get(), "ServiceGroup");
  Recorder recorder;
  informer.AddHandler([&](const ObjectPtr& o, const ObjectPtr& n) { recorder.Record(o, n); });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  for (int i = 0; i < 20; ++i) Create(Group("g" + std::to_string(i)));
  ASSERT_TRUE(store_->Compact(store_->CurrentRevision()).ok());
  Create(Group("late"));
  ASSERT_TRUE(recorder.WaitFor([&] { return recorder.adds_.contains("late"); }));
  EXPECT_EQ(informer.List().size(), 21u);
  informer.Stop();
}

// Through a Registry, informers of one kind hold one copy of each version,
// both after their first list and after a watch event.
TEST_F(InformerTest, InformersOfOneRegistryShareEachVersion) {
  Create(Group("listed"));
  Informer first(registry_.get(), "ServiceGroup");
  Informer second(registry_.get(), "ServiceGroup");
  Recorder first_saw, second_saw;
  first.AddHandler([&](const ObjectPtr& o, const ObjectPtr& n) { first_saw.Record(o, n); });
  second.AddHandler([&](const ObjectPtr& o, const ObjectPtr& n) { second_saw.Record(o, n); });
  ASSERT_TRUE(StartInformers({&first, &second}, milliseconds(5000)).ok());
  EXPECT_EQ(first.Get("listed"), second.Get("listed"));

  Create(Group("watched"));
  for (Recorder* recorder : {&first_saw, &second_saw}) {
    ASSERT_TRUE(recorder->WaitFor([&] { return recorder->adds_.contains("watched"); }));
  }
  ASSERT_NE(first.Get("watched"), nullptr);
  EXPECT_EQ(first.Get("watched"), second.Get("watched"));
  first.Stop();
  second.Stop();
}

TEST_F(InformerTest, StopReturnsPromptlyAndRunsNoHandlerAfterwards) {
  Informer informer(registry_.get(), "ServiceGroup");
  std::atomic<bool> stopped{false};
  std::atomic<bool> late_call{false};
  informer.AddHandler([&](const ObjectPtr&, const ObjectPtr&) {
    if (stopped) late_call = true;
  });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(milliseconds(5000)));
  const auto start = std::chrono::steady_clock::now();
  informer.Stop();
  stopped = true;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  Create(Group("after-stop"));
  EXPECT_FALSE(late_call);
}

}  // namespace
}  // namespace vigil::controllers
