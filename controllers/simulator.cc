// Simulator: the event loop and the controller side (ReconcileGroup on the
// simulated objects). The agents are in simulator_agents.cc, the scripted
// events in simulator_events.cc.
#include "controllers/simulator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/codec.h"
#include "api/validation.h"

namespace vigil::controllers {
namespace {

// Passes over all groups per event before giving up on a fixpoint (groups
// influence each other only through sponsors, so a few always suffice).
constexpr int kMaxPasses = 8;

// How long past the end a change under way may take to finish.
constexpr absl::Duration kGrace = absl::Seconds(5);

std::string Spec(const api::Json& obj, const char* field) {
  const api::Json& spec = obj.value("spec", api::Json::object());
  return spec.is_object() ? spec.value(field, "") : "";
}

std::string FormatOffset(absl::Duration d) {
  return absl::StrFormat("t=+%.3fs", absl::ToDoubleSeconds(d));
}

}  // namespace

Simulator::Simulator(SimulationOptions options) : options_(std::move(options)) {}

absl::Status Simulator::AddObjects(const std::vector<api::Json>& objects) {
  std::vector<std::string> problems;
  for (api::Json obj : objects) {
    api::ApplyDefaults(obj);
    const std::string kind = api::KindOf(obj), name = api::NameOf(obj);
    if (absl::Status valid = api::ValidateObject(obj); !valid.ok()) {
      problems.push_back(std::string(valid.message()));
      continue;
    }
    if (objects_[kind].count(name)) {
      problems.push_back(absl::StrCat(kind, "/", name, " is declared twice"));
      continue;
    }
    obj["metadata"]["generation"] = 1;
    obj["metadata"]["resourceVersion"] = "1";
    obj["metadata"]["creationTimestamp"] = Rfc3339Millis(options_.epoch);
    objects_[kind][name] = std::move(obj);
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

absl::Status Simulator::AddYaml(std::string_view yaml, std::string_view source) {
  absl::StatusOr<std::vector<api::Document>> docs = api::ParseYaml(yaml, source);
  if (!docs.ok()) return docs.status();
  std::vector<api::Json> objects;
  for (api::Document& doc : *docs) objects.push_back(std::move(doc.value));
  return AddObjects(objects);
}

absl::Status Simulator::AddEvent(const SimulationEvent& event) {
  std::string kind;
  if (absl::Status valid = CheckEvent(event, &kind); !valid.ok()) return valid;
  last_event_ = std::max(last_event_, event.at);
  Schedule(event.at, [this, event, kind] { Perform(event, kind); });
  return absl::OkStatus();
}

void Simulator::Schedule(absl::Duration at, std::function<void()> action) {
  queue_.push({std::max(at, now_), seq_++, std::move(action)});
}

void Simulator::Say(const std::string& line) {
  timeline_.push_back(absl::StrCat(FormatOffset(now_), "  ", line));
}

api::Json& Simulator::Obj(const std::string& kind, const std::string& name) {
  return objects_[kind][name];
}

const api::Json* Simulator::Find(const std::string& kind, const std::string& name) const {
  auto of_kind = objects_.find(kind);
  if (of_kind == objects_.end()) return nullptr;
  auto it = of_kind->second.find(name);
  return it == of_kind->second.end() ? nullptr : &it->second;
}

void Simulator::Run() {
  if (ran_) return;
  ran_ = true;
  const absl::Duration until =
      options_.until > absl::ZeroDuration() ? options_.until : last_event_ + absl::Seconds(30);
  BootCluster();
  ReconcileAll();
  RunUntil(until, /*only_in_flight=*/false);
  // Let a change under way at the end finish, so the final table shows a
  // settled state (at most kGrace more).
  RunUntil(until + kGrace, /*only_in_flight=*/true);
  now_ = std::max(now_, until);
}

void Simulator::RunUntil(absl::Duration end, bool only_in_flight) {
  while (!queue_.empty() && queue_.top().at <= end) {
    if (only_in_flight && !InFlight()) return;
    Pending next = queue_.top();
    queue_.pop();
    now_ = next.at;
    reconciles_at_.erase(now_);
    next.action();
    ReconcileAll();
  }
}

bool Simulator::InFlight() const {
  auto instances = objects_.find("ServiceInstance");
  if (instances == objects_.end()) return false;
  for (const auto& [name, si] : instances->second) {
    const api::Json status = si.value("status", api::Json::object());
    for (const api::Json& a : status.value("assignments", api::Json::array())) {
      const std::string state = a.value("haState", "");
      if (!a.value("confirmed", false) || state == "Quiesced" || state == "Quiescing") {
        return true;
      }
    }
  }
  return false;
}

GroupObjects Simulator::ObjectsOf(const std::string& group) {
  GroupObjects objects;
  auto ptr = [](const api::Json& obj) { return std::make_shared<const api::Json>(obj); };
  objects.group = ptr(Obj("ServiceGroup", group));
  std::set<std::string> own, sponsors;
  for (const auto& [name, si] : All("ServiceInstance")) {
    if (Spec(si, "serviceGroup") != group) continue;
    objects.instances.push_back(ptr(si));
    own.insert(name);
    for (const api::Json& d : si["spec"].value("dependsOn", api::Json::array())) {
      sponsors.insert(d.value("serviceInstance", ""));
    }
  }
  for (const std::string& name : sponsors) {
    if (!own.count(name) && Find("ServiceInstance", name)) {
      objects.sponsors.push_back(ptr(Obj("ServiceInstance", name)));
    }
  }
  for (const auto& [name, unit] : All("ServiceUnit")) {
    if (Spec(unit, "serviceGroup") == group) objects.units.push_back(ptr(unit));
  }
  for (const auto& [name, node] : All("Node")) {
    objects.nodes.push_back(ptr(node));
    const std::string host = Spec(node, "hostedBy");
    if (!host.empty() && Find("ServiceInstance", host)) {
      objects.hosts.push_back(ptr(Obj("ServiceInstance", host)));
    }
  }
  for (const auto& [name, op] : All("Operation")) {
    if (own.count(Spec(op, "target"))) objects.operations.push_back(ptr(op));
  }
  return objects;
}

void Simulator::ReconcileAll() {
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    bool wrote = false;
    std::vector<std::string> groups;
    for (const auto& [name, group] : All("ServiceGroup")) groups.push_back(name);
    for (const std::string& group : groups) wrote = ReconcileOne(group) || wrote;
    if (!wrote) return;
  }
}

bool Simulator::ReconcileOne(const std::string& group) {
  absl::StatusOr<GroupReconcile> result = ReconcileGroup(ObjectsOf(group), Now());
  if (!result.ok()) {
    Say(absl::StrCat("group ", group, ": ", result.status().message()));
    return false;
  }
  for (const AppliedChange& change : result->changes) Say(DescribeChange(change));
  for (const api::Json& op : result->operation_writes) ApplyOperationWrite(op);
  if (result->group_write) Obj("ServiceGroup", group) = *result->group_write;
  for (const api::Json& si : result->instance_writes) ApplyInstanceWrite(si);
  FollowDecision(group, *result);
  return !result->instance_writes.empty() || !result->operation_writes.empty() ||
         result->group_write.has_value();
}

namespace {

std::map<std::string, std::string> StatesByUnit(const api::Json& si) {
  std::map<std::string, std::string> states;
  const api::Json status = si.value("status", api::Json::object());
  for (const api::Json& a : status.value("assignments", api::Json::array())) {
    states[a.value("unit", "")] = a.value("haState", "");
  }
  return states;
}

}  // namespace

void Simulator::ApplyInstanceWrite(const api::Json& written) {
  const std::string name = api::NameOf(written);
  api::Json& current = Obj("ServiceInstance", name);
  const auto before = StatesByUnit(current);
  const auto after = StatesByUnit(written);
  current = written;
  for (const auto& [unit, state] : after) {
    auto old = before.find(unit);
    if (old == before.end() || old->second != state) ReachLater(unit, name, state);
  }
  for (const auto& [unit, state] : before) {
    if (!after.count(unit)) CleanUpLater(unit, name);
  }
}

void Simulator::ApplyOperationWrite(const api::Json& written) {
  api::Json& current = Obj("Operation", api::NameOf(written));
  const std::string before = current.value("status", api::Json::object()).value("phase", "");
  current = written;
  const api::Json& status = written["status"];
  const std::string phase = status.value("phase", "");
  if (phase == before) return;
  Say(absl::StrCat("swap ", Spec(written, "target"), " ", phase, ": ",
                   status.value("message", "")));
}

void Simulator::FollowDecision(const std::string& group, const GroupReconcile& result) {
  const core::Decision& last = result.last;
  std::vector<std::string> done = last.shutdown_complete_units;
  if (last.group_shutdown_complete) done.push_back(group);
  for (const std::string& name : done) {
    if (shutdown_announced_.insert(name).second) {
      Say(absl::StrCat("shutdown of ", name == group ? "group " : "unit ", name,
                       " complete (nothing assigned; it stays ShuttingDown until "
                       "locked or unlocked)"));
    }
  }
  for (const std::string& unit : last.units_to_start) {
    Instantiate(unit, absl::StrCat("group ", group, " wants it in service"));
  }
  for (const std::string& unit : last.units_to_stop) {
    Terminate(unit, absl::StrCat("group ", group, " wants it stopped"));
  }
  const absl::Duration at = result.requeue_at - options_.epoch;
  if (result.requeue_at != absl::InfiniteFuture() && at > now_ &&
      reconciles_at_.insert(at).second) {
    Schedule(at, [] {});  // the loop reconciles after every event
  }
}

std::string Simulator::FinalTable() const {
  std::vector<std::vector<std::string>> rows = {
      {"INSTANCE", "GROUP", "STATE", "ACTIVE", "STANDBY", "OTHER"}};
  auto of_kind = objects_.find("ServiceInstance");
  if (of_kind != objects_.end()) {
    for (const auto& [name, si] : of_kind->second) {
      const api::Json status = si.value("status", api::Json::object());
      std::vector<std::string> active, standby, other;
      for (const api::Json& a : status.value("assignments", api::Json::array())) {
        const std::string unit = a.value("unit", ""), state = a.value("haState", "");
        if (state == "Active") active.push_back(unit);
        else if (state == "Standby") standby.push_back(unit);
        else other.push_back(absl::StrCat(unit, "=", state));
      }
      rows.push_back({name, Spec(si, "serviceGroup"),
                      status.value("assignmentState", "Unassigned"),
                      absl::StrJoin(active, ","), absl::StrJoin(standby, ","),
                      absl::StrJoin(other, ",")});
    }
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace vigil::controllers
