// RocksDbStore: the Store on RocksDB (see store.h for the contract and
// keys.h for the key layout).
//
// Writes go through a GroupCommitQueue: the committer plans a batch of
// requests against the in-memory ObjectIndex, writes objects, event records
// and the new revision in one synced WriteBatch, applies the batch to the
// index, completes the writers and hands the events to the WatchHub.
// Reads (Get, List) are served from the index; List at an older revision
// rolls the index back through the event log.
//
// Thread safety: thread-safe (every Store method may be called from any
// thread). REQUIRES: no call is in progress when the store is destroyed.
#ifndef VIGIL_STORE_ROCKSDB_STORE_H_
#define VIGIL_STORE_ROCKSDB_STORE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rocksdb/db.h"
#include "store/group_commit.h"
#include "store/object_fields.h"
#include "store/object_index.h"
#include "store/store.h"
#include "store/watch_hub.h"

namespace vigil::store {

class RocksDbStore : public Store {
 public:
  // See OpenRocksDbStore in store.h.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(
      const std::string& path, const RocksDbStoreOptions& options);
  ~RocksDbStore() override;

  absl::StatusOr<Json> Create(Json obj) override;
  absl::StatusOr<Json> Get(const std::string& kind,
                           const std::string& name) override;
  absl::StatusOr<ListResult> List(const std::string& kind,
                                  int64_t at_revision) override;
  absl::StatusOr<Json> Update(Json obj) override;
  absl::StatusOr<Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version) override;
  absl::StatusOr<std::unique_ptr<store::Watch>> Watch(
      const std::string& kind, int64_t after_revision) override;
  absl::Status Compact(int64_t revision) override;
  int64_t CurrentRevision() override;
  int64_t CompactedRevision() override;

 private:
  RocksDbStore(std::string path, const RocksDbStoreOptions& options,
               std::unique_ptr<rocksdb::DB> db);

  // Opening (rocksdb_store.cc).
  absl::Status Load();
  absl::Status LoadObjects(int64_t revision);
  void Start();

  // The write path (rocksdb_store_write.cc).
  void CommitBatch(std::vector<PendingWrite*>& batch);
  absl::Status Persist(const std::vector<PlannedWrite>& writes,
                       int64_t last_revision);
  void Publish(std::vector<PlannedWrite>& writes);
  void MaybeScheduleCompaction(int64_t revision);
  void CompactionLoop();

  // List at an older revision (rocksdb_store.cc).
  absl::StatusOr<ListResult> ListAt(const std::string& kind,
                                    int64_t at_revision);

  const std::string path_;
  const RocksDbStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  ObjectIndex index_;
  std::atomic<int64_t> compacted_{0};
  std::mutex compact_mu_;  // serializes Compact()
  UuidGenerator uuids_;    // used only by the committer
  std::shared_ptr<WatchHub> hub_;
  GroupCommitQueue commits_;

  std::mutex auto_compact_mu_;
  std::condition_variable auto_compact_cv_;
  int64_t auto_compact_target_ = 0;  // GUARDED_BY(auto_compact_mu_)
  bool shutting_down_ = false;       // GUARDED_BY(auto_compact_mu_)
  std::thread compactor_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_ROCKSDB_STORE_H_
