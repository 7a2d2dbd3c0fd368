// Authorization of API requests by the requester's identity (RBAC-like, with
// the rules fixed in code):
//   - group system:masters (the admin token): everything;
//   - group vigil:viewers (the read-only token): get, list and watch;
//   - user system:node:N in group system:nodes (node agent N): get, list and
//     watch of every kind (the agent caches them all); create of Node N;
//     update and patch of the status of Node N, of the ServiceUnits placed on
//     N (stored spec.node == N) and of their Components (stored
//     spec.serviceUnit names such a unit); create, get, update and patch of
//     Lease N;
//   - anyone else: nothing.
//
// Thread safety: Authorize is a pure function of its arguments (plus the
// lookups it makes through `lookup`).
#ifndef VIGIL_AUTH_AUTHORIZER_H_
#define VIGIL_AUTH_AUTHORIZER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/object.h"
#include "auth/token_file.h"

namespace vigil::auth {

// What a request does, in Kubernetes terms.
struct RequestAttributes {
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string kind;  // "ServiceUnit" (the Kind, not the plural)
  std::string name;  // "" for a collection; for create, the name in the body
  std::string subresource;  // "" or "status" (or "log")
};

// Reads a stored object: Get(kind, name) as the registry answers it.
using ObjectLookup =
    std::function<absl::StatusOr<api::Json>(const std::string& kind, const std::string& name)>;

// Whether `identity` may do `request`. OK, or PermissionDenied whose message
// names the user, the verb, the kind and the name, and why, e.g. `user
// "system:node:n1" may not update servicegroups/status "vlc": a node agent
// writes only the status of its own Node, ServiceUnits and Components`.
// `lookup` is used only for node agents' status writes (to find the node an
// object is placed on); an object it cannot read is refused.
absl::Status Authorize(const Identity& identity, const RequestAttributes& request,
                       const ObjectLookup& lookup);

// "N" for user "system:node:N" in group system:nodes, else "".
std::string NodeOfAgent(const Identity& identity);

}  // namespace vigil::auth

#endif  // VIGIL_AUTH_AUTHORIZER_H_
