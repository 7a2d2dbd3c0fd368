// Internal to api/: the schema walker behind Validate and ValidateStatus, and
// the cross-field rules schemas cannot express.
//
// Thread safety: a FieldErrorCollector is used by one thread at a time.
#ifndef VIGIL_API_VALIDATION_INTERNAL_H_
#define VIGIL_API_VALIDATION_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "api/object.h"
#include "api/schema.h"

namespace vigil::api::internal {

// Collects FieldErrors worded as Kubernetes words them.
class FieldErrorCollector {
 public:
  // "Required value" or "Required value: <detail>".
  void Required(std::string_view path, std::string_view detail = "");
  // "Invalid value: <value>: <detail>".
  void Invalid(std::string_view path, const Json& value, std::string_view detail);
  // "Invalid value: <value>: <path> in body must be of type <type>".
  void TypeInvalid(std::string_view path, const Json& value, std::string_view type);
  // "Unsupported value: <value>: supported values: "a", "b"".
  void NotSupported(std::string_view path, const Json& value,
                    const std::vector<std::string>& supported);
  // "Duplicate value: <value>".
  void Duplicate(std::string_view path, const Json& value);
  // "Forbidden: <detail>".
  void Forbidden(std::string_view path, std::string_view detail);
  // "Too long: must have at most <max> bytes".
  void TooLong(std::string_view path, size_t max);
  // "unknown field" (with a suggestion when a known field is close).
  void Unknown(std::string_view path, std::string_view suggestion);

  std::vector<FieldError>& errors() { return errors_; }

 private:
  void Add(std::string type, std::string_view path, std::string message);
  std::vector<FieldError> errors_;
};

// "spec" + "rank" = "spec.rank"; "" + "spec" = "spec".
std::string ChildPath(std::string_view path, std::string_view name);
// "spec.csis" + 1 = "spec.csis[1]"; map keys: "metadata.labels[app]".
std::string IndexPath(std::string_view path, size_t index);
std::string KeyPath(std::string_view path, std::string_view key);

// Whether obj has member `name` with a non-null value.
bool HasMember(const Json& obj, std::string_view name);

// Checks `value` against `schema` at `path`, recursively: types, enums,
// ranges, formats, required and unknown fields, exactly-one groups, unique
// list keys. A null value is treated as absent by the caller.
void CheckValue(const Json& value, const FieldSchema& schema,
                const std::string& path, FieldErrorCollector& errors);

// The cross-field rules of `kind` on a spec already checked against its
// schema (CSI dependencies exist and do not cycle; an SI does not depend on
// itself).
void CheckCrossFieldRules(std::string_view kind, std::string_view name,
                          const Json& spec, FieldErrorCollector& errors);

}  // namespace vigil::api::internal

#endif  // VIGIL_API_VALIDATION_INTERNAL_H_
