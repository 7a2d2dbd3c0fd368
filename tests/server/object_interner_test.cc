#include "server/object_interner.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

using api::Json;

Json Version(const std::string& name, const std::string& resource_version, int rank = 1) {
  Json obj = {{"kind", "ServiceInstance"},
              {"metadata", {{"name", name}}},
              {"spec", {{"rank", rank}}}};
  if (!resource_version.empty()) obj["metadata"]["resourceVersion"] = resource_version;
  return obj;
}

TEST(ObjectInterner, HandsOutOneCopyOfAVersionWhileItIsHeld) {
  ObjectInterner interner;
  std::shared_ptr<const Json> first = interner.Intern(Version("si", "5"));
  std::shared_ptr<const Json> second = interner.Intern(Version("si", "5"));
  EXPECT_EQ(first, second);
  EXPECT_EQ(*first, Version("si", "5"));
}

TEST(ObjectInterner, KeepsKindsNamesAndVersionsApart) {
  ObjectInterner interner;
  std::shared_ptr<const Json> si = interner.Intern(Version("x", "5"));
  Json unit = Version("x", "5");
  unit["kind"] = "ServiceUnit";
  EXPECT_NE(interner.Intern(unit), si);
  EXPECT_NE(interner.Intern(Version("y", "5")), si);
  std::shared_ptr<const Json> newer = interner.Intern(Version("x", "6", 2));
  EXPECT_NE(newer, si);
  EXPECT_EQ((*newer)["spec"]["rank"], 2);
}

TEST(ObjectInterner, NeverReturnsAVersionNobodyHolds) {
  ObjectInterner interner;
  std::weak_ptr<const Json> dropped = interner.Intern(Version("si", "5", 1));
  EXPECT_TRUE(dropped.expired());
  // Not a real store's history (one version, one content): it shows the
  // copy came from the caller, not from a stale table entry.
  std::shared_ptr<const Json> again = interner.Intern(Version("si", "5", 7));
  EXPECT_EQ((*again)["spec"]["rank"], 7);
}

TEST(ObjectInterner, DoesNotShareObjectsWithoutAResourceVersion) {
  ObjectInterner interner;
  std::shared_ptr<const Json> first = interner.Intern(Version("si", ""));
  EXPECT_NE(interner.Intern(Version("si", "")), first);
  EXPECT_EQ(interner.size(), 0u);
}

TEST(ObjectInterner, DropsEntriesOfVersionsNoLongerHeld) {
  ObjectInterner interner;
  std::vector<std::shared_ptr<const Json>> held;
  for (int i = 0; i < 10; ++i) held.push_back(interner.Intern(Version("kept" + std::to_string(i), "1")));
  for (int i = 0; i < 10000; ++i) interner.Intern(Version("gone" + std::to_string(i), "1"));
  // Sweeps run whenever the table doubles: what is left is bounded by
  // twice the held versions or the minimum sweep size, not by history.
  EXPECT_LE(interner.size(), 2048u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(interner.Intern(Version("kept" + std::to_string(i), "1")), held[i]);
  }
}

TEST(ObjectInterner, ConcurrentReadersOfOneVersionGetOneCopy) {
  ObjectInterner interner;
  std::shared_ptr<const Json> held = interner.Intern(Version("si", "9"));
  std::vector<std::shared_ptr<const Json>> got(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) got[t] = interner.Intern(Version("si", "9"));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& obj : got) EXPECT_EQ(obj, held);
}

}  // namespace
}  // namespace vigil::server
