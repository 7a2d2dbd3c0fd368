#include "api/strings.h"
#include "server/kind_errors.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::server {

absl::StatusOr<const api::KindInfo*> ResolveKind(std::string_view any_name) {
  const api::KindInfo* info = api::FindKind(any_name);
  if (info != nullptr) return info;
  std::vector<std::string> known;
  for (const api::KindInfo& k : api::AllKinds()) known.push_back(k.kind);
  return absl::NotFoundError(
      api::Cat("the server doesn't have a resource type \"", any_name,
                   "\" in group ", api::kApiVersion,
                   "; known kinds: ", absl::StrJoin(known, ", ")));
}

std::string QualifiedResource(const api::KindInfo& kind) {
  return api::Cat(kind.plural, ".", api::kGroup);
}

absl::Status NotFoundError(const api::KindInfo& kind, std::string_view name) {
  return absl::NotFoundError(
      api::Cat(QualifiedResource(kind), " \"", name, "\" not found"));
}

absl::Status AlreadyExistsError(const api::KindInfo& kind, std::string_view name) {
  return absl::AlreadyExistsError(
      api::Cat(QualifiedResource(kind), " \"", name, "\" already exists"));
}

absl::Status ConflictError(const api::KindInfo& kind, std::string_view name) {
  return absl::AbortedError(api::Cat(
      "Operation cannot be fulfilled on ", QualifiedResource(kind), " \"", name,
      "\": the object has been modified; please apply your changes to the "
      "latest version and try again"));
}

absl::Status TranslateStoreError(const absl::Status& status,
                                 const api::KindInfo& kind, std::string_view name) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return NotFoundError(kind, name);
    case absl::StatusCode::kAlreadyExists:
      return AlreadyExistsError(kind, name);
    case absl::StatusCode::kAborted:
      return ConflictError(kind, name);
    default:
      return status;
  }
}

}  // namespace vigil::server
