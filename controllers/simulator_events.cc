// Simulator: scripted events (parsing, checking, performing).
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "api/duration.h"
#include "api/validation.h"
#include "controllers/simulator.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {
namespace {

using api::Json;
using Verb = SimulationEvent::Verb;

// The kinds each verb applies to.
std::vector<std::string> KindsFor(Verb verb) {
  switch (verb) {
    case Verb::kFail: return {"ServiceUnit", "Node", "Component"};
    case Verb::kRepair: return {"ServiceUnit", "Node"};
    case Verb::kLock:
    case Verb::kUnlock: return {"ServiceUnit", "Node", "ServiceGroup", "ServiceInstance"};
    case Verb::kShutdown:
    case Verb::kLockInstantiation: return {"ServiceUnit", "Node", "ServiceGroup"};
    case Verb::kSwap: return {"ServiceInstance"};
  }
  return {};
}

// "unit", "node", "comp", "sg", "si": the short names used in the timeline.
std::string ShortKind(const std::string& kind) {
  if (kind == "ServiceUnit") return "unit";
  if (kind == "ServiceGroup") return "group";
  if (kind == "ServiceInstance") return "si";
  if (kind == "Component") return "component";
  return "node";
}

// The kind `name` means: any name api::FindKind accepts, and the words the
// timeline uses ("unit", "group", "instance", "component").
const api::KindInfo* ResolveKind(const std::string& name) {
  static const auto* const aliases = new std::map<std::string, std::string>{
      {"unit", "ServiceUnit"}, {"units", "ServiceUnit"},
      {"group", "ServiceGroup"}, {"groups", "ServiceGroup"},
      {"instance", "ServiceInstance"}, {"instances", "ServiceInstance"}};
  auto alias = aliases->find(name);
  return api::FindKind(alias == aliases->end() ? name : alias->second);
}

}  // namespace

const char* ToString(Verb verb) {
  switch (verb) {
    case Verb::kFail: return "fail";
    case Verb::kRepair: return "repair";
    case Verb::kLock: return "lock";
    case Verb::kUnlock: return "unlock";
    case Verb::kShutdown: return "shutdown";
    case Verb::kLockInstantiation: return "lock-instantiation";
    case Verb::kSwap: return "swap";
  }
  return "?";
}

absl::StatusOr<SimulationEvent> ParseSimulationEvent(Verb verb, std::string_view spec,
                                                     absl::Duration default_at) {
  SimulationEvent event;
  event.verb = verb;
  event.at = default_at;
  std::string_view target = spec;
  if (size_t at = spec.find('@'); at != std::string_view::npos) {
    target = spec.substr(0, at);
    absl::StatusOr<std::chrono::milliseconds> time = api::ParseDuration(spec.substr(at + 1));
    if (!time.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", ToString(verb), " ",
                                                     std::string(spec), ": ",
                                                     time.status().message()));
    }
    event.at = absl::FromChrono(*time);
  }
  const size_t slash = target.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == target.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", ToString(verb), " ", std::string(spec), ": expected KIND/NAME[@TIME], e.g. unit/vlc-a@5s"));
  }
  event.kind = std::string(target.substr(0, slash));
  event.name = std::string(target.substr(slash + 1));
  return event;
}

absl::Status Simulator::CheckEvent(const SimulationEvent& event, std::string* kind) const {
  const std::string what = absl::StrCat("--", ToString(event.verb), " ", event.kind, "/",
                                        event.name);
  const api::KindInfo* info = ResolveKind(event.kind);
  if (info == nullptr) return absl::InvalidArgumentError(what + ": unknown kind");
  const std::vector<std::string> kinds = KindsFor(event.verb);
  if (std::find(kinds.begin(), kinds.end(), info->kind) == kinds.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot ", ToString(event.verb),
                                                   " a ", info->kind));
  }
  *kind = info->kind;
  if (Find(info->kind, event.name) != nullptr) return absl::OkStatus();
  if (info->kind == "Node") {  // a node only named by units exists implicitly
    auto units = objects_.find("ServiceUnit");
    if (units != objects_.end()) {
      for (const auto& [name, unit] : units->second) {
        if (unit["spec"].value("node", "") == event.name) return absl::OkStatus();
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(what, ": no ", info->kind, " named ",
                                                 event.name, " in the manifests"));
}

void Simulator::Perform(const SimulationEvent& event, const std::string& kind) {
  const std::string& name = event.name;
  switch (event.verb) {
    case Verb::kFail:
      if (kind == "ServiceUnit") return FailUnit(name, "simulated failure");
      if (kind == "Node") return FailNode(name);
      return FailComponent(name);
    case Verb::kRepair:
      if (kind == "Node") return RepairNode(name);
    {
      const Json status = Obj(kind, name).value("status", Json::object());
      const bool serving = status.value("operState", "") == "Enabled" &&
                           status.value("readinessState", "") == "InService";
      Say(absl::StrCat("unit ", name, " repaired", serving ? " (already in service)" : ""));
      return Instantiate(name, "repaired");
    }
    case Verb::kLock: return SetAdminState(kind, name, "Locked");
    case Verb::kUnlock: return SetAdminState(kind, name, "Unlocked");
    case Verb::kShutdown: return SetAdminState(kind, name, "ShuttingDown");
    case Verb::kLockInstantiation: return SetAdminState(kind, name, "LockedInstantiation");
    case Verb::kSwap: return RequestSwap(name);
  }
}

void Simulator::SetAdminState(const std::string& kind, const std::string& name,
                              const std::string& state) {
  Json& obj = Obj(kind, name);
  const std::string before = obj["spec"].value("adminState", "Unlocked");
  Say(absl::StrCat(ShortKind(kind), " ", name, " adminState ", before, " -> ", state));
  obj["spec"]["adminState"] = state;
  shutdown_announced_.erase(name);
  obj["metadata"]["generation"] = obj["metadata"].value("generation", 1) + 1;
  if (before != "LockedInstantiation" || state == "LockedInstantiation") return;
  // Leaving LockedInstantiation: the agents instantiate what may run again.
  for (auto& [unit_name, unit] : All("ServiceUnit")) {
    const bool affected = (kind == "ServiceUnit" && unit_name == name) ||
                          (kind == "Node" && unit["spec"].value("node", "") == name) ||
                          (kind == "ServiceGroup" && unit["spec"].value("serviceGroup", "") == name);
    if (affected && unit["spec"].value("adminState", "") != "LockedInstantiation") {
      Instantiate(unit_name, "instantiation unlocked");
    }
  }
}

void Simulator::RequestSwap(const std::string& si) {
  const std::string name = absl::StrCat("swap-", si, "-", ++swaps_);
  Json op = {{"apiVersion", "vigil.io/v1"},
             {"kind", "Operation"},
             {"metadata", {{"name", name}, {"generation", 1}, {"resourceVersion", "1"},
                           {"creationTimestamp", Rfc3339Millis(Now())}}},
             {"spec", {{"action", "SwapServiceInstance"}, {"target", si}}}};
  Obj("Operation", name) = std::move(op);
  Say(absl::StrCat("swap si ", si, " requested (operation ", name, ")"));
}

}  // namespace vigil::controllers
