// The write path of RocksDbStore: group commit, persistence, publication and
// compaction of the event log.
#include <optional>

#include "absl/strings/str_cat.h"
#include "rocksdb/write_batch.h"
#include "store/event_log.h"
#include "store/event_record.h"
#include "store/keys.h"
#include "store/rocksdb_store.h"

namespace vigil::store {

absl::StatusOr<Json> RocksDbStore::Create(Json obj) {
  absl::Status storable = CheckStorable(obj);
  if (!storable.ok()) return storable;
  WriteRequest request;
  request.op = WriteRequest::Op::kCreate;
  request.kind = api::KindOf(obj);
  request.name = api::NameOf(obj);
  request.object = std::move(obj);
  return commits_.Submit(std::move(request));
}

absl::StatusOr<Json> RocksDbStore::Update(Json obj) {
  absl::Status storable = CheckStorable(obj);
  if (!storable.ok()) return storable;
  absl::StatusOr<std::optional<int64_t>> expected = ExpectedRevisionOf(obj);
  if (!expected.ok()) return expected.status();
  WriteRequest request;
  request.op = WriteRequest::Op::kUpdate;
  request.kind = api::KindOf(obj);
  request.name = api::NameOf(obj);
  request.expected_revision = *expected;
  request.object = std::move(obj);
  return commits_.Submit(std::move(request));
}

absl::StatusOr<Json> RocksDbStore::Delete(
    const std::string& kind, const std::string& name,
    std::optional<int64_t> expected_resource_version) {
  WriteRequest request;
  request.op = WriteRequest::Op::kDelete;
  request.kind = kind;
  request.name = name;
  request.expected_revision = expected_resource_version;
  return commits_.Submit(std::move(request));
}

void RocksDbStore::CommitBatch(std::vector<PendingWrite*>& batch) {
  BatchPlanner planner(index_, index_.revision(), &uuids_);
  std::vector<PendingWrite*> accepted;  // in the order of planner.writes()
  for (PendingWrite* write : batch) {
    absl::Status planned = planner.Add(std::move(write->request));
    if (planned.ok()) {
      accepted.push_back(write);
    } else {
      write->result = planned;
    }
  }
  if (accepted.empty()) return;
  std::vector<PlannedWrite>& writes = planner.writes();
  absl::Status persisted = Persist(writes, planner.last_revision());
  if (!persisted.ok()) {
    for (PendingWrite* write : accepted) write->result = persisted;
    return;
  }
  std::vector<IndexChange> changes;
  changes.reserve(writes.size());
  for (PlannedWrite& write : writes) changes.push_back(std::move(write.change));
  index_.Apply(changes, planner.last_revision());
  for (size_t i = 0; i < accepted.size(); ++i) {
    accepted[i]->result = writes[i].result;
  }
  Publish(writes);
  MaybeScheduleCompaction(planner.last_revision());
}

absl::Status RocksDbStore::Persist(const std::vector<PlannedWrite>& writes,
                                   int64_t last_revision) {
  rocksdb::WriteBatch batch;
  for (const PlannedWrite& write : writes) {
    std::string key = keys::ObjectKey(write.record.kind, write.record.name);
    if (write.change.object.has_value()) {
      batch.Put(key, *write.change.object->json);
    } else {
      batch.Delete(key);
    }
    batch.Put(keys::EventKey(write.revision), EncodeEventRecord(write.record));
  }
  batch.Put(keys::kRevisionKey, keys::EncodeMetaValue(last_revision));
  rocksdb::WriteOptions options;
  options.sync = options_.sync;
  return FromRocksDb(db_->Write(options, &batch), "writing to the store");
}

void RocksDbStore::Publish(std::vector<PlannedWrite>& writes) {
  std::vector<PublishedEventPtr> events;
  events.reserve(writes.size());
  for (PlannedWrite& write : writes) {
    auto event = std::make_shared<PublishedEvent>();
    event->kind = std::move(write.record.kind);
    event->event.type = write.record.type;
    event->event.revision = write.revision;
    event->event.object = std::move(write.result);
    events.push_back(std::move(event));
  }
  hub_->Publish(std::move(events));
}

absl::Status RocksDbStore::Compact(int64_t revision) {
  std::lock_guard lock(compact_mu_);
  int64_t current = index_.revision();
  if (revision > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot compact to revision ", revision,
                     ": the current revision is ", current));
  }
  const int64_t previous = compacted_.load();
  if (revision <= previous) return absl::OkStatus();
  // The compaction point is made durable before any record goes, so that a
  // crash in between can never leave a log with a hole above it.
  rocksdb::WriteOptions options;
  options.sync = options_.sync;
  absl::Status persisted = FromRocksDb(
      db_->Put(options, keys::kCompactedKey, keys::EncodeMetaValue(revision)),
      "compacting the event log");
  if (!persisted.ok()) return persisted;
  // Published before the records go, so that a reader that still finds the
  // old compaction point after taking its snapshot also finds the records.
  compacted_.store(revision);
  return DeleteEvents(db_.get(), previous + 1, revision);
}

void RocksDbStore::MaybeScheduleCompaction(int64_t revision) {
  const int64_t retained = options_.retained_revisions;
  if (retained <= 0) return;
  // Compacting in steps of an eighth of the window, not on every write,
  // batches the deletes and keeps the compactor mostly asleep.
  const int64_t step = std::max<int64_t>(1, retained / 8);
  if (revision - compacted_.load() < retained + step) return;
  {
    std::lock_guard lock(auto_compact_mu_);
    auto_compact_target_ = revision - retained;
  }
  auto_compact_cv_.notify_one();
}

void RocksDbStore::CompactionLoop() {
  std::unique_lock lock(auto_compact_mu_);
  for (;;) {
    auto_compact_cv_.wait(
        lock, [&] { return shutting_down_ || auto_compact_target_ > 0; });
    if (shutting_down_) return;
    int64_t target = std::exchange(auto_compact_target_, 0);
    lock.unlock();
    // A failure leaves the log longer than asked; the next trigger retries.
    Compact(target).IgnoreError();
    lock.lock();
  }
}

}  // namespace vigil::store
