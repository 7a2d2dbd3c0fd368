#include "cli/describe_incident.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/describe_format.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

using api::Json;

std::optional<absl::Time> ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return time;
}

// "+6.412ms" after `origin`, or "".
std::string Offset(const std::string& text, std::optional<absl::Time> origin) {
  std::optional<absl::Time> time = ParseTime(text);
  if (!time || !origin) return "";
  return "+" + absl::FormatDuration(absl::Trunc(*time - *origin, absl::Microseconds(1)));
}

std::string OrPending(const std::string& text) { return text.empty() ? "<pending>" : text; }

}  // namespace

std::string DescribeIncidentTimeline(const Json& incident) {
  const Json status = incident.value("status", Json::object());
  const std::optional<absl::Time> failure = ParseTime(status.value("failureTime", ""));
  std::vector<std::vector<std::string>> rows;
  const std::pair<const char*, const char*> steps[] = {
      {"Failure", "failureTime"},     {"Detected", "detectionTime"},
      {"Reaction", "reactionTime"},   {"Recovered", "recoveredTime"},
      {"Repaired", "repairedTime"}};
  for (const auto& [step, key] : steps) {
    const std::string time = status.value(key, "");
    rows.push_back({step, OrPending(time), Offset(time, failure)});
  }
  std::string text = "Timeline:\n" + DescribeTable({"Step", "Time", "After Failure"}, rows, 2);
  const Json durations = status.value("durations", Json::object());
  absl::StrAppend(&text, "Metrics:\n",
                  "  Reaction:  ", OrPending(durations.value("reaction", "")),
                  "   (failure -> first reaction)\n",
                  "  Recovery:  ", durations.value("recovery", "-"),
                  "   (first reaction -> service recovered)\n",
                  "  Outage:    ", OrPending(durations.value("outage", "")),
                  "   (failure -> service recovered)\n",
                  "  Repair:    ", OrPending(durations.value("repair", "")),
                  "   (first reaction -> failed unit repaired)\n");
  return text;
}

std::string DescribeAvailability(const Json& instance) {
  const Json a = instance.value("status", Json::object()).value("availability", Json::object());
  if (!a.is_object() || a.value("since", "").empty()) return "Availability:  <none>\n";
  return absl::StrCat(
      "Availability:  ", a.value("availability", ""), " since ", a.value("since", ""), " (",
      a.value("observed", ""), " observed)\n",
      "  Unassigned:          ", a.value("unassigned", ""), "\n",
      "  Partially Assigned:  ", a.value("partiallyAssigned", ""), "\n",
      "  Target:              ", a.value("target", ""), " (", a.value("downtimeBudget", ""),
      " of downtime a year)\n",
      "  Budget Remaining:    ", a.value("budgetRemaining", ""), "\n");
}

std::string DescribeInstanceIncidents(client::HttpClient& client, const Json& instance,
                                      size_t limit) {
  const std::string name = api::NameOf(instance);
  const Json summary =
      instance.value("status", Json::object()).value("incidents", Json::object());
  absl::StatusOr<client::ObjectList> list = client.List("Incident");
  if (!list.ok()) return "Incidents:  " + FormatServerError(list.status()) + "\n";
  std::vector<const Json*> mine;
  for (const Json& item : list->items) {
    const Json spec = item.value("spec", Json::object());
    const Json instances = spec.value("serviceInstances", Json::array());
    if (std::find(instances.begin(), instances.end(), Json(name)) != instances.end()) {
      mine.push_back(&item);
    }
  }
  std::sort(mine.begin(), mine.end(), [](const Json* a, const Json* b) {
    return a->value("status", Json::object()).value("failureTime", "") <
           b->value("status", Json::object()).value("failureTime", "");
  });
  if (mine.size() > limit) mine.erase(mine.begin(), mine.end() - limit);
  if (mine.empty()) return "Incidents:  <none>\n";
  std::vector<std::vector<std::string>> rows;
  for (const Json* item : mine) {
    const Json spec = item->value("spec", Json::object());
    const Json status = item->value("status", Json::object());
    const Json durations = status.value("durations", Json::object());
    rows.push_back({api::NameOf(*item),
                    spec.value("failedKind", "") + "/" + spec.value("failedName", ""),
                    status.value("phase", ""), status.value("recoveryAction", ""),
                    durations.value("outage", ""), AgeOf(status.value("failureTime", ""))});
  }
  return absl::StrCat("Incidents:  ", summary.value("total", int64_t{0}), " total, ",
                      summary.value("open", int64_t{0}), " open\n",
                      DescribeTable({"Name", "Failed", "Phase", "Recovery", "Outage", "Age"},
                                    rows, 2));
}

}  // namespace vigil::cli
