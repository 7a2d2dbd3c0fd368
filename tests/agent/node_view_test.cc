// ReadNodeView with its parse cache, and the cheap SI pre-filter.
#include "agent/node_view.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/api/test_objects.h"

namespace vigil::agent {
namespace {

using api::testing::ParseOne;
using controllers::ObjectPtr;

ObjectPtr Unit(const std::string& name, const std::string& node) {
  return std::make_shared<const api::Json>(ParseOne(
      "kind: ServiceUnit\nmetadata: {name: " + name + "}\nspec: {serviceGroup: g, node: " + node +
      ", rank: 1}\n"));
}

ObjectPtr Instance(const std::string& name, const std::string& unit, const std::string& state) {
  return std::make_shared<const api::Json>(ParseOne(
      "kind: ServiceInstance\nmetadata: {name: " + name +
      "}\nspec: {serviceGroup: g, csis: [{name: a, csType: t}]}\nstatus:\n  assignments: [{unit: " +
      unit + ", node: x, haState: " + state + ", confirmed: true}]\n"));
}

TEST(AssignedToAny, ReadsOnlyTheAssignedUnits) {
  const auto is_u1 = [](const std::string& unit) { return unit == "u1"; };
  EXPECT_TRUE(AssignedToAny(*Instance("s", "u1", "Active"), is_u1));
  EXPECT_FALSE(AssignedToAny(*Instance("s", "u2", "Active"), is_u1));
  EXPECT_FALSE(AssignedToAny(ParseOne("kind: ServiceInstance\nmetadata: {name: s}\n"), is_u1));
  EXPECT_FALSE(AssignedToAny(ParseOne("kind: ServiceInstance\nstatus: {assignments: [3, {unit: 4}]}\n"),
                             is_u1));
}

TEST(ReadNodeView, KeepsOnlyInstancesAssignedToTheNodesUnits) {
  NodeViewCache cache;
  NodeViewSources sources;
  sources.units = {Unit("u1", "n1"), Unit("u2", "n2")};
  sources.instances = {Instance("s1", "u1", "Active"), Instance("s2", "u2", "Active")};
  const NodeView view = ReadNodeView("n1", sources, cache);
  ASSERT_EQ(view.instances.size(), 1u);
  EXPECT_TRUE(view.instances.contains("s1"));
  ASSERT_EQ(view.assignments.at("u1").size(), 1u);
  EXPECT_EQ(view.assignments.at("u1")[0].ha_state, api::HaState::kActive);
}

TEST(ReadNodeView, SeesANewSnapshotOfAnObjectItParsedBefore) {
  NodeViewCache cache;
  NodeViewSources sources;
  sources.units = {Unit("u1", "n1")};
  sources.instances = {Instance("s1", "u1", "Standby")};
  ASSERT_EQ(ReadNodeView("n1", sources, cache).assignments.at("u1")[0].ha_state,
            api::HaState::kStandby);
  sources.instances = {Instance("s1", "u1", "Active")};  // same name, new snapshot
  EXPECT_EQ(ReadNodeView("n1", sources, cache).assignments.at("u1")[0].ha_state,
            api::HaState::kActive);
}

TEST(ReadNodeView, ForgetsObjectsThatAreGone) {
  NodeViewCache cache;
  NodeViewSources sources;
  sources.units = {Unit("u1", "n1")};
  sources.instances = {Instance("s1", "u1", "Active")};
  ASSERT_EQ(ReadNodeView("n1", sources, cache).instances.size(), 1u);
  sources.instances.clear();
  EXPECT_TRUE(ReadNodeView("n1", sources, cache).instances.empty());
  sources.units.clear();
  EXPECT_TRUE(ReadNodeView("n1", sources, cache).units.empty());
}

TEST(ParsedObjects, ReportsAnUnreadableObjectAndKeepsTheOthers) {
  ParsedObjects<api::ServiceUnit> parsed;
  const auto& entries = parsed.Read(
      {Unit("u1", "n1"),
       std::make_shared<const api::Json>(ParseOne("kind: ServiceUnit\nmetadata: {name: bad}\n"
                                                  "spec: {rank: notanumber}\n")),
       nullptr});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries.at("u1").typed.ok());
  EXPECT_FALSE(entries.at("bad").typed.ok());
}

}  // namespace
}  // namespace vigil::agent
