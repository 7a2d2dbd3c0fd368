#include "api/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "api/labels.h"
#include "api/schema.h"
#include "api/validation_internal.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

using internal::ChildPath;
using internal::FieldErrorCollector;
using internal::HasMember;

// Kubernetes' limit on the total size of all annotations of an object.
constexpr size_t kMaxAnnotationsBytes = 256 * 1024;

const std::vector<std::string> kTopLevelFields = {"apiVersion", "kind", "metadata",
                                                  "spec", "status"};

// Fills defaults of `schema` into `value`, recursively; removes explicit
// nulls of fields without a default (null means absent).
void DefaultValue(Json& value, const FieldSchema& schema) {
  if (schema.type == SchemaType::kArray && value.is_array() &&
      schema.items != nullptr) {
    for (Json& item : value) DefaultValue(item, *schema.items);
    return;
  }
  if (schema.type != SchemaType::kObject || !value.is_object()) return;
  for (const Property& property : schema.properties) {
    auto it = value.find(property.name);
    if (it == value.end() || it->is_null()) {
      if (property.schema.default_value.is_null()) {
        if (it != value.end()) value.erase(it);
        continue;
      }
      value[property.name] = property.schema.default_value;
    }
    DefaultValue(value[property.name], property.schema);
  }
}

void CheckApiVersionAndKind(const Json& obj, FieldErrorCollector& errors) {
  if (!HasMember(obj, "apiVersion")) {
    errors.Required("apiVersion");
  } else if (!obj["apiVersion"].is_string() ||
             obj["apiVersion"].get<std::string>() != kApiVersion) {
    errors.NotSupported("apiVersion", obj["apiVersion"],
                        {std::string(kApiVersion)});
  }
  if (!HasMember(obj, "kind")) {
    errors.Required("kind");
    return;
  }
  std::vector<std::string> kinds;
  for (const KindInfo& info : AllKinds()) kinds.push_back(info.kind);
  const Json& kind = obj["kind"];
  if (!kind.is_string() ||
      std::find(kinds.begin(), kinds.end(), kind.get<std::string>()) ==
          kinds.end()) {
    errors.NotSupported("kind", obj["kind"], kinds);
  }
}

void CheckName(const Json& metadata, FieldErrorCollector& errors) {
  if (!HasMember(metadata, "name") ||
      (metadata["name"].is_string() &&
       metadata["name"].get_ref<const std::string&>().empty())) {
    errors.Required("metadata.name", "name is required");
    return;
  }
  const Json& name = metadata["name"];
  if (!name.is_string()) return;  // reported by the ObjectMeta schema
  for (const std::string& why : Dns1123SubdomainErrors(name.get<std::string>())) {
    errors.Invalid("metadata.name", name, why);
  }
}

void CheckLabels(const Json& metadata, FieldErrorCollector& errors) {
  if (!HasMember(metadata, "labels") || !metadata["labels"].is_object()) return;
  for (const auto& [key, value] : metadata["labels"].items()) {
    for (const std::string& why : LabelKeyErrors(key)) {
      errors.Invalid("metadata.labels", Json(key), why);
    }
    if (!value.is_string()) continue;
    for (const std::string& why : LabelValueErrors(value.get<std::string>())) {
      errors.Invalid("metadata.labels", value, why);
    }
  }
}

void CheckAnnotations(const Json& metadata, FieldErrorCollector& errors) {
  if (!HasMember(metadata, "annotations") || !metadata["annotations"].is_object()) {
    return;
  }
  size_t total_bytes = 0;
  for (const auto& [key, value] : metadata["annotations"].items()) {
    for (const std::string& why : LabelKeyErrors(absl::AsciiStrToLower(key))) {
      errors.Invalid("metadata.annotations", Json(key), why);
    }
    total_bytes += key.size();
    if (value.is_string()) total_bytes += value.get_ref<const std::string&>().size();
  }
  if (total_bytes > kMaxAnnotationsBytes) {
    errors.TooLong("metadata.annotations", kMaxAnnotationsBytes);
  }
}

void CheckMetadata(const Json& obj, FieldErrorCollector& errors) {
  if (!HasMember(obj, "metadata")) {
    errors.Required("metadata");
    return;
  }
  const Json& metadata = obj["metadata"];
  internal::CheckValue(metadata, ObjectMetaSchema(), "metadata", errors);
  if (!metadata.is_object()) return;
  CheckName(metadata, errors);
  CheckLabels(metadata, errors);
  CheckAnnotations(metadata, errors);
}

void CheckUnknownTopLevelFields(const Json& obj, FieldErrorCollector& errors) {
  for (const auto& [key, ignored] : obj.items()) {
    if (std::find(kTopLevelFields.begin(), kTopLevelFields.end(), key) ==
        kTopLevelFields.end()) {
      errors.Unknown(key, "");
    }
  }
}

void CheckSpec(const Json& obj, FieldErrorCollector& errors) {
  if (!obj["kind"].is_string()) return;
  const std::string kind = obj["kind"].get<std::string>();
  const FieldSchema* schema = SpecSchema(kind);
  if (schema == nullptr || FindKind(kind)->kind != kind) return;
  const Json spec = HasMember(obj, "spec") ? obj["spec"] : Json::object();
  internal::CheckValue(spec, *schema, "spec", errors);
  if (spec.is_object()) {
    internal::CheckCrossFieldRules(kind, NameOf(obj), spec, errors);
  }
}

}  // namespace

void ApplyDefaults(Json& obj) {
  if (!obj.is_object()) return;
  if (!HasMember(obj, "apiVersion")) obj["apiVersion"] = kApiVersion;
  const FieldSchema* schema = SpecSchema(KindOf(obj));
  if (schema == nullptr) return;
  if (!HasMember(obj, "spec")) obj["spec"] = Json::object();
  DefaultValue(obj["spec"], *schema);
}

std::vector<FieldError> Validate(const Json& obj) {
  FieldErrorCollector errors;
  if (!obj.is_object()) {
    errors.TypeInvalid("", obj, "object");
    return errors.errors();
  }
  CheckApiVersionAndKind(obj, errors);
  CheckMetadata(obj, errors);
  CheckUnknownTopLevelFields(obj, errors);
  if (HasMember(obj, "kind")) CheckSpec(obj, errors);
  return errors.errors();
}

std::vector<FieldError> ValidateStatus(const Json& obj) {
  FieldErrorCollector errors;
  if (!obj.is_object()) {
    errors.TypeInvalid("", obj, "object");
    return errors.errors();
  }
  const FieldSchema* schema = SpecSchema(KindOf(obj)) == nullptr
                                  ? nullptr
                                  : StatusSchema(KindOf(obj));
  if (schema == nullptr) {
    CheckApiVersionAndKind(obj, errors);
    return errors.errors();
  }
  if (HasMember(obj, "status")) {
    internal::CheckValue(obj["status"], *schema, "status", errors);
  }
  return errors.errors();
}

absl::Status ValidateObject(const Json& obj) {
  std::vector<FieldError> errors = Validate(obj);
  if (errors.empty()) return absl::OkStatus();
  return InvalidObject(KindOf(obj), NameOf(obj), errors);
}

}  // namespace vigil::api
