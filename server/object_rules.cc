#include "api/strings.h"
#include "server/object_rules.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/validation.h"

namespace vigil::server {
namespace {

using api::FieldError;
using api::Json;

constexpr const char* kStoreOwnedMetadata[] = {"uid", "creationTimestamp",
                                               "generation", "resourceVersion"};

FieldError ImmutableField(const std::string& field, const std::string& value,
                          const std::string& was) {
  return {"FieldValueInvalid", field,
          api::Cat("Invalid value: \"", value,
                       "\": field is immutable (was \"", was, "\")")};
}

Json& Metadata(Json& obj) {
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) {
    obj["metadata"] = Json::object();
  }
  return obj["metadata"];
}

// Copies `field` of current's metadata into obj's, or removes it from obj's
// when current has none.
void KeepMetadataField(const Json& current, Json& obj, const char* field) {
  Json& meta = Metadata(obj);
  auto cur_meta = current.find("metadata");
  if (cur_meta != current.end() && cur_meta->is_object() &&
      cur_meta->contains(field)) {
    meta[field] = (*cur_meta)[field];
  } else {
    meta.erase(field);
  }
}

void KeepStatus(const Json& current, Json& obj) {
  if (current.contains("status")) {
    obj["status"] = current["status"];
  } else {
    obj.erase("status");
  }
}

absl::Status ValidateOrError(const Json& obj, std::vector<FieldError> errors) {
  if (errors.empty()) return absl::OkStatus();
  return api::InvalidObject(api::KindOf(obj), api::NameOf(obj), errors);
}

// Ok if `obj` may replace `current`: a JSON object of the same kind and name.
absl::Status CheckSameIdentity(const Json& current, const Json& obj,
                               const api::KindInfo& kind) {
  if (!obj.is_object()) return api::MalformedRequest("the object must be a JSON object");
  std::vector<FieldError> errors;
  if (api::KindOf(obj) != kind.kind) {
    errors.push_back(ImmutableField("kind", api::KindOf(obj), kind.kind));
  }
  if (api::NameOf(obj) != api::NameOf(current)) {
    errors.push_back(
        ImmutableField("metadata.name", api::NameOf(obj), api::NameOf(current)));
  }
  if (errors.empty()) return absl::OkStatus();
  return api::InvalidObject(kind.kind, api::NameOf(current), errors);
}

}  // namespace

absl::StatusOr<Json> PrepareCreate(const Json& obj, const api::KindInfo& kind) {
  if (!obj.is_object()) return api::MalformedRequest("the object must be a JSON object");
  Json candidate = obj;
  candidate.erase("status");
  Json& meta = Metadata(candidate);
  meta.erase("deletionTimestamp");
  for (const char* field : kStoreOwnedMetadata) meta.erase(field);
  if (api::KindOf(candidate) != kind.kind) {
    return api::InvalidObject(kind.kind, api::NameOf(candidate),
                              {{"FieldValueInvalid", "kind",
                                api::Cat("Invalid value: \"", api::KindOf(obj),
                                             "\": must be \"", kind.kind, "\"")}});
  }
  api::ApplyDefaults(candidate);
  absl::Status valid = ValidateOrError(candidate, api::Validate(candidate));
  if (!valid.ok()) return valid;
  return candidate;
}

absl::StatusOr<Json> PrepareUpdate(const Json& current, const Json& obj,
                                   const api::KindInfo& kind) {
  if (absl::Status same = CheckSameIdentity(current, obj, kind); !same.ok()) return same;
  Json candidate = obj;
  KeepStatus(current, candidate);
  KeepMetadataField(current, candidate, "deletionTimestamp");
  for (const char* field : kStoreOwnedMetadata) {
    KeepMetadataField(current, candidate, field);
  }
  api::ApplyDefaults(candidate);
  absl::Status valid = ValidateOrError(candidate, api::Validate(candidate));
  if (!valid.ok()) return valid;
  return candidate;
}

absl::StatusOr<Json> PrepareStatusUpdate(const Json& current, const Json& obj,
                                         const api::KindInfo& kind) {
  if (absl::Status same = CheckSameIdentity(current, obj, kind); !same.ok()) return same;
  Json candidate = current;
  KeepStatus(obj, candidate);
  absl::Status valid = ValidateOrError(candidate, api::ValidateStatus(candidate));
  if (!valid.ok()) return valid;
  return candidate;
}

Json MarkForDeletion(const Json& current) {
  Json marked = current;
  Metadata(marked)["deletionTimestamp"] = api::NowRfc3339();
  return marked;
}

bool HasFinalizers(const Json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return false;
  auto finalizers = meta->find("finalizers");
  return finalizers != meta->end() && finalizers->is_array() &&
         !finalizers->empty();
}

bool IsMarkedForDeletion(const Json& obj) {
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return false;
  auto deletion = meta->find("deletionTimestamp");
  return deletion != meta->end() && deletion->is_string() &&
         !deletion->get<std::string>().empty();
}

bool IsFinalized(const Json& obj) {
  return IsMarkedForDeletion(obj) && !HasFinalizers(obj);
}

Json DryRunResult(const Json* current, Json candidate) {
  Json& meta = Metadata(candidate);
  if (current == nullptr) {
    meta["generation"] = 1;
    meta["creationTimestamp"] = api::NowRfc3339();
    return candidate;
  }
  int64_t generation = api::GenerationOf(*current);
  bool spec_changed = current->value("spec", Json()) != candidate.value("spec", Json());
  meta["generation"] = spec_changed ? generation + 1 : generation;
  return candidate;
}

std::optional<std::string> RequestedResourceVersion(const Json& obj) {
  std::string rv = api::ResourceVersionOf(obj);
  if (rv.empty()) return std::nullopt;
  return rv;
}

std::optional<int64_t> ParseResourceVersion(const std::string& text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

}  // namespace vigil::server
