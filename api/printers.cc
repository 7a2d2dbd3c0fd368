#include "api/printers.h"

#include <functional>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

using Path = std::vector<const char*>;

// Reads obj at a path of keys ({"status", "activeUnits"}); null when absent.
const Json& At(const Json& obj, const Path& path) {
  static const auto* const kNull = new Json();
  const Json* node = &obj;
  for (const char* key : path) {
    if (!node->is_object()) return *kNull;
    auto it = node->find(key);
    if (it == node->end()) return *kNull;
    node = &*it;
  }
  return *node;
}

std::string ConditionStatus(const Json& obj, std::string_view type) {
  const Json& conditions = At(obj, {"status", "conditions"});
  if (!conditions.is_array()) return "Unknown";
  for (const Json& condition : conditions) {
    if (condition.is_object() && condition.value("type", "") == type &&
        condition.value("status", Json()).is_string()) {
      return condition["status"].get<std::string>();
    }
  }
  return "Unknown";
}

std::string JoinStrings(const Json& list) {
  if (!list.is_array()) return "";
  std::vector<std::string> names;
  for (const Json& item : list) {
    if (item.is_string()) names.push_back(item.get<std::string>());
  }
  return absl::StrJoin(names, ",");
}

std::string ComponentType(const Json& obj) {
  for (const char* type : {"exec", "saAware", "virtualMachine"}) {
    if (!At(obj, {"spec", type}).is_null()) return type;
  }
  return "";
}

std::string AssignedInstances(const Json& obj) {
  const Json& assigned = At(obj, {"status", "assignedInstances"});
  const Json& total = At(obj, {"status", "totalInstances"});
  return Cat(assigned.is_number_integer() ? assigned.get<int64_t>() : 0, "/",
             total.is_number_integer() ? total.get<int64_t>() : 0);
}

using CellFn = std::function<Json(const Json&)>;

struct Column {
  PrinterColumn definition;
  CellFn cell;
};

// A string column read from `path`; absent or non-string values show as "".
Column Text(std::string name, std::string description, Path path,
            int priority = 0) {
  return {{std::move(name), "string", std::move(description), priority},
          [path](const Json& obj) {
            const Json& value = At(obj, path);
            return value.is_string() ? value : Json("");
          }};
}

// An integer column read from `path`; absent values show as 0.
Column Number(std::string name, std::string description, Path path,
              int priority = 0) {
  return {{std::move(name), "integer", std::move(description), priority},
          [path](const Json& obj) {
            const Json& value = At(obj, path);
            return value.is_number_integer() ? value : Json(0);
          }};
}

Column Computed(std::string name, std::string description, CellFn cell,
                int priority = 0) {
  return {{std::move(name), "string", std::move(description), priority},
          std::move(cell)};
}

Column Admin() {
  return Text("Admin", "Administrative state.", {"spec", "adminState"});
}

std::vector<Column> NodeColumns() {
  return {Admin(),
          Computed("Ready", "Whether the node's agent is ready.",
                   [](const Json& obj) { return ConditionStatus(obj, "Ready"); }),
          Text("Fencing", "Fencing of the latest outage.", {"status", "fencing", "phase"}, 1),
          Text("Hypervisor", "libvirt URI.", {"spec", "hypervisor"}, 1)};
}

std::vector<Column> ServiceGroupColumns() {
  return {Text("Model", "Redundancy model.", {"spec", "redundancyModel"}),
          Admin(),
          Number("Active", "Units holding an active assignment.",
                 {"status", "activeUnits"}),
          Number("Standby", "Units holding a standby assignment.",
                 {"status", "standbyUnits"}),
          Computed("Assigned", "Service instances assigned / total.",
                   AssignedInstances)};
}

std::vector<Column> ServiceUnitColumns() {
  return {Text("Group", "Service group.", {"spec", "serviceGroup"}),
          Text("Node", "Node.", {"spec", "node"}),
          Number("Rank", "Rank (1 most preferred, 0 unranked).", {"spec", "rank"}),
          Admin(),
          Text("Presence", "Presence state.", {"status", "presenceState"}),
          Text("Readiness", "Readiness state.", {"status", "readinessState"}),
          Number("Active", "Active assignments.", {"status", "activeAssignments"}),
          Number("Standby", "Standby assignments.",
                 {"status", "standbyAssignments"})};
}

std::vector<Column> ComponentColumns() {
  return {Text("Unit", "Service unit.", {"spec", "serviceUnit"}),
          Computed("Type", "exec, saAware or virtualMachine.", ComponentType),
          Text("Presence", "Presence state.", {"status", "presenceState"}),
          Text("HA", "HA state.", {"status", "haState"}),
          Number("PID", "Process ID.", {"status", "pid"}, 1),
          Number("Restarts", "Restarts so far.", {"status", "restartCount"})};
}

std::vector<Column> ServiceInstanceColumns() {
  return {Text("Group", "Service group.", {"spec", "serviceGroup"}),
          Text("State", "Assignment state.", {"status", "assignmentState"}),
          Computed("Active", "Units holding the active assignment.",
                   [](const Json& obj) {
                     return JoinStrings(At(obj, {"status", "activeUnits"}));
                   }),
          Computed("Standby", "Units holding a standby assignment.",
                   [](const Json& obj) {
                     return JoinStrings(At(obj, {"status", "standbyUnits"}));
                   }),
          Number("Rank", "Rank (1 assigned first, 0 unranked).", {"spec", "rank"},
                 1)};
}

std::vector<Column> OperationColumns() {
  return {Text("Action", "What the operation does.", {"spec", "action"}),
          Text("Target", "What it acts on.", {"spec", "target"}),
          Text("Phase", "Pending, Running, Succeeded or Failed.",
               {"status", "phase"})};
}

std::vector<Column> LeaseColumns() {
  return {Text("Holder", "The agent holding the lease.", {"spec", "holderIdentity"}),
          Text("Duration", "Expires this long after its last renewal.",
               {"spec", "leaseDuration"}),
          Text("Renewed", "When it was last renewed.", {"spec", "renewTime"})};
}

std::vector<Column> IncidentColumns() {
  return {Computed("Failed", "The failed Component or Node.",
                   [](const Json& obj) {
                     const Json& kind = At(obj, {"spec", "failedKind"});
                     const Json& name = At(obj, {"spec", "failedName"});
                     return Json(Cat(kind.is_string() ? kind.get<std::string>() : "", "/",
                                     name.is_string() ? name.get<std::string>() : ""));
                   }),
          Text("Source", "What detected the failure.", {"spec", "source"}),
          Text("Phase", "Open, Recovered or Closed.", {"status", "phase"}),
          Text("Recovery", "Failover, Restart or None.", {"status", "recoveryAction"}),
          Text("Reaction", "Failure to first reaction.", {"status", "durations", "reaction"}),
          Text("Outage", "Failure to service recovered.", {"status", "durations", "outage"}),
          Text("Repair", "First reaction to unit repaired.", {"status", "durations", "repair"}),
          Text("Reason", "The failure as reported.", {"spec", "reason"}, 1)};
}

std::vector<Column> KindColumns(std::string_view kind) {
  if (kind == "Node") return NodeColumns();
  if (kind == "ServiceGroup") return ServiceGroupColumns();
  if (kind == "ServiceUnit") return ServiceUnitColumns();
  if (kind == "Component") return ComponentColumns();
  if (kind == "ServiceInstance") return ServiceInstanceColumns();
  if (kind == "Operation") return OperationColumns();
  if (kind == "Lease") return LeaseColumns();
  if (kind == "Incident") return IncidentColumns();
  return {};
}

const PrinterColumn kNameColumn = {
    "Name", "string",
    "Name must be unique within a kind. More info: "
    "http://kubernetes.io/docs/user-guide/identifiers#names",
    0};
const PrinterColumn kAgeColumn = {
    "Age", "date", "Time since the object was created (metadata.creationTimestamp).",
    0};

// "%dm%ds"-style: the major unit, then the minor one unless it is zero.
std::string TwoUnits(int64_t major, const char* major_unit, int64_t minor,
                     const char* minor_unit) {
  if (minor == 0) return Cat(major, major_unit);
  return Cat(major, major_unit, minor, minor_unit);
}

// Kubernetes' HumanDuration, which kubectl shows in the Age column.
std::string HumanDuration(int64_t seconds) {
  if (seconds < 60 * 2) return Cat(seconds, "s");
  const int64_t minutes = seconds / 60;
  if (minutes < 10) return TwoUnits(minutes, "m", seconds % 60, "s");
  if (minutes < 60 * 3) return Cat(minutes, "m");
  const int64_t hours = minutes / 60;
  if (hours < 8) return TwoUnits(hours, "h", minutes % 60, "m");
  if (hours < 48) return Cat(hours, "h");
  if (hours < 24 * 8) return TwoUnits(hours / 24, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return Cat(hours / 24, "d");
  const int64_t days = hours / 24;
  if (hours < 24 * 365 * 8) return TwoUnits(days / 365, "y", days % 365, "d");
  return Cat(days / 365, "y");
}

}  // namespace

std::string FormatAge(std::string_view rfc3339,
                      std::chrono::system_clock::time_point now) {
  absl::Time created;
  std::string error;
  if (rfc3339.empty() ||
      !absl::ParseTime(absl::RFC3339_full, ToAbsl(rfc3339), &created, &error)) {
    return "<unknown>";
  }
  const int64_t seconds = absl::ToInt64Seconds(absl::FromChrono(now) - created);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  return HumanDuration(seconds);
}

std::vector<PrinterColumn> PrinterColumns(std::string_view kind) {
  std::vector<PrinterColumn> columns = {kNameColumn};
  for (const Column& column : KindColumns(kind)) {
    columns.push_back(column.definition);
  }
  columns.push_back(kAgeColumn);
  return columns;
}

Json PrinterCells(const Json& obj) {
  return PrinterCells(obj, std::chrono::system_clock::now());
}

Json PrinterCells(const Json& obj, std::chrono::system_clock::time_point now) {
  Json cells = Json::array();
  cells.push_back(NameOf(obj));
  for (const Column& column : KindColumns(KindOf(obj))) {
    cells.push_back(column.cell(obj));
  }
  const Json& created = At(obj, {"metadata", "creationTimestamp"});
  cells.push_back(FormatAge(created.is_string() ? created.get<std::string>() : "",
                            now));
  return cells;
}

}  // namespace vigil::api
