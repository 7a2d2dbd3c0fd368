// Vigil API objects as JSON documents, and the kinds the API serves.
//
// Objects travel through the store, the server and clients as JSON documents
// (nlohmann::json) shaped like Kubernetes objects: apiVersion, kind, metadata,
// spec, status. Typed views for controllers live in api/types.h.
//
// Thread safety: everything here is immutable or a pure function.
#ifndef VIGIL_API_OBJECT_H_
#define VIGIL_API_OBJECT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::api {

using Json = nlohmann::json;

inline constexpr std::string_view kGroup = "vigil.io";
inline constexpr std::string_view kVersion = "v1";
inline constexpr std::string_view kApiVersion = "vigil.io/v1";

// Describes one kind the API serves. All kinds are cluster-scoped.
struct KindInfo {
  std::string kind;      // "ServiceGroup"
  std::string plural;    // "servicegroups"
  std::string singular;  // "servicegroup"
  std::vector<std::string> short_names;  // {"sg"}
  bool has_status = true;                // serves the /status subresource
  std::string description;               // one line, for discovery and docs
};

// All kinds, in a stable order (Node, ServiceGroup, ServiceUnit, Component,
// ServiceInstance, then any later kinds).
const std::vector<KindInfo>& AllKinds();

// Finds a kind by its kind name, plural, singular or short name, ignoring
// case ("sg", "ServiceGroup", "servicegroups"). Returns nullptr if unknown.
const KindInfo* FindKind(std::string_view any_name);

// Accessors on an object document. Each returns an empty value (or 0) when the
// field is absent or of the wrong type; they never throw.
std::string KindOf(const Json& obj);
std::string NameOf(const Json& obj);
std::string ResourceVersionOf(const Json& obj);
int64_t GenerationOf(const Json& obj);

// The current time as an RFC 3339 timestamp in UTC with second precision,
// as Kubernetes writes metadata timestamps ("2026-11-25T10:00:00Z").
std::string NowRfc3339();

}  // namespace vigil::api

#endif  // VIGIL_API_OBJECT_H_
