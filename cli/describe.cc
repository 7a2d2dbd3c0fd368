// vigil describe: one object in human-readable form — metadata, spec,
// status, conditions, SI assignments (for a node or unit: the assignments
// held there and any admin operation in progress), and the objects related
// to it (an SG's units and instances, a unit's components, a node's units).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/printers.h"
#include "cli/admin_view.h"
#include "cli/commands.h"
#include "cli/describe_format.h"
#include "cli/describe_incident.h"
#include "cli/kinds.h"
#include "cli/merge.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

using api::Json;

// Related objects: those of `kind` whose spec.`field` names the described one.
struct Relation {
  std::string described_kind;
  std::string title;
  std::string kind;
  std::string field;
};

const std::vector<Relation>& Relations() {
  static const auto* relations = new std::vector<Relation>{
      {"ServiceGroup", "Units", "ServiceUnit", "serviceGroup"},
      {"ServiceGroup", "Instances", "ServiceInstance", "serviceGroup"},
      {"ServiceUnit", "Components", "Component", "serviceUnit"},
      {"Node", "Units", "ServiceUnit", "node"},
  };
  return *relations;
}

std::string MapText(const Json& map, bool hide_last_applied) {
  if (!map.is_object() || map.empty()) return "<none>";
  std::vector<std::string> pairs;
  for (const auto& [key, value] : map.items()) {
    if (hide_last_applied && key == kLastAppliedAnnotation) continue;
    pairs.push_back(absl::StrCat(key, "=", value.is_string() ? value.get<std::string>()
                                                             : value.dump()));
  }
  return pairs.empty() ? "<none>" : absl::StrJoin(pairs, "\n              ");
}

std::string DescribeMetadata(const Json& obj) {
  const Json meta = obj.value("metadata", Json::object());
  std::string created = meta.value("creationTimestamp", "");
  std::string text = absl::StrCat(
      "Name:         ", api::NameOf(obj), "\n",
      "Kind:         ", api::KindOf(obj), "\n",
      "Labels:       ", MapText(meta.value("labels", Json()), false), "\n",
      "Annotations:  ", MapText(meta.value("annotations", Json()), true), "\n",
      "Created:      ", created.empty() ? "<unknown>" : created,
      created.empty() ? "" : absl::StrCat(" (", AgeOf(created), " ago)"), "\n",
      "Generation:   ", api::GenerationOf(obj), "\n",
      "Version:      ", api::ResourceVersionOf(obj), "\n");
  if (meta.contains("deletionTimestamp")) {
    absl::StrAppend(&text, "Deleting:     since ",
                    meta["deletionTimestamp"].dump(), "\n");
  }
  if (meta.contains("finalizers")) {
    absl::StrAppend(&text, "Finalizers:   ", meta["finalizers"].dump(), "\n");
  }
  return text;
}

std::string DescribeAssignments(const Json& assignments) {
  if (!assignments.is_array() || assignments.empty()) {
    return "Assignments:  <none>\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& a : assignments) {
    if (!a.is_object()) continue;
    std::string since = a.value("since", "");
    rows.push_back({a.value("unit", ""), a.value("node", ""),
                    a.value("haState", ""),
                    since.empty() ? "" : AgeOf(since),
                    a.value("confirmed", false) ? "true" : "false"});
  }
  return "Assignments:\n" +
         DescribeTable({"Unit", "Node", "HA State", "Since", "Confirmed"}, rows, 2);
}

std::string DescribeRelated(client::HttpClient& client, const Json& obj,
                            const Relation& relation) {
  absl::StatusOr<client::ObjectList> list = client.List(relation.kind);
  if (!list.ok()) return relation.title + ":  " + FormatServerError(list.status()) + "\n";
  const std::vector<api::PrinterColumn> columns = api::PrinterColumns(relation.kind);
  std::vector<std::string> headers;
  for (const api::PrinterColumn& c : columns) {
    if (c.priority == 0) headers.push_back(c.name);
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& item : list->items) {
    const Json spec = item.value("spec", Json::object());
    if (spec.value(relation.field, "") != api::NameOf(obj)) continue;
    Json cells = api::PrinterCells(item);
    std::vector<std::string> row;
    for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
      if (columns[i].priority == 0) row.push_back(CellText(cells[i], columns[i].type));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return relation.title + ":  <none>\n";
  return relation.title + ":\n" + DescribeTable(headers, rows, 2);
}

// A node's or unit's assignments (SI, unit, HA state) and the admin
// operations or Operations in progress on it.
std::string DescribeAdmin(client::HttpClient& client, const Json& obj) {
  absl::StatusOr<ClusterView> view = ReadClusterView(client);
  if (!view.ok()) return "Assignments:  " + FormatServerError(view.status()) + "\n";
  const AdminTarget target{api::KindOf(obj), api::NameOf(obj)};
  std::vector<std::vector<std::string>> rows;
  for (const HeldAssignment& held : HeldAssignments(*view, target)) {
    const api::Assignment& a = held.assignment;
    rows.push_back({held.instance, a.unit, std::string(api::ToString(a.ha_state)),
                    a.since.empty() ? "" : AgeOf(a.since), a.confirmed ? "true" : "false"});
  }
  std::string text = rows.empty() ? "Assignments:  <none>\n"
                                  : "Assignments:\n" +
                                        DescribeTable({"Instance", "Unit", "HA State", "Since",
                                                       "Confirmed"},
                                                      rows, 2);
  std::vector<std::string> in_progress = OperationsInProgress(*view, target);
  if (in_progress.empty()) return text + "In Progress:  <none>\n";
  absl::StrAppend(&text, "In Progress:\n");
  for (const std::string& line : in_progress) absl::StrAppend(&text, "  ", line, "\n");
  return text;
}

std::string Describe(client::HttpClient& client, const Json& obj) {
  std::string text = DescribeMetadata(obj);
  const Json spec = obj.value("spec", Json::object());
  absl::StrAppend(&text, "Spec:\n", DescribeValue(spec, 2));
  const Json status = obj.value("status", Json::object());
  std::string rest = DescribeValue(
      status, 2, {"conditions", "assignments", "incidents", "availability", "durations"});
  absl::StrAppend(&text, "Status:", rest.empty() ? "  <none>\n" : "\n" + rest);
  absl::StrAppend(&text, DescribeConditions(status.value("conditions", Json())));
  if (api::KindOf(obj) == "ServiceInstance") {
    absl::StrAppend(&text, DescribeAssignments(status.value("assignments", Json())));
    absl::StrAppend(&text, DescribeAvailability(obj), DescribeInstanceIncidents(client, obj));
  }
  if (api::KindOf(obj) == "Incident") absl::StrAppend(&text, DescribeIncidentTimeline(obj));
  if (api::KindOf(obj) == "Node" || api::KindOf(obj) == "ServiceUnit") {
    absl::StrAppend(&text, DescribeAdmin(client, obj));
  }
  for (const Relation& relation : Relations()) {
    if (relation.described_kind == api::KindOf(obj)) {
      absl::StrAppend(&text, DescribeRelated(client, obj, relation));
    }
  }
  return text;
}

}  // namespace

int RunDescribe(const Context& ctx, const DescribeOptions& options) {
  std::vector<const api::KindInfo*> kinds;
  std::vector<ObjectRef> refs;
  absl::Status status = ParseKindArgs(options.args, &kinds, &refs);
  if (!status.ok()) {
    ctx.err() << "error: " << status.message() << "\n";
    return 1;
  }
  std::unique_ptr<client::HttpClient> client = ctx.NewClient();
  std::vector<Json> objects;
  int failures = 0;
  auto fail = [&](const absl::Status& s) {
    ctx.err() << FormatServerError(s) << "\n";
    ++failures;
  };
  if (refs.empty()) {
    for (const api::KindInfo* kind : kinds) {
      absl::StatusOr<client::ObjectList> list =
          client->List(kind->kind, {.label_selector = options.selector});
      if (!list.ok()) { fail(list.status()); continue; }
      for (Json& item : list->items) objects.push_back(std::move(item));
    }
  }
  for (const ObjectRef& ref : refs) {
    absl::StatusOr<Json> obj = client->Get(ref.kind->kind, ref.name);
    if (obj.ok()) objects.push_back(std::move(*obj)); else fail(obj.status());
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    ctx.out() << (i > 0 ? "\n\n" : "") << Describe(*client, objects[i]);
  }
  if (objects.empty() && refs.empty() && failures == 0) {
    ctx.err() << "No resources found\n";
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace vigil::cli
