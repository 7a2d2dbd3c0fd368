// The Store: a versioned object store with etcd semantics.
//
// One revision counter for the whole store; every successful write bumps it by
// one. An object's metadata.resourceVersion is the decimal revision of its last
// modification. Writes are durable once acknowledged (synced to disk). Watches
// start at any revision still in the event log, replay what was missed, then
// stream live.
//
// Objects are JSON documents keyed by (kind, metadata.name). The store owns
// these metadata fields and overwrites whatever the caller passed:
//   resourceVersion   on every write
//   uid, creationTimestamp   on create (kept unchanged on update)
//   generation        1 on create; +1 on update only if "spec" changed
// Everything else (finalizers, deletionTimestamp, status) is stored as given;
// the API semantics on top (validation, status subresource, finalizers) live
// in server/registry.h.
//
// Thread safety: every method of Store and Watch may be called concurrently
// from any thread.
#ifndef VIGIL_STORE_STORE_H_
#define VIGIL_STORE_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::store {

using api::Json;

// One change, as recorded in the event log.
struct Event {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kAdded;
  int64_t revision = 0;  // the revision of this change (bookmark: current)
  // kAdded/kModified: the object after the change. kDeleted: the object as it
  // was deleted, with resourceVersion set to the deletion revision (as etcd3
  // and the Kubernetes API report it). kBookmark: {"kind": K, "metadata":
  // {"resourceVersion": "N"}} only.
  Json object;
};

struct ListResult {
  std::vector<Json> items;  // sorted by name
  int64_t revision = 0;     // the store revision the list reflects
};

// A stream of events for one kind (or all kinds) after a starting revision.
// Events arrive in revision order with no gaps or duplicates for the kind(s)
// watched.
class Watch {
 public:
  virtual ~Watch() = default;

  // Waits up to `timeout` for events and returns all that are ready (possibly
  // none on timeout). Returns a bookmark event (revision = current store
  // revision) when no event arrived for the bookmark interval.
  // Errors: Cancelled after Stop(); ResourceExhausted if the consumer fell so
  // far behind that its buffer overflowed (it must re-list and re-watch).
  virtual absl::StatusOr<std::vector<Event>> Next(
      std::chrono::milliseconds timeout) = 0;

  // Ends the watch; a Next() blocked in another thread returns Cancelled.
  virtual void Stop() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores a new object. REQUIRES: obj has "kind" and "metadata.name".
  // Returns the stored object with the store-owned metadata set.
  // Errors: AlreadyExists if (kind, name) is present.
  virtual absl::StatusOr<Json> Create(Json obj) = 0;

  // Errors: NotFound.
  virtual absl::StatusOr<Json> Get(const std::string& kind,
                                   const std::string& name) = 0;

  // Lists one kind, sorted by name. at_revision == 0: the current state;
  // otherwise the state as of that revision.
  // Errors: OutOfRange ("expired") if at_revision is below the compacted
  // revision; InvalidArgument if it is above the current revision.
  virtual absl::StatusOr<ListResult> List(const std::string& kind,
                                          int64_t at_revision = 0) = 0;

  // Replaces an existing object. If obj.metadata.resourceVersion is set and
  // non-empty, the write succeeds only if it equals the stored one
  // (compare-and-swap); if unset, the write is unconditional.
  // Errors: NotFound; Aborted if the resourceVersion is stale (a conflict).
  virtual absl::StatusOr<Json> Update(Json obj) = 0;

  // Removes an object; with expected_resource_version, only if it matches.
  // Returns the object as deleted (resourceVersion = the deletion revision).
  // Errors: NotFound; Aborted on a stale expected_resource_version.
  virtual absl::StatusOr<Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version = std::nullopt) = 0;

  // Watches `kind` ("" = every kind) for changes with revision > after_revision.
  // after_revision == 0 means "from now". Replays logged events first.
  // Errors: OutOfRange ("expired") if after_revision < CompactedRevision().
  virtual absl::StatusOr<std::unique_ptr<store::Watch>> Watch(
      const std::string& kind, int64_t after_revision) = 0;

  // Drops event-log entries with revision <= `revision`. Lists and watches
  // below it then fail with OutOfRange. REQUIRES: revision <= CurrentRevision().
  virtual absl::Status Compact(int64_t revision) = 0;

  virtual int64_t CurrentRevision() = 0;
  virtual int64_t CompactedRevision() = 0;
};

struct RocksDbStoreOptions {
  // Sync every acknowledged write to disk (fsync through the RocksDB WAL).
  // Only tests of non-durability concerns may turn this off.
  bool sync = true;
  // Automatic compaction keeps at least this many most recent revisions in the
  // event log (0 disables automatic compaction).
  int64_t retained_revisions = 100000;
  // A watch with no events for this long receives a bookmark.
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(10)};
  // Events a watcher may have pending before it is ended ResourceExhausted.
  size_t watch_buffer_events = 100000;
};

// Opens (creating if needed) a RocksDB-backed store in directory `path`.
// Concurrent writers are group-committed: one synced WriteBatch carries the
// objects, events and revision of many writes.
// Errors: FailedPrecondition if another process holds the database lock
// (message says so and names the path); Internal/DataLoss on corruption.
absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const std::string& path, const RocksDbStoreOptions& options = {});

}  // namespace vigil::store

#endif  // VIGIL_STORE_STORE_H_
