// Patch documents applied to stored objects: RFC 7386 JSON merge patch (also
// used for Kubernetes strategic merge patch, as for custom resources) and
// RFC 6902 JSON patch.
//
// Thread safety: pure functions.
#ifndef VIGIL_SERVER_MERGE_PATCH_H_
#define VIGIL_SERVER_MERGE_PATCH_H_

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::server {

enum class PatchType {
  kMerge,      // application/merge-patch+json (RFC 7386)
  kJsonPatch,  // application/json-patch+json (RFC 6902)
};

// Returns `target` with `patch` applied.
// Errors: MalformedRequest (HTTP 400) if a merge patch is not a JSON object,
// a JSON patch is not an array of operations, or an operation fails (a path
// that does not exist, a failed "test").
absl::StatusOr<api::Json> ApplyPatchDocument(const api::Json& target,
                                             PatchType type,
                                             const api::Json& patch);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_MERGE_PATCH_H_
