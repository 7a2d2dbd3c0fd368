// Internal to api/: a fluent builder for FieldSchema trees, so the kind
// schemas in schema.cc read like the resource model they encode.
//
// Thread safety: builders are plain values.
#ifndef VIGIL_API_SCHEMA_BUILDER_H_
#define VIGIL_API_SCHEMA_BUILDER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/schema.h"

namespace vigil::api::schema_builder {

// Format of kString fields naming another Vigil object (a DNS-1123
// subdomain). Validation only; not emitted in OpenAPI.
inline constexpr std::string_view kFormatObjectName = "object-name";

class Field {
 public:
  Field(SchemaType type, std::string description) {
    schema_.type = type;
    schema_.description = std::move(description);
  }

  Field& Default(Json value) { schema_.default_value = std::move(value); return *this; }
  Field& Min(int64_t value) { schema_.minimum = value; return *this; }
  Field& Max(int64_t value) { schema_.maximum = value; return *this; }
  Field& Required() { schema_.required = true; return *this; }
  Field& MinItems(size_t n) { schema_.min_items = n; return *this; }
  Field& Format(std::string_view format) { schema_.format = format; return *this; }
  Field& ListMapKey(std::string key) { schema_.list_map_key = std::move(key); return *this; }
  Field& PreserveUnknownFields() { schema_.preserve_unknown_fields = true; return *this; }
  Field& Enum(std::vector<std::string> values) {
    schema_.enum_values = std::move(values);
    return *this;
  }
  Field& ExactlyOneOf(std::vector<std::string> names) {
    schema_.exactly_one_of.push_back(std::move(names));
    return *this;
  }

  Field& Properties(std::vector<Property> properties) {
    schema_.properties = std::move(properties);
    return *this;
  }
  Field& Items(const FieldSchema& items) {
    schema_.items = std::make_shared<const FieldSchema>(items);
    return *this;
  }

  const FieldSchema& Build() const { return schema_; }
  operator FieldSchema() const { return schema_; }  // NOLINT: builder

 private:
  FieldSchema schema_;
};

inline Property P(std::string name, const Field& field) {
  return Property{std::move(name), field.Build()};
}

inline Field String(std::string description) {
  return Field(SchemaType::kString, std::move(description));
}
inline Field Integer(std::string description) {
  return Field(SchemaType::kInteger, std::move(description));
}
inline Field Boolean(std::string description) {
  return Field(SchemaType::kBoolean, std::move(description));
}
inline Field StringMap(std::string description) {
  return Field(SchemaType::kStringMap, std::move(description));
}
// A duration string, > 0 unless Min(0) is called.
inline Field Duration(std::string description) {
  return String(std::move(description)).Format(kFormatDuration).Min(1);
}
inline Field DateTime(std::string description) {
  return String(std::move(description)).Format(kFormatDateTime);
}
inline Field ObjectName(std::string description) {
  return String(std::move(description)).Format(kFormatObjectName);
}
inline Field Object(std::string description, std::vector<Property> properties) {
  Field field(SchemaType::kObject, std::move(description));
  field.Properties(std::move(properties));
  return field;
}
inline Field Array(std::string description, const Field& items) {
  Field field(SchemaType::kArray, std::move(description));
  field.Items(items.Build());
  return field;
}
inline Field StringList(std::string description) {
  return Array(std::move(description), String("One entry."));
}

// Pieces shared by several kinds (schema.cc).
Field AdminState(std::string description);
Field OperState();
Field PresenceState(std::string description);
Field HaState(std::string description);
Field ObservedGeneration();
Field Conditions(std::string types);
Field Instantiation();

// The Component schemas (schema_component.cc).
FieldSchema ComponentSpec();
FieldSchema ComponentStatus();

// The Operation schemas (schema_operation.cc).
FieldSchema OperationSpec();
FieldSchema OperationStatus();

// The Lease schemas (schema_lease.cc).
FieldSchema LeaseSpec();
FieldSchema LeaseStatus();

// The Incident schemas and the ServiceInstance status summaries
// (schema_incident.cc).
FieldSchema IncidentSpec();
FieldSchema IncidentStatus();
Field IncidentSummary();
Field InstanceAvailability();

}  // namespace vigil::api::schema_builder

#endif  // VIGIL_API_SCHEMA_BUILDER_H_
