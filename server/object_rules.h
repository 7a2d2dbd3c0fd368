// The pure rules the Registry applies to objects before they are stored:
// what a create may carry, what an update or status update keeps from the
// stored object, and when an object is finalized. No I/O.
//
// Thread safety: pure functions.
#ifndef VIGIL_SERVER_OBJECT_RULES_H_
#define VIGIL_SERVER_OBJECT_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::server {

// The object to create from `obj`: status, deletionTimestamp and the
// store-owned metadata dropped, defaults applied, then validated.
// Errors: InvalidObject with every problem (kind mismatch included).
absl::StatusOr<api::Json> PrepareCreate(const api::Json& obj,
                                        const api::KindInfo& kind);

// The object to store for an update of `current` to `obj`: spec, labels,
// annotations and finalizers from `obj`; status, deletionTimestamp and the
// store-owned metadata from `current`; defaults applied, then validated.
// Errors: InvalidObject (kind or name changed, or the object is invalid).
absl::StatusOr<api::Json> PrepareUpdate(const api::Json& current,
                                        const api::Json& obj,
                                        const api::KindInfo& kind);

// The object to store for a status update: `current` with the status of
// `obj` (absent status clears it). Errors: InvalidObject from ValidateStatus.
absl::StatusOr<api::Json> PrepareStatusUpdate(const api::Json& current,
                                              const api::Json& obj,
                                              const api::KindInfo& kind);

// `current` marked for deletion (deletionTimestamp = now).
api::Json MarkForDeletion(const api::Json& current);

// Whether metadata.finalizers is a non-empty array.
bool HasFinalizers(const api::Json& obj);

// Whether metadata.deletionTimestamp is set.
bool IsMarkedForDeletion(const api::Json& obj);

// Whether the object is marked for deletion and has no finalizers left, so
// it must now be removed.
bool IsFinalized(const api::Json& obj);

// What a dry-run write returns: `candidate` with the generation the store
// would give it (1 on create; +1 when the spec of `current` changed).
api::Json DryRunResult(const api::Json* current, api::Json candidate);

// metadata.resourceVersion of a request body when it is a non-empty string.
std::optional<std::string> RequestedResourceVersion(const api::Json& obj);

// The numeric resourceVersion of a stored object (nullopt if absent).
std::optional<int64_t> ParseResourceVersion(const std::string& text);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_OBJECT_RULES_H_
