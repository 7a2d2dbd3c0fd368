// Small helpers on object documents and the store's error messages.
//
// What api/object.h does not already offer: the checks and updates of the
// metadata the store owns. None of these functions throw.
//
// Thread safety: pure functions, except UuidGenerator (one per thread).
#ifndef VIGIL_STORE_OBJECT_FIELDS_H_
#define VIGIL_STORE_OBJECT_FIELDS_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store.h"

namespace vigil::store {

// OK if `obj` is a JSON object with a non-empty "kind" (without '/') and a
// non-empty "metadata.name"; InvalidArgument otherwise.
absl::Status CheckStorable(const Json& obj);

// The compare-and-swap precondition of an update: nullopt if
// metadata.resourceVersion is absent, null or ""; its value if it is a
// decimal string. InvalidArgument for anything else.
absl::StatusOr<std::optional<int64_t>> ExpectedRevisionOf(const Json& obj);

// obj["spec"], or null if absent.
const Json& SpecOf(const Json& obj);

// Sets metadata.resourceVersion to the decimal `revision`.
void SetResourceVersion(int64_t revision, Json* obj);

// Random version-4 UUIDs ("0b7c3f1e-2d4a-4c9b-8e1f-5a6b7c8d9e0f").
// Thread safety: not thread-safe; callers serialize.
class UuidGenerator {
 public:
  UuidGenerator();
  std::string Next();

 private:
  std::mt19937_64 random_;
};

// The store's error statuses, worded as the Kubernetes API words them.
absl::Status ObjectNotFound(const std::string& kind, const std::string& name);
absl::Status ObjectAlreadyExists(const std::string& kind,
                                 const std::string& name);
absl::Status ObjectConflict(const std::string& kind, const std::string& name);
absl::Status RevisionExpired(int64_t requested, int64_t compacted);

}  // namespace vigil::store

#endif  // VIGIL_STORE_OBJECT_FIELDS_H_
