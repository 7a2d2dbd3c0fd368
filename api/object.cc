#include "api/object.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/strings.h"

namespace vigil::api {

const std::vector<KindInfo>& AllKinds() {
  static const auto* const kinds = new std::vector<KindInfo>{
      {"Node", "nodes", "node", {"node"}, true,
       "A host (or a Vigil-managed VM) that runs service units."},
      {"ServiceGroup", "servicegroups", "servicegroup", {"sg"}, true,
       "A set of service units protecting service instances under one "
       "redundancy model."},
      {"ServiceUnit", "serviceunits", "serviceunit", {"su"}, true,
       "A member of one service group, placed on one node, made of "
       "components."},
      {"Component", "components", "component", {"comp"}, true,
       "One process, SA-aware process or libvirt VM inside a service unit."},
      {"ServiceInstance", "serviceinstances", "serviceinstance", {"si"}, true,
       "A unit of workload protected by a service group, with its "
       "component-service instances."},
      {"Operation", "operations", "operation", {"op"}, true,
       "A one-shot operator request (SI swap, unit or component restart, "
       "repaired) and its progress."},
      {"Lease", "leases", "lease", {}, true,
       "A node agent's proof of life, named after its node and renewed "
       "several times per leaseDuration; the node fails when it expires."},
      {"Incident", "incidents", "incident", {"inc"}, true,
       "One failure and its handling: what failed, how it was detected, the recovery, "
       "and the timestamps and durations of the four metrics (reaction, recovery, "
       "outage, repair)."},
  };
  return *kinds;
}

const KindInfo* FindKind(std::string_view any_name) {
  for (const KindInfo& info : AllKinds()) {
    if (absl::EqualsIgnoreCase(ToAbsl(any_name), info.kind) ||
        absl::EqualsIgnoreCase(ToAbsl(any_name), info.plural) ||
        absl::EqualsIgnoreCase(ToAbsl(any_name), info.singular)) {
      return &info;
    }
    for (const std::string& short_name : info.short_names) {
      if (absl::EqualsIgnoreCase(ToAbsl(any_name), short_name)) return &info;
    }
  }
  return nullptr;
}

namespace {

// Returns obj[key] as a string, or "" when obj is not an object or the member
// is absent or not a string.
std::string StringMember(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const Json& MetadataOf(const Json& obj) {
  static const auto* const kEmpty = new Json(Json::object());
  if (!obj.is_object()) return *kEmpty;
  auto it = obj.find("metadata");
  if (it == obj.end() || !it->is_object()) return *kEmpty;
  return *it;
}

}  // namespace

std::string KindOf(const Json& obj) { return StringMember(obj, "kind"); }

std::string NameOf(const Json& obj) {
  return StringMember(MetadataOf(obj), "name");
}

std::string ResourceVersionOf(const Json& obj) {
  return StringMember(MetadataOf(obj), "resourceVersion");
}

int64_t GenerationOf(const Json& obj) {
  const Json& metadata = MetadataOf(obj);
  auto it = metadata.find("generation");
  if (it == metadata.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

std::string NowRfc3339() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace vigil::api
