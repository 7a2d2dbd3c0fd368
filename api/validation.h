// Defaulting and validation of Vigil objects, driven by the kind schemas in
// api/schema.h (the same source as the OpenAPI documents).
//
// Thread safety: pure functions.
#ifndef VIGIL_API_VALIDATION_H_
#define VIGIL_API_VALIDATION_H_

#include <vector>

#include "api/errors.h"
#include "api/object.h"

namespace vigil::api {

// Fills unset spec fields with their schema defaults (e.g. autoRepair: true,
// adminState: Unlocked) and apiVersion if absent. Never overwrites a value
// the user set. Unknown kinds are left untouched.
void ApplyDefaults(Json& obj);

// Checks a whole object: apiVersion and kind, metadata (name is a DNS-1123
// subdomain, labels and annotations are string maps), the spec against the
// kind's schema (types, enums, ranges, required fields, unknown fields,
// durations), and cross-field rules (e.g. exactly one of exec, saAware,
// virtualMachine). Returns every problem found, each with its field path;
// empty when the object is valid. Status is not validated here.
std::vector<FieldError> Validate(const Json& obj);

// Checks the status of an object written through the /status subresource.
std::vector<FieldError> ValidateStatus(const Json& obj);

// Convenience: ApplyDefaults is not called; returns OkStatus() or
// InvalidObject(kind, name, Validate(obj)).
absl::Status ValidateObject(const Json& obj);

}  // namespace vigil::api

#endif  // VIGIL_API_VALIDATION_H_
