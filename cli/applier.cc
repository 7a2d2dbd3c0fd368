#include "cli/applier.h"

#include <utility>

#include "cli/merge.h"
#include "cli/retry.h"

namespace vigil::cli {
namespace {

using api::Json;

// The live object, or nullopt if it does not exist.
absl::StatusOr<std::optional<Json>> Fetch(client::Client& client,
                                          const std::string& kind,
                                          const std::string& name) {
  absl::StatusOr<Json> live = RetryUnavailable([&] { return client.Get(kind, name); });
  if (live.ok()) return std::optional<Json>(std::move(*live));
  if (absl::IsNotFound(live.status())) return std::optional<Json>();
  return live.status();
}

// The object was created or deleted between reading and writing it (or a
// retried create had landed): read it again and redo the decision.
bool IsRace(const absl::Status& status) {
  return absl::IsAlreadyExists(status) || absl::IsNotFound(status);
}

ApplyOutcome Failed(absl::Status status) {
  ApplyOutcome outcome;
  outcome.status = std::move(status);
  return outcome;
}

}  // namespace

const char* ApplyOutcome::Verb() const {
  switch (action) {
    case Action::kCreated: return "created";
    case Action::kConfigured: return "configured";
    case Action::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

Applier::Applier(client::Client* client, client::WriteOptions options)
    : client_(client), write_options_(std::move(options)) {}

ApplyOutcome Applier::Apply(const ManifestObject& manifest,
                            const LiveHint& hint) {
  const api::KindInfo* info = api::FindKind(manifest.Kind());
  if (info == nullptr) {
    return Failed(absl::InvalidArgumentError("unknown kind " + manifest.Kind()));
  }
  const Json modified = WithLastApplied(manifest.object);
  ApplyOutcome outcome;
  if (hint.known) {
    outcome = ApplyTo(modified, info->kind, hint.object);
    if (!IsRace(outcome.status)) return outcome;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::optional<Json>> live =
        Fetch(*client_, info->kind, manifest.Name());
    if (!live.ok()) return Failed(live.status());
    outcome = ApplyTo(modified, info->kind, *live);
    if (!IsRace(outcome.status)) break;
  }
  return outcome;
}

ApplyOutcome Applier::ApplyTo(const Json& modified, const std::string& kind,
                              const std::optional<Json>& live) {
  if (live.has_value()) return PatchLive(modified, kind, *live);
  absl::StatusOr<Json> created =
      RetryUnavailable([&] { return client_->Create(modified, write_options_); });
  if (!created.ok()) return Failed(created.status());
  ApplyOutcome outcome;
  outcome.action = ApplyOutcome::Action::kCreated;
  outcome.result = std::move(*created);
  return outcome;
}

ApplyOutcome Applier::PatchLive(const Json& modified, const std::string& kind,
                                const Json& live) {
  std::optional<Json> original = LastAppliedOf(live);
  Json patch = ThreeWayMergePatch(original.value_or(Json()), modified, live);
  ApplyOutcome outcome;
  outcome.adopted = !original.has_value();
  if (patch.empty()) {
    outcome.result = live;
    return outcome;
  }
  absl::StatusOr<Json> patched = RetryUnavailable([&] {
    return client_->Patch(kind, api::NameOf(modified), patch, /*status=*/false,
                          write_options_);
  });
  if (!patched.ok()) return Failed(patched.status());
  outcome.action = ApplyOutcome::Action::kConfigured;
  outcome.result = std::move(*patched);
  return outcome;
}

}  // namespace vigil::cli
