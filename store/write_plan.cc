#include "store/write_plan.h"

#include <memory>

#include "absl/strings/str_cat.h"

namespace vigil::store {
namespace {

// Serializes `obj`; nlohmann-json throws on strings that are not UTF-8.
absl::StatusOr<std::string> Serialize(const Json& obj) {
  try {
    return obj.dump();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("object cannot be stored: ", e.what()));
  }
}

absl::StatusOr<Json> ParseStored(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("stored object is not valid JSON: ", e.what()));
  }
}

// Copies old.metadata[key] into obj, or removes it from obj if old lacks it,
// so the caller can neither set nor clear a store-owned field.
void PreserveMetadata(const Json& old, const char* key, Json* obj) {
  Json& metadata = (*obj)["metadata"];
  auto old_metadata = old.find("metadata");
  if (old_metadata != old.end() && old_metadata->is_object() &&
      old_metadata->contains(key)) {
    metadata[key] = (*old_metadata)[key];
  } else {
    metadata.erase(key);
  }
}

}  // namespace

BatchPlanner::BatchPlanner(const ObjectIndex& index, int64_t base_revision,
                           UuidGenerator* uuids)
    : index_(index),
      base_revision_(base_revision),
      uuids_(uuids),
      now_(api::NowRfc3339()) {}

std::optional<StoredObject> BatchPlanner::Current(
    const std::string& kind, const std::string& name) const {
  auto staged = staged_.find(Key(kind, name));
  if (staged != staged_.end()) return staged->second;
  return index_.Find(kind, name);
}

absl::Status BatchPlanner::Add(WriteRequest request) {
  int64_t revision = last_revision() + 1;
  std::optional<StoredObject> current = Current(request.kind, request.name);
  absl::StatusOr<PlannedWrite> planned = Plan(request, current, revision);
  if (!planned.ok()) return planned.status();
  planned->revision = revision;
  staged_[Key(request.kind, request.name)] = planned->change.object;
  writes_.push_back(*std::move(planned));
  return absl::OkStatus();
}

absl::StatusOr<PlannedWrite> BatchPlanner::Plan(
    WriteRequest& request, const std::optional<StoredObject>& current,
    int64_t revision) {
  if (request.op == WriteRequest::Op::kCreate) {
    if (current.has_value()) {
      return ObjectAlreadyExists(request.kind, request.name);
    }
    return PlanCreate(request, revision);
  }
  if (!current.has_value()) return ObjectNotFound(request.kind, request.name);
  if (request.expected_revision.has_value() &&
      *request.expected_revision != current->mod_revision) {
    return ObjectConflict(request.kind, request.name);
  }
  if (request.op == WriteRequest::Op::kUpdate) {
    return PlanUpdate(request, *current, revision);
  }
  return PlanDelete(request, *current, revision);
}

absl::StatusOr<PlannedWrite> BatchPlanner::PlanCreate(WriteRequest& request,
                                                      int64_t revision) {
  Json obj = std::move(request.object);
  Json& metadata = obj["metadata"];
  metadata["uid"] = uuids_->Next();
  metadata["creationTimestamp"] = now_;
  metadata["generation"] = 1;
  SetResourceVersion(revision, &obj);
  absl::StatusOr<std::string> text = Serialize(obj);
  if (!text.ok()) return text.status();
  PlannedWrite write;
  write.record = {Event::Type::kAdded, request.kind, request.name, *text, ""};
  write.change = {request.kind, request.name,
                  StoredObject{revision, std::make_shared<const std::string>(
                                             *std::move(text))}};
  write.result = std::move(obj);
  return write;
}

absl::StatusOr<PlannedWrite> BatchPlanner::PlanUpdate(
    WriteRequest& request, const StoredObject& current, int64_t revision) {
  absl::StatusOr<Json> old = ParseStored(*current.json);
  if (!old.ok()) return old.status();
  Json obj = std::move(request.object);
  PreserveMetadata(*old, "uid", &obj);
  PreserveMetadata(*old, "creationTimestamp", &obj);
  int64_t generation = api::GenerationOf(*old);
  if (SpecOf(obj) != SpecOf(*old)) ++generation;
  obj["metadata"]["generation"] = generation;
  SetResourceVersion(revision, &obj);
  absl::StatusOr<std::string> text = Serialize(obj);
  if (!text.ok()) return text.status();
  PlannedWrite write;
  write.record = {Event::Type::kModified, request.kind, request.name, *text,
                  *current.json};
  write.change = {request.kind, request.name,
                  StoredObject{revision, std::make_shared<const std::string>(
                                             *std::move(text))}};
  write.result = std::move(obj);
  return write;
}

absl::StatusOr<PlannedWrite> BatchPlanner::PlanDelete(
    const WriteRequest& request, const StoredObject& current,
    int64_t revision) {
  absl::StatusOr<Json> deleted = ParseStored(*current.json);
  if (!deleted.ok()) return deleted.status();
  SetResourceVersion(revision, &*deleted);
  absl::StatusOr<std::string> text = Serialize(*deleted);
  if (!text.ok()) return text.status();
  PlannedWrite write;
  write.record = {Event::Type::kDeleted, request.kind, request.name,
                  *std::move(text), *current.json};
  write.change = {request.kind, request.name, std::nullopt};
  write.result = *std::move(deleted);
  return write;
}

}  // namespace vigil::store
