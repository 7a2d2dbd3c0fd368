#include "api/strings.h"
#include "server/merge_patch.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "api/errors.h"

namespace vigil::server {
namespace {

absl::StatusOr<api::Json> ApplyMergePatch(const api::Json& target,
                                          const api::Json& patch) {
  // RFC 7386 allows any JSON value as a patch, but a non-object would replace
  // the whole object, which is never what a client of this API means.
  if (!patch.is_object()) {
    return api::MalformedRequest("a merge patch must be a JSON object");
  }
  api::Json out = target;
  out.merge_patch(patch);
  return out;
}

absl::StatusOr<api::Json> ApplyJsonPatch(const api::Json& target,
                                         const api::Json& patch) {
  if (!patch.is_array()) {
    return api::MalformedRequest("a JSON patch must be an array of operations");
  }
  try {
    return target.patch(patch);
  } catch (const std::exception& e) {
    return api::MalformedRequest(api::Cat("invalid JSON patch: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<api::Json> ApplyPatchDocument(const api::Json& target,
                                             PatchType type,
                                             const api::Json& patch) {
  switch (type) {
    case PatchType::kMerge:
      return ApplyMergePatch(target, patch);
    case PatchType::kJsonPatch:
      return ApplyJsonPatch(target, patch);
  }
  return api::MalformedRequest("unknown patch type");
}

}  // namespace vigil::server
