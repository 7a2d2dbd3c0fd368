// The schema walker: checks a JSON value against a FieldSchema tree.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/duration.h"
#include "api/labels.h"
#include "api/schema_builder.h"
#include "api/validation_internal.h"
#include "api/strings.h"

namespace vigil::api::internal {
namespace {

constexpr size_t kMaxShownValueLength = 80;

// The value as Kubernetes shows it in messages: strings quoted, numbers bare.
// Long strings keep their closing quote: "aaaa...".
std::string Show(const Json& value) {
  if (value.is_string() &&
      value.get_ref<const std::string&>().size() > kMaxShownValueLength) {
    const Json shortened = Cat(
        value.get_ref<const std::string&>().substr(0, kMaxShownValueLength), "...");
    return shortened.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMaxShownValueLength + 3) {
    text = Cat(text.substr(0, kMaxShownValueLength), "...");
  }
  return text;
}

std::string Quoted(const std::vector<std::string>& values) {
  return absl::StrJoin(values, ", ", [](std::string* out, const std::string& v) {
    out->append(Show(Json(v)));
  });
}

// Levenshtein distance, for "did you mean" suggestions on unknown fields.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(a[i - 1]) == std::tolower(b[j - 1]);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view unknown, const FieldSchema& schema) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, unknown.size() / 4) + 1;
  for (const Property& property : schema.properties) {
    size_t distance = EditDistance(unknown, property.name);
    if (distance < best_distance) {
      best = property.name;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace

void FieldErrorCollector::Add(std::string type, std::string_view path,
                              std::string message) {
  errors_.push_back({std::move(type), std::string(path), std::move(message)});
}

void FieldErrorCollector::Required(std::string_view path, std::string_view detail) {
  Add("FieldValueRequired", path,
      detail.empty() ? "Required value" : Cat("Required value: ", detail));
}

void FieldErrorCollector::Invalid(std::string_view path, const Json& value,
                                  std::string_view detail) {
  Add("FieldValueInvalid", path,
      Cat("Invalid value: ", Show(value), ": ", detail));
}

void FieldErrorCollector::TypeInvalid(std::string_view path, const Json& value,
                                      std::string_view type) {
  Add("FieldValueTypeInvalid", path,
      Cat("Invalid value: ", Show(value), ": ", path.empty() ? "" : Cat(path, " in "),
          "body must be of type ", type));
}

void FieldErrorCollector::NotSupported(std::string_view path, const Json& value,
                                       const std::vector<std::string>& supported) {
  Add("FieldValueNotSupported", path,
      Cat("Unsupported value: ", Show(value),
                   ": supported values: ", Quoted(supported)));
}

void FieldErrorCollector::Duplicate(std::string_view path, const Json& value) {
  Add("FieldValueDuplicate", path, Cat("Duplicate value: ", Show(value)));
}

void FieldErrorCollector::Forbidden(std::string_view path, std::string_view detail) {
  Add("FieldValueForbidden", path, Cat("Forbidden: ", detail));
}

void FieldErrorCollector::TooLong(std::string_view path, size_t max) {
  Add("FieldValueTooLong", path,
      Cat("Too long: must have at most ", max, " bytes"));
}

void FieldErrorCollector::Unknown(std::string_view path,
                                  std::string_view suggestion) {
  Add("FieldValueUnknown", path,
      suggestion.empty()
          ? std::string("unknown field")
          : Cat("unknown field (did you mean \"", suggestion, "\"?)"));
}

std::string ChildPath(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : Cat(path, ".", name);
}

std::string IndexPath(std::string_view path, size_t index) {
  return Cat(path, "[", index, "]");
}

std::string KeyPath(std::string_view path, std::string_view key) {
  return Cat(path, "[", key, "]");
}

bool HasMember(const Json& obj, std::string_view name) {
  if (!obj.is_object()) return false;
  auto it = obj.find(name);
  return it != obj.end() && !it->is_null();
}

namespace {

void CheckDuration(const std::string& text, const FieldSchema& schema,
                   const std::string& path, FieldErrorCollector& errors) {
  absl::StatusOr<std::chrono::milliseconds> duration = ParseDuration(text);
  if (!duration.ok()) {
    std::string why(duration.status().message());
    std::string prefix = Cat("invalid duration \"", text, "\": ");
    if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
    errors.Invalid(path, Json(text),
                   Cat(why, "; a duration looks like 500ms, 10s, 2m "
                                     "or 1h30m"));
    return;
  }
  if (schema.minimum.has_value() && duration->count() < *schema.minimum) {
    errors.Invalid(path, Json(text),
                   *schema.minimum == 1
                       ? std::string("must be greater than 0")
                       : Cat("must be at least ",
                                      FormatDuration(std::chrono::milliseconds(
                                          *schema.minimum))));
  }
}

void CheckString(const Json& value, const FieldSchema& schema,
                 const std::string& path, FieldErrorCollector& errors) {
  if (!value.is_string()) return errors.TypeInvalid(path, value, "string");
  const std::string& text = value.get_ref<const std::string&>();
  if (!schema.enum_values.empty() &&
      std::find(schema.enum_values.begin(), schema.enum_values.end(), text) ==
          schema.enum_values.end()) {
    return errors.NotSupported(path, value, schema.enum_values);
  }
  if (schema.format == kFormatDuration) {
    CheckDuration(text, schema, path, errors);
  } else if (schema.format == kFormatDateTime) {
    absl::Time time;
    std::string why;
    if (!absl::ParseTime(absl::RFC3339_full, text, &time, &why)) {
      errors.Invalid(path, value, "must be an RFC 3339 timestamp such as "
                                  "2026-11-25T10:00:00Z");
    }
  } else if (schema.format == schema_builder::kFormatObjectName && !text.empty()) {
    for (const std::string& why : Dns1123SubdomainErrors(text)) {
      errors.Invalid(path, value, why);
    }
  }
}

void CheckInteger(const Json& value, const FieldSchema& schema,
                  const std::string& path, FieldErrorCollector& errors) {
  if (!value.is_number_integer()) return errors.TypeInvalid(path, value, "integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX) {
    return errors.Invalid(path, value, "must fit in a 64-bit signed integer");
  }
  const int64_t number = value.get<int64_t>();
  if (schema.minimum.has_value() && number < *schema.minimum) {
    errors.Invalid(path, value, Cat("must be greater than or equal to ",
                                             *schema.minimum));
  }
  if (schema.maximum.has_value() && number > *schema.maximum) {
    errors.Invalid(path, value,
                   Cat("must be less than or equal to ", *schema.maximum));
  }
}

void CheckStringMap(const Json& value, const std::string& path,
                    FieldErrorCollector& errors) {
  if (!value.is_object()) return errors.TypeInvalid(path, value, "object");
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) errors.TypeInvalid(KeyPath(path, key), entry, "string");
  }
}

void CheckUniqueKeys(const Json& value, const FieldSchema& schema,
                     const std::string& path, FieldErrorCollector& errors) {
  std::set<std::string> seen;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    if (!item.is_object()) continue;
    auto key = item.find(schema.list_map_key);
    if (key == item.end() || !key->is_string()) continue;
    if (!seen.insert(key->get<std::string>()).second) {
      errors.Duplicate(ChildPath(IndexPath(path, i), schema.list_map_key), *key);
    }
  }
}

void CheckArray(const Json& value, const FieldSchema& schema,
                const std::string& path, FieldErrorCollector& errors) {
  if (!value.is_array()) return errors.TypeInvalid(path, value, "array");
  if (value.size() < schema.min_items) {
    errors.Required(path, Cat("must have at least ", schema.min_items,
                                       schema.min_items == 1 ? " item" : " items"));
  }
  if (schema.items == nullptr) return;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i].is_null()) {
      errors.TypeInvalid(IndexPath(path, i), value[i],
                         OpenApiTypeName(schema.items->type));
      continue;
    }
    CheckValue(value[i], *schema.items, IndexPath(path, i), errors);
  }
  if (!schema.list_map_key.empty()) CheckUniqueKeys(value, schema, path, errors);
}

bool IsMissing(const Json& object, const Property& property) {
  auto it = object.find(property.name);
  if (it == object.end() || it->is_null()) return true;
  return property.schema.type == SchemaType::kString && it->is_string() &&
         it->get_ref<const std::string&>().empty();
}

void CheckExactlyOne(const Json& object, const std::vector<std::string>& group,
                     const std::string& path, FieldErrorCollector& errors) {
  std::vector<std::string> present;
  for (const std::string& name : group) {
    if (HasMember(object, name)) present.push_back(name);
  }
  std::string names = absl::StrJoin(group, ", ");
  if (present.empty()) {
    errors.Required(path, Cat("exactly one of ", names, " must be set"));
  }
  for (size_t i = 1; i < present.size(); ++i) {
    errors.Forbidden(ChildPath(path, present[i]),
                     Cat("may not be set together with ", present[0],
                                  " (exactly one of ", names, ")"));
  }
}

void CheckObject(const Json& value, const FieldSchema& schema,
                 const std::string& path, FieldErrorCollector& errors) {
  if (!value.is_object()) return errors.TypeInvalid(path, value, "object");
  for (const Property& property : schema.properties) {
    std::string child = ChildPath(path, property.name);
    if (IsMissing(value, property)) {
      if (property.schema.required) {
        errors.Required(child);
        continue;
      }
      if (!HasMember(value, property.name)) continue;
    }
    CheckValue(value[property.name], property.schema, child, errors);
  }
  if (!schema.preserve_unknown_fields) {
    for (const auto& [key, ignored] : value.items()) {
      if (schema.FindProperty(key) == nullptr) {
        errors.Unknown(ChildPath(path, key), Suggest(key, schema));
      }
    }
  }
  for (const std::vector<std::string>& group : schema.exactly_one_of) {
    CheckExactlyOne(value, group, path, errors);
  }
}

}  // namespace

void CheckValue(const Json& value, const FieldSchema& schema,
                const std::string& path, FieldErrorCollector& errors) {
  switch (schema.type) {
    case SchemaType::kString: return CheckString(value, schema, path, errors);
    case SchemaType::kInteger: return CheckInteger(value, schema, path, errors);
    case SchemaType::kBoolean:
      if (!value.is_boolean()) errors.TypeInvalid(path, value, "boolean");
      return;
    case SchemaType::kStringMap: return CheckStringMap(value, path, errors);
    case SchemaType::kArray: return CheckArray(value, schema, path, errors);
    case SchemaType::kObject: return CheckObject(value, schema, path, errors);
  }
}

}  // namespace vigil::api::internal
