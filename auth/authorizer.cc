#include "auth/authorizer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "api/strings.h"

namespace vigil::auth {
namespace {

// The Lease kind is served by another part of Vigil; it is named here by its
// kind string so the node rules hold whether or not this build serves it.
constexpr char kLeaseKind[] = "Lease";

bool InGroup(const Identity& identity, const std::string& group) {
  return std::find(identity.groups.begin(), identity.groups.end(), group) !=
         identity.groups.end();
}

bool IsReadVerb(const std::string& verb) {
  return verb == "get" || verb == "list" || verb == "watch";
}

bool IsWriteVerb(const std::string& verb) { return verb == "update" || verb == "patch"; }

std::string Describe(const RequestAttributes& request) {
  std::string what = request.kind;
  if (!request.subresource.empty()) what += "/" + request.subresource;
  if (!request.name.empty()) what += " \"" + request.name + "\"";
  return api::Cat(request.verb, " ", what);
}

absl::Status Deny(const Identity& identity, const RequestAttributes& request,
                  const std::string& why) {
  return absl::PermissionDeniedError(
      api::Cat("user \"", identity.user, "\" may not ", Describe(request), ": ", why));
}

std::string SpecField(const api::Json& obj, const char* field) {
  auto spec = obj.find("spec");
  if (spec == obj.end() || !spec->is_object()) return "";
  auto value = spec->find(field);
  return value != spec->end() && value->is_string() ? value->get<std::string>() : "";
}

// The node a stored ServiceUnit or Component is placed on, or "" if unknown.
std::string PlacementNode(const std::string& kind, const std::string& name,
                          const ObjectLookup& lookup) {
  std::string unit = name;
  if (kind == "Component") {
    absl::StatusOr<api::Json> component = lookup("Component", name);
    if (!component.ok()) return "";
    unit = SpecField(*component, "serviceUnit");
  }
  absl::StatusOr<api::Json> service_unit = lookup("ServiceUnit", unit);
  return service_unit.ok() ? SpecField(*service_unit, "node") : "";
}

bool NodeMayWrite(const std::string& node, const RequestAttributes& request,
                  const ObjectLookup& lookup) {
  const std::string& kind = request.kind;
  if (kind == kLeaseKind) {
    return request.name == node && (request.verb == "create" || IsWriteVerb(request.verb));
  }
  if (request.verb == "create") return kind == "Node" && request.name == node;
  if (!IsWriteVerb(request.verb) || request.subresource != "status") return false;
  if (kind == "Node") return request.name == node;
  if (kind == "ServiceUnit" || kind == "Component") {
    return !request.name.empty() && PlacementNode(kind, request.name, lookup) == node;
  }
  return false;
}

}  // namespace

std::string NodeOfAgent(const Identity& identity) {
  if (!InGroup(identity, kNodesGroup) || !absl::StartsWith(identity.user, kNodeUserPrefix)) {
    return "";
  }
  return identity.user.substr(sizeof(kNodeUserPrefix) - 1);
}

absl::Status Authorize(const Identity& identity, const RequestAttributes& request,
                       const ObjectLookup& lookup) {
  if (InGroup(identity, kAdminGroup)) return absl::OkStatus();
  const bool read = IsReadVerb(request.verb);
  if (InGroup(identity, kViewerGroup)) {
    return read ? absl::OkStatus() : Deny(identity, request, "viewers may only get, list and watch");
  }
  const std::string node = NodeOfAgent(identity);
  if (!node.empty()) {
    if (read || NodeMayWrite(node, request, lookup)) return absl::OkStatus();
    return Deny(identity, request,
                api::Cat("a node agent may only create its Node and Lease \"", node,
                         "\" and write the status of its own Node, ServiceUnits and Components"));
  }
  return Deny(identity, request,
              api::Cat("the user is in none of the groups Vigil grants access to (",
                       kAdminGroup, ", ", kViewerGroup, ", ", kNodesGroup, ")"));
}

}  // namespace vigil::auth
