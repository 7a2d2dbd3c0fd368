#include "api/strings.h"
#include "server/watch_stream.h"

#include <utility>
#include <vector>

namespace vigil::server {
namespace {

using client::WatchEvent;

WatchEvent::Type ConvertType(store::Event::Type type) {
  switch (type) {
    case store::Event::Type::kAdded:
      return WatchEvent::Type::kAdded;
    case store::Event::Type::kModified:
      return WatchEvent::Type::kModified;
    case store::Event::Type::kDeleted:
      return WatchEvent::Type::kDeleted;
    case store::Event::Type::kBookmark:
      return WatchEvent::Type::kBookmark;
  }
  return WatchEvent::Type::kBookmark;
}

}  // namespace

RegistryWatchStream::RegistryWatchStream(std::unique_ptr<store::Watch> watch,
                                         api::LabelSelector selector,
                                         std::set<std::string> matching)
    : watch_(std::move(watch)),
      selector_(std::move(selector)),
      matching_(std::move(matching)) {}

RegistryWatchStream::~RegistryWatchStream() { watch_->Stop(); }

void RegistryWatchStream::Cancel() { watch_->Stop(); }

absl::StatusOr<std::optional<WatchEvent>> RegistryWatchStream::Next(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pending_.empty()) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() < 0) remaining = std::chrono::milliseconds(0);
    absl::StatusOr<std::vector<store::Event>> events = watch_->Next(remaining);
    if (!events.ok()) return events.status();
    for (store::Event& event : *events) Accept(std::move(event));
    // Every event may have been filtered out; poll again until the deadline.
    if (pending_.empty() && remaining.count() == 0) return std::nullopt;
  }
  WatchEvent next = std::move(pending_.front());
  pending_.pop_front();
  return next;
}

void RegistryWatchStream::Emit(WatchEvent::Type type, api::Json object) {
  pending_.push_back(WatchEvent{type, std::move(object)});
}

void RegistryWatchStream::Accept(store::Event event) {
  const WatchEvent::Type type = ConvertType(event.type);
  if (selector_.empty() || type == WatchEvent::Type::kBookmark) {
    Emit(type, std::move(event.object));
    return;
  }
  const std::string name = api::NameOf(event.object);
  const bool was = matching_.count(name) > 0;
  const bool is = type != WatchEvent::Type::kDeleted &&
                  selector_.MatchesObject(event.object);
  if (is) {
    matching_.insert(name);
    Emit(was ? WatchEvent::Type::kModified : WatchEvent::Type::kAdded,
         std::move(event.object));
  } else if (was) {
    matching_.erase(name);
    Emit(WatchEvent::Type::kDeleted, std::move(event.object));
  }
}

}  // namespace vigil::server
