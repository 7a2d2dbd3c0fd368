#include "api/printers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "tests/api/test_objects.h"

namespace vigil::api {
namespace {

using std::chrono::system_clock;
using testing::ParseOne;

system_clock::time_point At(const char* rfc3339) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) << error;
  return absl::ToChronoTime(time);
}

std::vector<std::string> ColumnNames(std::string_view kind) {
  std::vector<std::string> names;
  for (const PrinterColumn& column : PrinterColumns(kind)) {
    names.push_back(column.priority == 0 ? column.name : column.name + "(wide)");
  }
  return names;
}

TEST(PrinterColumns, PerKindAsTheResourceModelLists) {
  using ::testing::ElementsAre;
  EXPECT_THAT(ColumnNames("Node"),
              ElementsAre("Name", "Admin", "Ready", "Fencing(wide)", "Hypervisor(wide)", "Age"));
  EXPECT_THAT(ColumnNames("ServiceGroup"),
              ElementsAre("Name", "Model", "Admin", "Active", "Standby", "Assigned",
                          "Age"));
  EXPECT_THAT(ColumnNames("ServiceUnit"),
              ElementsAre("Name", "Group", "Node", "Rank", "Admin", "Presence",
                          "Readiness", "Active", "Standby", "Age"));
  EXPECT_THAT(ColumnNames("Component"),
              ElementsAre("Name", "Unit", "Type", "Presence", "HA", "PID(wide)",
                          "Restarts", "Age"));
  EXPECT_THAT(ColumnNames("ServiceInstance"),
              ElementsAre("Name", "Group", "State", "Active", "Standby",
                          "Rank(wide)", "Age"));
  EXPECT_THAT(ColumnNames("Operation"),
              ElementsAre("Name", "Action", "Target", "Phase", "Age"));
  EXPECT_THAT(ColumnNames("Pod"), ElementsAre("Name", "Age"));
  for (const PrinterColumn& column : PrinterColumns("ServiceUnit")) {
    EXPECT_FALSE(column.description.empty()) << column.name;
    EXPECT_THAT(column.type, ::testing::AnyOf("string", "integer", "date"));
  }
  EXPECT_EQ(PrinterColumns("ServiceUnit")[3].type, "integer");
  EXPECT_EQ(PrinterColumns("Node").back().type, "date");
}

TEST(PrinterCells, ServiceGroupWithStatus) {
  Json sg = ParseOne(R"yaml(apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vlc, creationTimestamp: "2026-11-25T10:00:00Z"}
spec: {redundancyModel: N+M, adminState: Locked}
status: {activeUnits: 2, standbyUnits: 1, assignedInstances: 3, totalInstances: 4}
)yaml");
  EXPECT_EQ(PrinterCells(sg, At("2026-11-25T10:05:00Z")),
            Json::parse(R"(["vlc", "N+M", "Locked", 2, 1, "3/4", "5m"])"));
}

TEST(PrinterCells, MissingStatusShowsEmptyOrZero) {
  Json su = ParseOne(testing::kServiceUnitYaml);
  EXPECT_EQ(PrinterCells(su, At("2026-11-25T10:00:00Z")),
            Json::parse(R"(["vlc-a", "vlc", "hv1", 1, "", "", "", 0, 0, "<unknown>"])"));
  Json sg = ParseOne(testing::kServiceGroupYaml);
  EXPECT_EQ(PrinterCells(sg, At("2026-11-25T10:00:00Z"))[5], "0/0");
}

TEST(PrinterCells, NodeComponentAndInstance) {
  const auto now = At("2026-11-25T12:00:00Z");
  Json node = ParseOne(R"yaml(kind: Node
metadata: {name: hv1, creationTimestamp: "2026-11-25T11:59:15Z"}
spec: {adminState: Unlocked, hypervisor: "qemu:///system"}
status: {conditions: [{type: Other, status: "False"}, {type: Ready, status: "True"}],
         fencing: {phase: Fenced}}
)yaml");
  EXPECT_EQ(PrinterCells(node, now),
            Json::parse(R"(["hv1", "Unlocked", "True", "Fenced", "qemu:///system", "45s"])"));
  Json comp = ParseOne(testing::kComponentYaml);
  comp["status"] = {{"presenceState", "Instantiated"}, {"haState", "Active"},
                    {"pid", 4242}, {"restartCount", 2}};
  EXPECT_EQ(PrinterCells(comp, now),
            Json::parse(R"(["vlc-a-player", "vlc-a", "exec", "Instantiated", "Active",
                            4242, 2, "<unknown>"])"));
  Json si = ParseOne(testing::kServiceInstanceYaml);
  si["status"] = {{"assignmentState", "FullyAssigned"},
                  {"activeUnits", {"vlc-a"}},
                  {"standbyUnits", {"vlc-b", "vlc-c"}}};
  EXPECT_EQ(PrinterCells(si, now),
            Json::parse(R"(["stream-1", "vlc", "FullyAssigned", "vlc-a",
                            "vlc-b,vlc-c", 0, "<unknown>"])"));
}

TEST(PrinterCells, Operation) {
  Json op = ParseOne(testing::kOperationYaml);
  op["status"] = {{"phase", "Running"}};
  EXPECT_EQ(PrinterCells(op, At("2026-11-25T12:00:00Z")),
            Json::parse(R"(["swap-1", "SwapServiceInstance", "stream-1",
                            "Running", "<unknown>"])"));
}

TEST(PrinterCells, NeverThrowsOnOddDocuments) {
  EXPECT_EQ(PrinterCells(Json()).size(), 2u);
  EXPECT_EQ(PrinterCells(Json::parse(R"({"kind": "ServiceGroup", "spec": 3,
      "status": {"activeUnits": "x"}, "metadata": []})"))
                .size(),
            7u);
  Json node = Json::parse(R"({"kind": "Node", "status": {"conditions": [1, {"type": "Ready"}]}})");
  EXPECT_EQ(PrinterCells(node)[2], "Unknown");
}

TEST(FormatAge, LikeKubectl) {
  const auto created = "2026-11-25T10:00:00Z";
  const auto base = At(created);
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "0s"},          {45, "45s"},         {119, "119s"},      {120, "2m"},
      {130, "2m10s"},     {599, "9m59s"},      {600, "10m"},       {10799, "179m"},
      {3 * 3600, "3h"},   {3 * 3600 + 1200, "3h20m"}, {8 * 3600, "8h"},
      {47 * 3600, "47h"}, {48 * 3600, "2d"},   {53 * 3600, "2d5h"}, {8 * 86400, "8d"},
      {729 * 86400, "729d"}, {730 * 86400, "2y"}, {760 * 86400, "2y30d"},
      {8 * 365 * 86400, "8y"},
  };
  for (const auto& [seconds, age] : cases) {
    EXPECT_EQ(FormatAge(created, base + std::chrono::seconds(seconds)), age) << seconds;
  }
  EXPECT_EQ(FormatAge(created, base - std::chrono::milliseconds(500)), "0s");
  EXPECT_EQ(FormatAge(created, base - std::chrono::seconds(5)), "<invalid>");
  EXPECT_EQ(FormatAge("", base), "<unknown>");
  EXPECT_EQ(FormatAge("yesterday", base), "<unknown>");
  EXPECT_EQ(FormatAge("2026-11-25T09:59:59.5Z", base), "0s");
}

}  // namespace
}  // namespace vigil::api
