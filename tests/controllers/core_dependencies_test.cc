// SI dependencies (sponsor first, tolerance time) and CSI ordering.
#include "controllers/core_dependencies.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controllers/core_harness.h"

namespace vigil::core::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void ExpectClean(const CoreWorld& w) {
  EXPECT_THAT(w.failures(), IsEmpty()) << w.History();
}

bool Activates(const Decision& d, const std::string& si) {
  for (const Change& c : d.changes) {
    if (c.instance == si && c.ha_state == HaState::kActive &&
        c.kind != ChangeKind::kRemove) {
      return true;
    }
  }
  return false;
}

// 2N on a, b, c: "web" depends on "ip" in the same group.
CoreWorld WebOnIp(absl::Duration tolerance) {
  CoreWorld w(RedundancyModel::kTwoN);
  w.AddUnit("a", 1);
  w.AddUnit("b", 2);
  w.AddUnit("c", 3);
  w.AddInstance("ip", 2);
  InstanceSpec& web = w.AddInstance("web", 1);
  web.depends_on.push_back({"ip", tolerance});
  return w;
}

TEST(Dependencies, DependentGoesActiveOnlyAfterItsSponsor) {
  CoreWorld w = WebOnIp(absl::ZeroDuration());
  Decision first = w.Step();
  EXPECT_TRUE(Activates(first, "ip"));
  EXPECT_FALSE(Activates(first, "web"));
  EXPECT_EQ(w.StandbyOf("web"), "b");  // standbys need no sponsor
  bool noted = false;
  for (const InstanceNote& n : first.notes) {
    if (n.instance == "web") {
      noted = true;
      EXPECT_THAT(n.message, HasSubstr("sponsor ip"));
    }
  }
  EXPECT_TRUE(noted);
  w.ConfirmAll();
  Decision second = w.Step();
  EXPECT_TRUE(Activates(second, "web"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("web"), "a");
  ExpectClean(w);
}

TEST(Dependencies, FailoverPromotesTheSponsorBeforeTheDependent) {
  CoreWorld w = WebOnIp(absl::ZeroDuration());
  w.Settle();
  w.Fail("a");
  Decision d = w.Step();
  EXPECT_TRUE(Activates(d, "ip"));
  EXPECT_FALSE(Activates(d, "web"));
  w.ConfirmAll();
  EXPECT_TRUE(Activates(w.Step(), "web"));
  w.ConfirmAll();
  w.Settle();
  EXPECT_EQ(w.ActiveOf("ip"), "b");
  EXPECT_EQ(w.ActiveOf("web"), "b");
  EXPECT_EQ(w.StandbyOf("web"), "c");
  ExpectClean(w);
}

TEST(Dependencies, ToleranceKeepsTheDependentActiveThenRemovesIt) {
  CoreWorld w(RedundancyModel::kTwoN);
  w.AddUnit("a", 1);
  w.AddUnit("b", 2);
  w.AddInstance("web", 1).depends_on.push_back({"db", absl::Seconds(2)});
  w.SetExternalSponsor("db", true);
  w.Settle();
  ASSERT_EQ(w.ActiveOf("web"), "a");
  absl::Time lost = w.now();
  w.SetExternalSponsor("db", false);
  Decision d = w.Step();
  EXPECT_THAT(d.changes, IsEmpty());
  EXPECT_EQ(d.requeue_at, lost + absl::Seconds(2));
  w.Advance(absl::Seconds(1));
  EXPECT_THAT(w.Step().changes, IsEmpty());
  w.Advance(absl::Seconds(1));
  d = w.Step();
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kRemove);
  EXPECT_EQ(d.changes[0].cause, ChangeCause::kDependency);
  EXPECT_EQ(d.changes[0].reason,
            "dependency: sponsor db not active beyond its 2s tolerance");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("web"), "");
  EXPECT_EQ(w.StandbyOf("web"), "b");  // kept, ready for the sponsor
  w.SetExternalSponsor("db", true);
  d = w.Step();
  EXPECT_EQ(d.changes[0].reason, "failover: standby b promoted");
  w.Settle();
  EXPECT_EQ(w.ActiveOf("web"), "b");
  ExpectClean(w);
}

TEST(Dependencies, SponsorBackWithinToleranceChangesNothing) {
  CoreWorld w(RedundancyModel::kTwoN);
  w.AddUnit("a", 1);
  w.AddUnit("b", 2);
  w.AddInstance("web", 1).depends_on.push_back({"db", absl::Seconds(5)});
  w.SetExternalSponsor("db", true);
  w.Settle();
  w.SetExternalSponsor("db", false);
  w.Advance(absl::Seconds(3));
  EXPECT_THAT(w.Step().changes, IsEmpty());
  w.SetExternalSponsor("db", true);
  w.Advance(absl::Seconds(10));
  EXPECT_THAT(w.Step().changes, IsEmpty());
  EXPECT_EQ(w.ActiveOf("web"), "a");
  ExpectClean(w);
}

TEST(Dependencies, UnknownSponsorNeverLetsTheSiGoActive) {
  CoreWorld w(RedundancyModel::kNoRedundancy);
  w.AddUnit("a", 1);
  w.AddInstance("web", 1).depends_on.push_back({"ghost", absl::Seconds(1)});
  w.Settle();
  EXPECT_EQ(w.ActiveOf("web"), "");
  ExpectClean(w);
}

TEST(CsiOrder, SponsorsComeFirstAndDeclaredOrderIsKept) {
  InstanceSpec si;
  si.name = "stream";
  si.csis = {{"player", {"storage", "ip"}},
             {"ip", {}},
             {"monitor", {}},
             {"storage", {"ip"}}};
  absl::StatusOr<std::vector<std::string>> order = OrderCsis(si);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_THAT(*order, ElementsAre("ip", "monitor", "storage", "player"));
}

TEST(CsiOrder, CycleIsAnError) {
  InstanceSpec si;
  si.name = "loop";
  si.csis = {{"x", {"y"}}, {"y", {"x"}}};
  absl::StatusOr<std::vector<std::string>> order = OrderCsis(si);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(order.status().message(), HasSubstr("cycle"));
}

TEST(CsiOrder, UnknownCsiIsAnError) {
  InstanceSpec si;
  si.name = "broken";
  si.csis = {{"x", {"nope"}}};
  absl::StatusOr<std::vector<std::string>> order = OrderCsis(si);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(order.status().message(), HasSubstr("unknown CSI nope"));
}

}  // namespace
}  // namespace vigil::core::testing
