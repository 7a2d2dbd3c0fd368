#include "api/strings.h"
#include "server/registry.h"

#include <cstdio>
#include <utility>

#include "absl/time/clock.h"
#include "api/errors.h"
#include "server/audit.h"
#include "server/kind_errors.h"
#include "server/object_rules.h"

namespace vigil::server {
namespace {

using client::Json;
using client::WriteOptions;

// Conflicts retried for a write without a resourceVersion precondition
// before giving up; only a hot object under constant writes gets near it.
constexpr int kMaxConflictRetries = 64;

void WriteToStderr(const std::string& line) {
  std::string with_newline = line + "\n";
  std::fputs(with_newline.c_str(), stderr);
}

// The kind of an object sent to be written, which must name itself.
absl::StatusOr<const api::KindInfo*> KindOfNamedObject(const Json& obj) {
  if (!obj.is_object()) {
    return api::MalformedRequest("the object must be a JSON object");
  }
  std::string kind = api::KindOf(obj);
  if (kind.empty()) return api::MalformedRequest("the object has no kind");
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind);
  if (!info.ok() || !api::NameOf(obj).empty()) return info;
  return api::InvalidObject(
      (*info)->kind, "",
      {{"FieldValueRequired", "metadata.name", "Required value: name is required"}});
}

}  // namespace

Registry::Registry(std::shared_ptr<store::Store> store)
    : store_(std::move(store)), audit_sink_(WriteToStderr) {}

Registry::~Registry() = default;

void Registry::SetAuditSink(AuditSink sink) { audit_sink_ = std::move(sink); }

void Registry::Audit(const WriteOptions& options, std::string_view verb,
                     const Json& obj) {
  const std::string kind = api::KindOf(obj);
  const std::string name = api::NameOf(obj);
  const std::string rv = api::ResourceVersionOf(obj);
  audit_sink_(FormatAuditLine(
      {absl::Now(), options.user, verb, kind, name, rv}));
}

absl::StatusOr<Json> Registry::Get(const std::string& kind,
                                   const std::string& name) {
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind);
  if (!info.ok()) return info.status();
  absl::StatusOr<Json> obj = store_->Get((*info)->kind, name);
  if (!obj.ok()) return TranslateStoreError(obj.status(), **info, name);
  return obj;
}

absl::StatusOr<Json> Registry::Create(const Json& obj, const WriteOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = KindOfNamedObject(obj);
  if (!info.ok()) return info.status();
  const api::KindInfo& kind = **info;
  absl::StatusOr<Json> candidate = PrepareCreate(obj, kind);
  if (!candidate.ok()) return candidate.status();
  const std::string name = api::NameOf(*candidate);
  if (options.dry_run) {
    absl::StatusOr<Json> existing = store_->Get(kind.kind, name);
    if (existing.ok()) return AlreadyExistsError(kind, name);
    if (!absl::IsNotFound(existing.status())) return existing.status();
    return DryRunResult(nullptr, *std::move(candidate));
  }
  absl::StatusOr<Json> stored = store_->Create(*std::move(candidate));
  if (!stored.ok()) return TranslateStoreError(stored.status(), kind, name);
  Audit(options, "create", *stored);
  return stored;
}

absl::StatusOr<Json> Registry::Update(const Json& obj, const WriteOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = KindOfNamedObject(obj);
  if (!info.ok()) return info.status();
  const api::KindInfo& kind = **info;
  return ReadModifyWrite(
      kind, api::NameOf(obj), RequestedResourceVersion(obj),
      [&](const Json& current) { return PrepareUpdate(current, obj, kind); },
      options, "update");
}

absl::StatusOr<Json> Registry::UpdateStatus(const Json& obj,
                                            const WriteOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = KindOfNamedObject(obj);
  if (!info.ok()) return info.status();
  const api::KindInfo& kind = **info;
  return ReadModifyWrite(
      kind, api::NameOf(obj), RequestedResourceVersion(obj),
      [&](const Json& current) { return PrepareStatusUpdate(current, obj, kind); },
      options, "update-status");
}

absl::StatusOr<Json> Registry::Patch(const std::string& kind,
                                     const std::string& name,
                                     const Json& merge_patch, bool status,
                                     const WriteOptions& options) {
  return ApplyPatch(kind, name, PatchType::kMerge, merge_patch, status, options);
}

absl::StatusOr<Json> Registry::ApplyPatch(const std::string& kind_name,
                                          const std::string& name,
                                          PatchType type, const Json& patch,
                                          bool status,
                                          const WriteOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind_name);
  if (!info.ok()) return info.status();
  const api::KindInfo& kind = **info;
  // Only a merge patch names a resourceVersion where we can find it.
  std::optional<std::string> precondition;
  if (type == PatchType::kMerge) precondition = RequestedResourceVersion(patch);
  Mutation mutate = [&](const Json& current) -> absl::StatusOr<Json> {
    absl::StatusOr<Json> patched = ApplyPatchDocument(current, type, patch);
    if (!patched.ok()) return patched.status();
    return status ? PrepareStatusUpdate(current, *patched, kind)
                  : PrepareUpdate(current, *patched, kind);
  };
  return ReadModifyWrite(kind, name, precondition, mutate, options,
                         status ? "patch-status" : "patch");
}

absl::StatusOr<Json> Registry::ReadModifyWrite(
    const api::KindInfo& kind, const std::string& name,
    const std::optional<std::string>& precondition, const Mutation& mutate,
    const WriteOptions& options, std::string_view verb) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Json> result =
        TryReadModifyWrite(kind, name, precondition, mutate, options, verb);
    if (result.ok() || !absl::IsAborted(result.status()) ||
        precondition.has_value() || attempt >= kMaxConflictRetries) {
      return result;
    }
  }
}

absl::StatusOr<Json> Registry::TryReadModifyWrite(
    const api::KindInfo& kind, const std::string& name,
    const std::optional<std::string>& precondition, const Mutation& mutate,
    const WriteOptions& options, std::string_view verb) {
  absl::StatusOr<Json> current = store_->Get(kind.kind, name);
  if (!current.ok()) return TranslateStoreError(current.status(), kind, name);
  if (precondition.has_value() &&
      *precondition != api::ResourceVersionOf(*current)) {
    return ConflictError(kind, name);
  }
  absl::StatusOr<Json> candidate = mutate(*current);
  if (!candidate.ok()) return candidate.status();
  return StoreOrFinalize(kind, *current, *std::move(candidate), options, verb);
}

absl::StatusOr<Json> Registry::StoreOrFinalize(const api::KindInfo& kind,
                                               const Json& current,
                                               Json candidate,
                                               const WriteOptions& options,
                                               std::string_view verb) {
  const std::string name = api::NameOf(current);
  const std::string current_rv = api::ResourceVersionOf(current);
  candidate["metadata"]["resourceVersion"] = current_rv;
  if (IsFinalized(candidate)) {
    // The last finalizer is gone from an object marked for deletion.
    if (options.dry_run) return candidate;
    absl::StatusOr<Json> deleted =
        store_->Delete(kind.kind, name, ParseResourceVersion(current_rv));
    if (!deleted.ok()) return TranslateStoreError(deleted.status(), kind, name);
    Audit(options, "delete", *deleted);
    return deleted;
  }
  if (candidate == current) return current;  // nothing to write
  if (options.dry_run) return DryRunResult(&current, std::move(candidate));
  absl::StatusOr<Json> stored = store_->Update(std::move(candidate));
  if (!stored.ok()) return TranslateStoreError(stored.status(), kind, name);
  Audit(options, verb, *stored);
  return stored;
}

absl::StatusOr<Json> Registry::Delete(const std::string& kind_name,
                                      const std::string& name,
                                      std::optional<int64_t> expected_resource_version,
                                      const WriteOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind_name);
  if (!info.ok()) return info.status();
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Json> result =
        TryDelete(**info, name, expected_resource_version, options);
    if (result.ok() || !absl::IsAborted(result.status()) ||
        expected_resource_version.has_value() || attempt >= kMaxConflictRetries) {
      return result;
    }
  }
}

absl::StatusOr<Json> Registry::TryDelete(const api::KindInfo& kind,
                                         const std::string& name,
                                         std::optional<int64_t> expected,
                                         const WriteOptions& options) {
  absl::StatusOr<Json> current = store_->Get(kind.kind, name);
  if (!current.ok()) return TranslateStoreError(current.status(), kind, name);
  const std::optional<int64_t> current_rv =
      ParseResourceVersion(api::ResourceVersionOf(*current));
  if (expected.has_value() && expected != current_rv) {
    return ConflictError(kind, name);
  }
  if (HasFinalizers(*current)) {
    // Finalizers pending: only mark it; the last finalizer removal deletes.
    if (IsMarkedForDeletion(*current)) return current;
    Json marked = MarkForDeletion(*current);
    if (options.dry_run) return marked;
    absl::StatusOr<Json> stored = store_->Update(std::move(marked));
    if (!stored.ok()) return TranslateStoreError(stored.status(), kind, name);
    Audit(options, "delete", *stored);
    return stored;
  }
  if (options.dry_run) return current;
  absl::StatusOr<Json> deleted = store_->Delete(kind.kind, name, current_rv);
  if (!deleted.ok()) return TranslateStoreError(deleted.status(), kind, name);
  Audit(options, "delete", *deleted);
  return deleted;
}

}  // namespace vigil::server
