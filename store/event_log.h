// Reading the RocksDB event log: forwards for watch replay, backwards to roll
// the current objects back to an earlier revision for List; and trimming it.
//
// Both read through a RocksDB snapshot, so a concurrent compaction (which
// deletes old records) cannot tear a replay or a roll-back that began before
// it.
//
// Thread safety: a LogSnapshot is used by one thread at a time; RollBack is
// a pure function of its arguments.
#ifndef VIGIL_STORE_EVENT_LOG_H_
#define VIGIL_STORE_EVENT_LOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "store/watch_hub.h"

namespace vigil::store {

// Maps a RocksDB status to the store's codes: NotFound, DataLoss
// (corruption), Internal (anything else); `what` says what failed.
absl::Status FromRocksDb(const rocksdb::Status& status, const char* what);

// A RocksDB snapshot, released on destruction.
// REQUIRES: the database outlives it.
class LogSnapshot {
 public:
  explicit LogSnapshot(rocksdb::DB* db);
  ~LogSnapshot();
  LogSnapshot(const LogSnapshot&) = delete;
  LogSnapshot& operator=(const LogSnapshot&) = delete;

  rocksdb::DB* db() const { return db_; }
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* const db_;
  const rocksdb::Snapshot* const snapshot_;
};

// Replays a watch's events from a snapshot of the log.
class RocksDbEventReplay : public EventReplay {
 public:
  explicit RocksDbEventReplay(std::unique_ptr<LogSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}

  absl::StatusOr<int64_t> Read(const std::string& kind, int64_t after,
                               int64_t up_to, size_t max_records,
                               std::vector<Event>* out) override;

 private:
  std::unique_ptr<LogSnapshot> snapshot_;
};

// Name -> JSON text of one kind's objects.
using ObjectTexts = std::map<std::string, std::shared_ptr<const std::string>>;

// Undoes, newest first, the logged changes of `kind` with revision in
// (to_revision, from_revision], turning the objects as of `from_revision`
// into the objects as of `to_revision`.
// Errors: DataLoss on a malformed record; Internal on a read error.
absl::Status RollBack(const LogSnapshot& snapshot, const std::string& kind,
                      int64_t from_revision, int64_t to_revision,
                      ObjectTexts* objects);

// Deletes the event records with revision in [first, last], with one point
// delete per record, written in unsynced batches. Point deletes rather than a
// range tombstone: every later read of the log would pay for the tombstone.
// Errors: Internal on a read or write error (some records may be left).
absl::Status DeleteEvents(rocksdb::DB* db, int64_t first, int64_t last);

}  // namespace vigil::store

#endif  // VIGIL_STORE_EVENT_LOG_H_
