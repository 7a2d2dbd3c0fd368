// Registry: the Kubernetes API semantics of Vigil on top of a Store.
//
// It is the in-process Client (client/client.h) and what the HTTP server
// calls: defaulting and validation on create/update (every problem reported,
// nothing stored on error), the status subresource split (Update keeps the
// stored status, UpdateStatus keeps the stored spec and metadata), JSON merge
// patch, finalizers and deletionTimestamp, label-selector filtering, dry-run,
// and an audit line per write naming the user.
//
// Writes are read-modify-write cycles made atomic by compare-and-swap on the
// stored resourceVersion: when the caller gave no resourceVersion, a conflict
// with a concurrent writer is retried internally; when it gave one, a stale
// one is reported as Aborted (HTTP 409). A write that would change nothing is
// not stored (no new revision, no watch event, no audit line).
//
// Thread safety: safe for concurrent use (SetAuditSink excepted).
#ifndef VIGIL_SERVER_REGISTRY_H_
#define VIGIL_SERVER_REGISTRY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/labels.h"
#include "client/client.h"
#include "server/merge_patch.h"
#include "server/object_interner.h"
#include "store/store.h"

namespace vigil::server {

// Receives one line per successful (non-dry-run) write.
using AuditSink = std::function<void(const std::string& line)>;

// Kind arguments accept any name of a kind ("sg", "servicegroups",
// "ServiceGroup"); an unknown kind is NotFound with the known kinds listed.
// Errors follow client/client.h, worded as Kubernetes words them
// (`servicegroups.vigil.io "vlc" not found`). The default arguments repeat
// those of client::Client so that calls through a Registry read the same.
class Registry : public client::Client {
 public:
  // REQUIRES: store != nullptr; it outlives no one but is shared.
  explicit Registry(std::shared_ptr<store::Store> store);
  ~Registry() override;

  // Replaces the audit destination (default: one line to stderr per write,
  // "<time> audit user=U verb=V kind=K name=N resourceVersion=R").
  // REQUIRES: called before the registry is used concurrently.
  void SetAuditSink(AuditSink sink);

  absl::StatusOr<client::Json> Get(const std::string& kind,
                                   const std::string& name) override;
  absl::StatusOr<client::ObjectList> List(
      const std::string& kind, const client::ListOptions& options = {}) override;
  absl::StatusOr<client::Json> Create(
      const client::Json& obj, const client::WriteOptions& options = {}) override;
  absl::StatusOr<client::Json> Update(
      const client::Json& obj, const client::WriteOptions& options = {}) override;
  absl::StatusOr<client::Json> UpdateStatus(
      const client::Json& obj, const client::WriteOptions& options = {}) override;
  absl::StatusOr<client::Json> Patch(const std::string& kind,
                                     const std::string& name,
                                     const client::Json& merge_patch,
                                     bool status = false,
                                     const client::WriteOptions& options = {}) override;
  absl::StatusOr<client::Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version = std::nullopt,
      const client::WriteOptions& options = {}) override;
  // Watches one kind. With a label selector, an object whose labels stop
  // (start) matching is reported as DELETED (ADDED), as Kubernetes does.
  // Errors (immediately, not from Next): NotFound for an unknown kind,
  // MalformedRequest for a bad selector, OutOfRange if the start revision was
  // compacted. Next() then fails with OutOfRange or ResourceExhausted if the
  // watcher fell too far behind (re-list and re-watch), Cancelled after
  // Cancel().
  absl::StatusOr<std::unique_ptr<client::WatchStream>> Watch(
      const std::string& kind, const client::ListOptions& options = {}) override;

  // Interned (server/object_interner.h): readers of one version share it.
  std::shared_ptr<const client::Json> Share(client::Json obj) override;

  // Patch with an explicit patch type (the HTTP server also takes RFC 6902
  // JSON patches). Patch() is ApplyPatch with PatchType::kMerge. A patch
  // carrying metadata.resourceVersion is a compare-and-swap; otherwise
  // conflicts are retried on the fresh object. name and kind are immutable.
  absl::StatusOr<client::Json> ApplyPatch(const std::string& kind,
                                          const std::string& name,
                                          PatchType type,
                                          const client::Json& patch, bool status,
                                          const client::WriteOptions& options);

  store::Store& store() { return *store_; }

 private:
  // Builds the object to store from the stored one; errors abort the write.
  using Mutation =
      std::function<absl::StatusOr<client::Json>(const client::Json& current)>;

  absl::StatusOr<client::Json> ReadModifyWrite(
      const api::KindInfo& kind, const std::string& name,
      const std::optional<std::string>& precondition, const Mutation& mutate,
      const client::WriteOptions& options, std::string_view verb);
  // One attempt of ReadModifyWrite; Aborted means "lost a race, retry".
  absl::StatusOr<client::Json> TryReadModifyWrite(
      const api::KindInfo& kind, const std::string& name,
      const std::optional<std::string>& precondition, const Mutation& mutate,
      const client::WriteOptions& options, std::string_view verb);
  absl::StatusOr<client::Json> StoreOrFinalize(
      const api::KindInfo& kind, const client::Json& current,
      client::Json candidate, const client::WriteOptions& options,
      std::string_view verb);
  absl::StatusOr<client::Json> TryDelete(
      const api::KindInfo& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version,
      const client::WriteOptions& options);
  void Audit(const client::WriteOptions& options, std::string_view verb,
             const client::Json& obj);

  std::shared_ptr<store::Store> store_;
  AuditSink audit_sink_;
  ObjectInterner interner_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_REGISTRY_H_
