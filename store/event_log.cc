#include "store/event_log.h"

#include "absl/strings/str_cat.h"
#include "rocksdb/write_batch.h"
#include "store/event_record.h"
#include "store/keys.h"

namespace vigil::store {
namespace {

// An iterator over the event records with revision in [first, last].
std::unique_ptr<rocksdb::Iterator> EventIterator(const LogSnapshot& snapshot,
                                                 int64_t first, int64_t last,
                                                 std::string* lower,
                                                 std::string* upper,
                                                 rocksdb::Slice* lower_slice,
                                                 rocksdb::Slice* upper_slice) {
  *lower = keys::EventKey(first);
  *upper = keys::EventKey(last + 1);
  *lower_slice = *lower;
  *upper_slice = *upper;
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.get();
  options.iterate_lower_bound = lower_slice;
  options.iterate_upper_bound = upper_slice;
  return std::unique_ptr<rocksdb::Iterator>(snapshot.db()->NewIterator(options));
}

absl::StatusOr<Event> ToEvent(const EventRecord& record, int64_t revision) {
  Event event;
  event.type = record.type;
  event.revision = revision;
  try {
    event.object = Json::parse(record.after);
  } catch (const Json::exception& e) {
    return absl::DataLossError(absl::StrCat(
        "event ", revision, " holds invalid JSON: ", e.what()));
  }
  return event;
}

absl::Status MalformedRecord(const rocksdb::Iterator& it) {
  std::optional<int64_t> revision = keys::ParseEventKey(it.key().ToStringView());
  return absl::DataLossError(
      absl::StrCat("malformed event-log record at revision ",
                   revision.value_or(-1)));
}

// Undoes one logged change in `objects`.
void Undo(const EventRecord& record, ObjectTexts* objects) {
  if (record.type == Event::Type::kAdded) {
    objects->erase(record.name);
  } else {
    (*objects)[record.name] = std::make_shared<const std::string>(record.before);
  }
}

// Deletes per write batch when trimming the log.
constexpr int kDeletesPerBatch = 4096;

}  // namespace

absl::Status FromRocksDb(const rocksdb::Status& status, const char* what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  return absl::InternalError(message);
}

LogSnapshot::LogSnapshot(rocksdb::DB* db)
    : db_(db), snapshot_(db->GetSnapshot()) {}

LogSnapshot::~LogSnapshot() { db_->ReleaseSnapshot(snapshot_); }

absl::StatusOr<int64_t> RocksDbEventReplay::Read(const std::string& kind,
                                                 int64_t after, int64_t up_to,
                                                 size_t max_records,
                                                 std::vector<Event>* out) {
  if (after >= up_to) return up_to;
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  auto it = EventIterator(*snapshot_, after + 1, up_to, &lower, &upper,
                          &lower_slice, &upper_slice);
  int64_t last = after;
  size_t examined = 0;
  for (it->SeekToFirst(); it->Valid() && examined < max_records; it->Next()) {
    ++examined;
    std::optional<int64_t> revision = keys::ParseEventKey(it->key().ToStringView());
    if (!revision.has_value()) return MalformedRecord(*it);
    last = *revision;
    std::optional<std::string_view> record_kind =
        PeekEventKind(it->value().ToStringView());
    if (!record_kind.has_value()) return MalformedRecord(*it);
    if (!kind.empty() && *record_kind != kind) continue;
    std::optional<EventRecord> record = DecodeEventRecord(it->value().ToStringView());
    if (!record.has_value()) return MalformedRecord(*it);
    absl::StatusOr<Event> event = ToEvent(*record, *revision);
    if (!event.ok()) return event.status();
    out->push_back(*std::move(event));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  // The range was read to its end (events can be sparse after compaction).
  if (!it->Valid()) return up_to;
  return last;
}

absl::Status RollBack(const LogSnapshot& snapshot, const std::string& kind,
                      int64_t from_revision, int64_t to_revision,
                      ObjectTexts* objects) {
  if (to_revision >= from_revision) return absl::OkStatus();
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  auto it = EventIterator(snapshot, to_revision + 1, from_revision, &lower,
                          &upper, &lower_slice, &upper_slice);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    std::optional<std::string_view> record_kind =
        PeekEventKind(it->value().ToStringView());
    if (!record_kind.has_value()) return MalformedRecord(*it);
    if (*record_kind != kind) continue;
    std::optional<EventRecord> record = DecodeEventRecord(it->value().ToStringView());
    if (!record.has_value()) return MalformedRecord(*it);
    Undo(*record, objects);
  }
  return FromRocksDb(it->status(), "reading the event log");
}

absl::Status DeleteEvents(rocksdb::DB* db, int64_t first, int64_t last) {
  if (first > last) return absl::OkStatus();
  std::string lower = keys::EventKey(first), upper = keys::EventKey(last + 1);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  rocksdb::WriteBatch batch;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    batch.Delete(it->key());
    if (batch.Count() < kDeletesPerBatch) continue;
    absl::Status written = FromRocksDb(db->Write(rocksdb::WriteOptions(), &batch),
                                       "trimming the event log");
    if (!written.ok()) return written;
    batch.Clear();
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "trimming the event log");
  return FromRocksDb(db->Write(rocksdb::WriteOptions(), &batch),
                     "trimming the event log");
}

}  // namespace vigil::store
