#include "store/rocksdb_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/table.h"
#include "store/event_log.h"
#include "store/keys.h"
#include "store/watcher.h"

namespace vigil::store {
namespace {

// Commits larger than this are split; bounds the committer's latency.
constexpr size_t kMaxBatchWrites = 1024;

// Small memtables and cache: the index holds the working set in memory, so
// RocksDB mostly absorbs writes and serves replays of recent history.
rocksdb::Options DatabaseOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 8 << 20;
  options.max_write_buffer_number = 2;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 2;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(8 << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

absl::Status OpenError(const std::string& path, const rocksdb::Status& status) {
  std::string message = status.ToString();
  if (status.IsIOError() &&
      absl::StrContains(absl::AsciiStrToLower(message), "lock")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data dir ", path, " is in use by another vigild (RocksDB lock held)"));
  }
  if (status.IsCorruption()) {
    return absl::DataLossError(
        absl::StrCat("data dir ", path, " is corrupt: ", message));
  }
  return absl::InternalError(
      absl::StrCat("cannot open data dir ", path, ": ", message));
}

// Reads a meta value; 0 if absent.
absl::StatusOr<int64_t> ReadMeta(rocksdb::DB* db, std::string_view key) {
  std::string value;
  rocksdb::Status status = db->Get(rocksdb::ReadOptions(), key, &value);
  if (status.IsNotFound()) return 0;
  if (!status.ok()) return FromRocksDb(status, "reading store metadata");
  std::optional<int64_t> parsed = keys::ParseMetaValue(value);
  if (!parsed.has_value()) {
    return absl::DataLossError(
        absl::StrCat("malformed store metadata ", std::string(key), ": ", value));
  }
  return *parsed;
}

absl::StatusOr<Json> ParseObject(const std::string& text) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("stored object is not valid JSON: ", e.what()));
  }
}

// The index entry for one stored object (JSON text with its revision).
absl::StatusOr<IndexChange> LoadedObject(const rocksdb::Iterator& it) {
  std::optional<keys::ObjectId> id = keys::ParseObjectKey(it.key().ToStringView());
  if (!id.has_value()) {
    return absl::DataLossError(
        absl::StrCat("malformed object key ", it.key().ToString()));
  }
  std::string text = it.value().ToString();
  absl::StatusOr<Json> obj = ParseObject(text);
  if (!obj.ok()) return obj.status();
  absl::StatusOr<std::optional<int64_t>> revision = ExpectedRevisionOf(*obj);
  if (!revision.ok() || !revision->has_value()) {
    return absl::DataLossError(absl::StrCat(
        "stored object ", id->kind, "/", id->name, " has no resourceVersion"));
  }
  return IndexChange{
      id->kind, id->name,
      StoredObject{**revision, std::make_shared<const std::string>(std::move(text))}};
}

absl::StatusOr<std::vector<Json>> ParseAll(const ObjectTexts& objects) {
  std::vector<Json> items;
  items.reserve(objects.size());
  for (const auto& [name, text] : objects) {
    absl::StatusOr<Json> obj = ParseObject(*text);
    if (!obj.ok()) return obj.status();
    items.push_back(*std::move(obj));
  }
  return items;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const std::string& path, const RocksDbStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
      RocksDbStore::Open(path, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const std::string& path, const RocksDbStoreOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create data dir ", path,
                                            ": ", error.message()));
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(DatabaseOptions(), path, &db);
  if (!status.ok()) return OpenError(path, status);
  std::unique_ptr<RocksDbStore> store(
      new RocksDbStore(path, options, std::unique_ptr<rocksdb::DB>(db)));
  absl::Status loaded = store->Load();
  if (!loaded.ok()) return loaded;
  store->Start();
  return store;
}

RocksDbStore::RocksDbStore(std::string path, const RocksDbStoreOptions& options,
                           std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)),
      options_(options),
      db_(std::move(db)),
      commits_([this](std::vector<PendingWrite*>& batch) { CommitBatch(batch); },
               kMaxBatchWrites) {}

RocksDbStore::~RocksDbStore() {
  {
    std::lock_guard lock(auto_compact_mu_);
    shutting_down_ = true;
  }
  auto_compact_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  // Watches hold log snapshots; they must be released before the database.
  if (hub_ != nullptr) hub_->Close();
  if (db_ != nullptr) db_->Close().PermitUncheckedError();
}

absl::Status RocksDbStore::Load() {
  absl::StatusOr<int64_t> revision = ReadMeta(db_.get(), keys::kRevisionKey);
  if (!revision.ok()) return revision.status();
  absl::StatusOr<int64_t> compacted = ReadMeta(db_.get(), keys::kCompactedKey);
  if (!compacted.ok()) return compacted.status();
  compacted_.store(*compacted);
  // Records a crash left below the compaction point (see Compact).
  absl::Status trimmed = DeleteEvents(db_.get(), 0, *compacted);
  if (!trimmed.ok()) return trimmed;
  return LoadObjects(*revision);
}

absl::Status RocksDbStore::LoadObjects(int64_t revision) {
  std::string upper = std::string(keys::kObjectPrefix);
  upper.back() += 1;  // "o0": just past every "o/..." key
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  std::vector<IndexChange> objects;
  for (it->Seek(keys::kObjectPrefix); it->Valid(); it->Next()) {
    absl::StatusOr<IndexChange> object = LoadedObject(*it);
    if (!object.ok()) return object.status();
    objects.push_back(*std::move(object));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "loading objects");
  index_.Apply(objects, revision);
  return absl::OkStatus();
}

void RocksDbStore::Start() {
  WatchHubOptions hub_options;
  hub_options.bookmark_interval = options_.bookmark_interval;
  hub_options.buffer_events = options_.watch_buffer_events;
  hub_ = WatchHub::Create(hub_options, index_.revision(),
                          [this] { return index_.revision(); });
  if (options_.retained_revisions > 0) {
    compactor_ = std::thread([this] { CompactionLoop(); });
  }
}

absl::StatusOr<Json> RocksDbStore::Get(const std::string& kind,
                                       const std::string& name) {
  std::optional<StoredObject> object = index_.Find(kind, name);
  if (!object.has_value()) return ObjectNotFound(kind, name);
  return ParseObject(*object->json);
}

absl::StatusOr<ListResult> RocksDbStore::List(const std::string& kind,
                                              int64_t at_revision) {
  if (at_revision < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid revision ", at_revision));
  }
  return ListAt(kind, at_revision);
}

absl::StatusOr<ListResult> RocksDbStore::ListAt(const std::string& kind,
                                                int64_t at_revision) {
  ObjectIndex::KindSnapshot current = index_.SnapshotKind(kind);
  if (at_revision > current.revision) {
    return absl::InvalidArgumentError(
        absl::StrCat("requested revision ", at_revision,
                     " is newer than the current revision ", current.revision));
  }
  ObjectTexts objects;
  for (auto& [name, object] : current.objects) objects.emplace(name, object.json);
  ListResult result;
  result.revision = current.revision;
  if (at_revision != 0 && at_revision < current.revision) {
    // The snapshot is taken before reading the compaction point: a record
    // deleted before the snapshot has its compaction already visible.
    LogSnapshot log(db_.get());
    int64_t compacted = compacted_.load();
    if (at_revision < compacted) return RevisionExpired(at_revision, compacted);
    absl::Status rolled = RollBack(log, kind, current.revision, at_revision,
                                   &objects);
    if (!rolled.ok()) return rolled;
    result.revision = at_revision;
  }
  absl::StatusOr<std::vector<Json>> items = ParseAll(objects);
  if (!items.ok()) return items.status();
  result.items = *std::move(items);
  return result;
}

absl::StatusOr<std::unique_ptr<Watch>> RocksDbStore::Watch(
    const std::string& kind, int64_t after_revision) {
  if (after_revision < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid revision ", after_revision));
  }
  std::shared_ptr<Watcher> watcher;
  int64_t published = 0;
  std::unique_ptr<store::Watch> watch =
      hub_->Register(kind, after_revision, &published, &watcher);
  if (after_revision == 0) return watch;
  // Taken after `published` was read, so it holds every event up to it.
  auto snapshot = std::make_unique<LogSnapshot>(db_.get());
  int64_t compacted = compacted_.load();
  if (after_revision < compacted) {
    return RevisionExpired(after_revision, compacted);
  }
  if (after_revision < published) {
    watcher->AttachReplay(
        std::make_unique<RocksDbEventReplay>(std::move(snapshot)),
        after_revision, published);
  }
  return watch;
}

int64_t RocksDbStore::CurrentRevision() { return index_.revision(); }

int64_t RocksDbStore::CompactedRevision() { return compacted_.load(); }

}  // namespace vigil::store
