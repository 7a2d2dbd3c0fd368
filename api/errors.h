// The one way Vigil reports errors: absl::Status, with Kubernetes-style field
// causes attached to InvalidArgument statuses for invalid objects.
//
// Code mapping (done once, in server/): NotFound 404, AlreadyExists 409,
// Aborted (stale resourceVersion) 409, InvalidArgument 422 (invalid object) or
// 400 (malformed request, see MalformedRequest), OutOfRange (compacted) 410,
// Unavailable 503, PermissionDenied 403, Unauthenticated 401.
#ifndef VIGIL_API_ERRORS_H_
#define VIGIL_API_ERRORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace vigil::api {

// One problem with one field, as a Kubernetes StatusCause.
struct FieldError {
  // Kubernetes cause type: "FieldValueRequired", "FieldValueInvalid",
  // "FieldValueNotSupported", "FieldValueDuplicate", "FieldValueTypeInvalid",
  // "FieldValueForbidden", "FieldValueTooLong", "FieldValueUnknown".
  std::string type;
  std::string field;    // "spec.csis[0].csType"
  std::string message;  // "Unsupported value: \"3N\": supported values: \"2N\", ..."

  // "spec.redundancyModel: Unsupported value: ..." as kubectl prints it.
  std::string ToString() const;
  bool operator==(const FieldError&) const = default;
};

// Returns InvalidArgument with the Kubernetes message
//   ServiceGroup.vigil.io "vlc" is invalid: [a: ..., b: ...]
// and the causes attached as a payload (see CausesOf).
// REQUIRES: !errors.empty().
absl::Status InvalidObject(std::string_view kind, std::string_view name,
                           const std::vector<FieldError>& errors);

// The field causes attached by InvalidObject; empty for any other status.
std::vector<FieldError> CausesOf(const absl::Status& status);

// Returns InvalidArgument marked as malformed (HTTP 400, reason BadRequest)
// rather than invalid (422): bad JSON/YAML, a body of the wrong kind, etc.
absl::Status MalformedRequest(std::string_view message);
bool IsMalformedRequest(const absl::Status& status);

}  // namespace vigil::api

#endif  // VIGIL_API_ERRORS_H_
