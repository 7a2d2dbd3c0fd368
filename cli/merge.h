// Client-side apply bookkeeping, compatible with kubectl: the
// last-applied-configuration annotation and the three-way JSON merge patch
// kubectl computes for custom resources. Because the annotation is encoded
// byte-for-byte as kubectl encodes it, `vigil apply` and `kubectl apply` can
// take turns on the same objects and agree on "unchanged".
//
// Thread safety: pure functions.
#ifndef VIGIL_CLI_MERGE_H_
#define VIGIL_CLI_MERGE_H_

#include <optional>
#include <string>

#include "api/object.h"

namespace vigil::cli {

using api::Json;

inline constexpr char kLastAppliedAnnotation[] =
    "kubectl.kubernetes.io/last-applied-configuration";

// The annotation value for `manifest` as kubectl writes it: the manifest with
// its own last-applied annotation removed (metadata.annotations kept, possibly
// as {}), compact JSON with sorted keys, HTML characters escaped, and a
// trailing newline.
std::string LastAppliedConfiguration(const Json& manifest);

// `manifest` with the last-applied annotation set: what apply sends.
Json WithLastApplied(const Json& manifest);

// The configuration last applied to `live`, or nullopt if it was never
// applied (no annotation) or the annotation is not valid JSON.
std::optional<Json> LastAppliedOf(const Json& live);

// The RFC 7386 merge patch that takes `current` to `modified` while removing
// the fields that `original` (the last applied configuration; null if none)
// had and `modified` no longer has. Fields only `current` has (defaults,
// status, server-set metadata) are left alone. An empty object means the
// live object already matches: "unchanged".
Json ThreeWayMergePatch(const Json& original, const Json& modified,
                        const Json& current);

// Applies an RFC 7386 merge patch to `target` (used to preview apply).
Json ApplyMergePatch(Json target, const Json& patch);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_MERGE_H_
