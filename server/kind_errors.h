// Kind resolution and the Kubernetes-worded errors about one object.
//
// The Registry reports errors with the messages kubectl users know
// (`servicegroups.vigil.io "vlc" not found`), whatever the store said.
//
// Thread safety: pure functions.
#ifndef VIGIL_SERVER_KIND_ERRORS_H_
#define VIGIL_SERVER_KIND_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::server {

// Finds a kind by any of its names (kind, plural, singular, short name).
// Errors: NotFound naming the unknown kind and listing the known ones.
absl::StatusOr<const api::KindInfo*> ResolveKind(std::string_view any_name);

// "servicegroups.vigil.io", as Kubernetes qualifies a resource in messages.
std::string QualifiedResource(const api::KindInfo& kind);

// NotFound: servicegroups.vigil.io "vlc" not found
absl::Status NotFoundError(const api::KindInfo& kind, std::string_view name);
// AlreadyExists: servicegroups.vigil.io "vlc" already exists
absl::Status AlreadyExistsError(const api::KindInfo& kind, std::string_view name);
// Aborted: Operation cannot be fulfilled on servicegroups.vigil.io "vlc": ...
absl::Status ConflictError(const api::KindInfo& kind, std::string_view name);

// Rewords a store error about (kind, name): NotFound, AlreadyExists and
// Aborted get the messages above; other codes keep the store's message.
absl::Status TranslateStoreError(const absl::Status& status,
                                 const api::KindInfo& kind, std::string_view name);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_KIND_ERRORS_H_
