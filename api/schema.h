// The declarative schema of every Vigil kind: one tree of field descriptors
// per kind (spec and status) that drives defaulting, validation
// (api/validation.h) and the OpenAPI documents (api/openapi.h).
//
// Thread safety: the schemas are built once, on first use, and immutable after.
#ifndef VIGIL_API_SCHEMA_H_
#define VIGIL_API_SCHEMA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/object.h"

namespace vigil::api {

enum class SchemaType {
  kString,     // JSON string; see FieldSchema::format
  kInteger,    // JSON integer (int64)
  kBoolean,
  kObject,     // fixed properties
  kArray,      // items of FieldSchema::items
  kStringMap,  // object with arbitrary keys and string values
};

// "string", "integer", "boolean", "object", "array", "object" (string map),
// as OpenAPI spells them.
std::string_view OpenApiTypeName(SchemaType type);

// Formats of kString fields.
inline constexpr std::string_view kFormatDuration = "duration";    // "10s"
inline constexpr std::string_view kFormatDateTime = "date-time";  // RFC 3339

struct Property;

// Describes one field (or the item of an array).
struct FieldSchema {
  SchemaType type = SchemaType::kString;
  std::string description;  // one line, shown by `kubectl explain`
  std::string format;       // kFormatDuration, kFormatDateTime or empty
  Json default_value;       // null: no default; {} on an object: fill it in
  std::vector<std::string> enum_values;  // allowed strings, if not empty
  // kInteger: inclusive bounds. kFormatDuration: lower bound in milliseconds
  // (durations are > 0 unless minimum is 0).
  std::optional<int64_t> minimum;
  std::optional<int64_t> maximum;
  size_t min_items = 0;      // kArray
  bool required = false;     // must be present in its parent object
  std::vector<Property> properties;          // kObject, in document order
  std::shared_ptr<const FieldSchema> items;  // kArray
  // kObject: each group names properties of which exactly one must be set.
  std::vector<std::vector<std::string>> exactly_one_of;
  // kArray of kObject: the property whose value is unique within the list
  // (an x-kubernetes-list-type: map key), or empty.
  std::string list_map_key;
  // kObject: keep fields not named in properties (metadata does).
  bool preserve_unknown_fields = false;

  // The schema of property `name`, or nullptr.
  const FieldSchema* FindProperty(std::string_view name) const;
};

struct Property {
  std::string name;
  FieldSchema schema;
};

// The schema of the spec / status of `kind` (any name FindKind accepts), or
// nullptr if the kind is unknown.
const FieldSchema* SpecSchema(std::string_view kind);
const FieldSchema* StatusSchema(std::string_view kind);

// The schema of metadata (Kubernetes ObjectMeta; unknown fields preserved).
const FieldSchema& ObjectMetaSchema();

}  // namespace vigil::api

#endif  // VIGIL_API_SCHEMA_H_
