// Naming of kinds and objects on the command line, the way kubectl does it:
// "sg", "servicegroups", "ServiceGroup.vigil.io", "sg,su", "all", "sg/vlc";
// objects printed as "servicegroup.vigil.io/vlc".
//
// Thread safety: pure functions.
#ifndef VIGIL_CLI_KINDS_H_
#define VIGIL_CLI_KINDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::cli {

// Resolves one kind name (any spelling FindKind accepts, optionally suffixed
// with ".vigil.io" or ".vigil.io/v1").
// Errors: InvalidArgument `the server doesn't have a resource type "x"`.
absl::StatusOr<const api::KindInfo*> ResolveKind(const std::string& name);

// Resolves a comma-separated list; "all" means every kind. Duplicates are
// dropped, order kept.
absl::StatusOr<std::vector<const api::KindInfo*>> ResolveKinds(
    const std::string& names);

// A reference to one object from a "kind/name" argument.
struct ObjectRef {
  const api::KindInfo* kind = nullptr;
  std::string name;
};

// Splits the positional arguments of get/describe/delete: either
// {"KIND[,KIND]", "NAME", ...} or {"KIND/NAME", "KIND/NAME", ...}.
// `kinds` receives the kinds; `refs` receives the named objects (for the first
// form, each name paired with the single kind). A bare kind list yields no refs.
// Errors: InvalidArgument for unknown kinds, names with several kinds, or a
// mix of the two forms.
absl::Status ParseKindArgs(const std::vector<std::string>& args,
                           std::vector<const api::KindInfo*>* kinds,
                           std::vector<ObjectRef>* refs);

// "servicegroup.vigil.io": how kubectl names a kind in its output.
std::string QualifiedKind(const api::KindInfo& kind);
// "servicegroups.vigil.io": how the API names a resource in its errors.
std::string QualifiedResource(const api::KindInfo& kind);
// "servicegroup.vigil.io/vlc"; for an unknown kind the lower-cased kind.
std::string RefString(const std::string& kind, const std::string& name);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_KINDS_H_
