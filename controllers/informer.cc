#include "controllers/informer.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "api/object.h"

namespace vigil::controllers {
namespace {

constexpr std::chrono::milliseconds kWatchPoll{200};
constexpr std::chrono::milliseconds kRetryDelay{100};

int64_t RevisionOf(const api::Json& obj) {
  int64_t revision = 0;
  return absl::SimpleAtoi(api::ResourceVersionOf(obj), &revision) ? revision : 0;
}

}  // namespace

Informer::Informer(client::Client* client, std::string kind)
    : client_(client), kind_(std::move(kind)) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandler(Handler handler) { handlers_.push_back(std::move(handler)); }

void Informer::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Stop() {
  stopping_ = true;
  {
    std::lock_guard lock(mu_);
    if (stream_) stream_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return synced_cv_.wait_for(lock, timeout, [this] { return synced_.load(); });
}

ObjectPtr Informer::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(name);
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> objects;
  objects.reserve(cache_.size());
  for (const auto& [name, obj] : cache_) objects.push_back(obj);
  return objects;
}

void Informer::Run() {
  while (!stopping_) {
    absl::StatusOr<int64_t> revision = Relist();
    absl::Status status = revision.ok() ? WatchFrom(*revision) : revision.status();
    if (stopping_) break;
    // Expired (compacted) watches are routine; anything else is worth a line.
    if (!absl::IsOutOfRange(status)) {
      std::cerr << "informer " << kind_ << ": " << status << "; re-listing\n";
    }
    std::this_thread::sleep_for(kRetryDelay);
  }
}

absl::StatusOr<int64_t> Informer::Relist() {
  absl::StatusOr<client::ObjectList> list = client_->List(kind_);
  if (!list.ok()) return list.status();
  std::map<std::string, ObjectPtr> fresh;
  for (api::Json& item : list->items) {
    std::string name = api::NameOf(item);
    fresh.emplace(std::move(name), client_->Share(std::move(item)));
  }
  std::map<std::string, ObjectPtr> old;
  {
    std::lock_guard lock(mu_);
    old.swap(cache_);
    cache_ = fresh;
  }
  for (const auto& [name, obj] : fresh) {
    auto it = old.find(name);
    if (it == old.end()) {
      Notify(nullptr, obj);
    } else if (RevisionOf(*it->second) != RevisionOf(*obj)) {
      Notify(it->second, obj);
    }
  }
  for (const auto& [name, obj] : old) {
    if (!fresh.contains(name)) Notify(obj, nullptr);
  }
  synced_ = true;
  synced_cv_.notify_all();
  return list->resource_version;
}

absl::Status Informer::WatchFrom(int64_t revision) {
  client::ListOptions options;
  options.resource_version = revision;
  absl::StatusOr<std::unique_ptr<client::WatchStream>> stream =
      client_->Watch(kind_, options);
  if (!stream.ok()) return stream.status();
  client::WatchStream* watch = stream->get();
  {
    std::lock_guard lock(mu_);
    stream_ = std::move(*stream);
  }
  absl::Status status;
  while (!stopping_) {
    absl::StatusOr<std::optional<client::WatchEvent>> event = watch->Next(kWatchPoll);
    if (!event.ok()) {
      status = event.status();
      break;
    }
    if (event->has_value()) Apply(**std::move(event));
  }
  std::lock_guard lock(mu_);
  stream_.reset();
  return status;
}

void Informer::Apply(client::WatchEvent event) {
  using Type = client::WatchEvent::Type;
  if (event.type == Type::kBookmark) return;
  const std::string name = api::NameOf(event.object);
  ObjectPtr old_obj;
  ObjectPtr new_obj;
  // Shared before taking the lock: Share may wait on other informers.
  if (event.type != Type::kDeleted) new_obj = client_->Share(std::move(event.object));
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(name);
    if (it != cache_.end()) old_obj = it->second;
    if (event.type == Type::kDeleted) {
      cache_.erase(name);
    } else {
      cache_[name] = new_obj;
    }
  }
  if (old_obj || new_obj) Notify(old_obj, new_obj);
}

void Informer::Notify(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  for (const Handler& handler : handlers_) handler(old_obj, new_obj);
}

absl::Status StartInformers(std::initializer_list<Informer*> informers,
                            std::chrono::milliseconds timeout) {
  for (Informer* informer : informers) {
    informer->Start();
    if (!informer->WaitForSync(timeout)) {
      return absl::DeadlineExceededError("informer for " + informer->kind() + " did not sync");
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::controllers
