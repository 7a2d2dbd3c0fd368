#include "api/strings.h"
#include "server/watch_handler.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/http_util.h"

namespace vigil::server {
namespace {

using api::Json;
using client::WatchEvent;

// Events written per chunk at most; a burst larger than this is split.
constexpr int kMaxEventsPerChunk = 512;

const char* TypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kBookmark:
      return "BOOKMARK";
  }
  return "ERROR";
}

std::string ErrorLine(const absl::Status& status) {
  // A watcher that fell behind must re-list, exactly as after compaction.
  absl::Status reported = absl::IsResourceExhausted(status)
                              ? absl::OutOfRangeError(api::Cat(
                                    "watch fell behind and was ended; re-list: ",
                                    status.message()))
                              : status;
  return WatchEventLine("ERROR", client::StatusToJson(reported));
}

// One watch being streamed: produces the chunks of the response body.
class WatchSession {
 public:
  enum class Step { kContinue, kEnd };

  WatchSession(WatchRequest request, std::unique_ptr<client::WatchStream> stream,
               std::vector<WatchEvent> initial, EventLineCache& lines)
      : request_(std::move(request)),
        lines_(lines),
        stream_(std::move(stream)),
        initial_(std::move(initial)),
        deadline_(absl::Now() + request_.timeout),
        last_write_(absl::Now()) {}

  client::WatchStream* stream() { return stream_.get(); }

  // Blocks until there is something to write (or a heartbeat is due), puts
  // it in *chunk, and says whether the stream ends after it.
  Step NextChunk(std::string* chunk);

 private:
  // Appends the line of `event` to *chunk if this watch wants it.
  void Append(const WatchEvent& event, std::string* chunk);
  Json Transform(const WatchEvent& event);
  bool Wanted(const WatchEvent& event) const;
  // Appends what the stream has ready, without waiting. kEnd on error.
  Step Drain(std::string* chunk);

  const WatchRequest request_;
  EventLineCache& lines_;
  std::unique_ptr<client::WatchStream> stream_;
  std::vector<WatchEvent> initial_;
  const absl::Time deadline_;
  absl::Time last_write_;
  bool columns_sent_ = false;
};

bool WatchSession::Wanted(const WatchEvent& event) const {
  if (event.type == WatchEvent::Type::kBookmark) return request_.bookmarks;
  return request_.fields.Matches(event.object);
}

// The object a bookmark or Table-mode event carries.
Json WatchSession::Transform(const WatchEvent& event) {
  if (!request_.table.has_value()) {
    Json bookmark = event.object;
    bookmark["apiVersion"] = std::string(api::kApiVersion);
    return bookmark;
  }
  TableOptions options = *request_.table;
  options.column_definitions = !columns_sent_;
  columns_sent_ = true;
  std::vector<Json> rows;
  if (event.type != WatchEvent::Type::kBookmark) rows.push_back(event.object);
  return BuildTable(request_.kind->kind, rows, api::ResourceVersionOf(event.object),
                    options);
}

void WatchSession::Append(const WatchEvent& event, std::string* chunk) {
  if (!Wanted(event)) return;
  const char* type = TypeName(event.type);
  if (request_.table.has_value() || event.type == WatchEvent::Type::kBookmark) {
    chunk->append(WatchEventLine(type, Transform(event)));
  } else {
    chunk->append(*lines_.Line(type, event.object));
  }
}

WatchSession::Step WatchSession::Drain(std::string* chunk) {
  for (int i = 0; i < kMaxEventsPerChunk; ++i) {
    absl::StatusOr<std::optional<WatchEvent>> next =
        stream_->Next(std::chrono::milliseconds(0));
    if (!next.ok()) {
      if (!absl::IsCancelled(next.status())) chunk->append(ErrorLine(next.status()));
      return Step::kEnd;
    }
    if (!next->has_value()) break;
    Append(**next, chunk);
  }
  return Step::kContinue;
}

WatchSession::Step WatchSession::NextChunk(std::string* chunk) {
  if (!initial_.empty()) {
    for (const WatchEvent& event : initial_) Append(event, chunk);
    initial_.clear();
    return Step::kContinue;
  }
  const absl::Time now = absl::Now();
  if (now >= deadline_) return Step::kEnd;
  const absl::Duration wait =
      std::min(deadline_ - now, last_write_ + request_.heartbeat - now);
  absl::StatusOr<std::optional<WatchEvent>> next = stream_->Next(
      std::chrono::milliseconds(std::max<int64_t>(0, absl::ToInt64Milliseconds(wait))));
  if (!next.ok()) {
    if (!absl::IsCancelled(next.status())) chunk->append(ErrorLine(next.status()));
    return Step::kEnd;
  }
  Step step = Step::kContinue;
  if (next->has_value()) {
    Append(**next, chunk);
    step = Drain(chunk);
  }
  if (chunk->empty() && absl::Now() >= last_write_ + request_.heartbeat) {
    chunk->append("\n");  // heartbeat; JSON decoders skip whitespace
  }
  if (!chunk->empty()) last_write_ = absl::Now();
  return step;
}

// The synthetic ADDED events for the current state, and the revision to
// watch after.
absl::StatusOr<std::vector<WatchEvent>> InitialEvents(Registry& registry,
                                                      WatchRequest& request) {
  std::vector<WatchEvent> events;
  if (!request.initial_events) return events;
  client::ListOptions options;
  options.label_selector = request.options.label_selector;
  absl::StatusOr<client::ObjectList> list = registry.List(request.kind->kind, options);
  if (!list.ok()) return list.status();
  for (Json& item : list->items) {
    events.push_back({WatchEvent::Type::kAdded, std::move(item)});
  }
  request.options.resource_version = list->resource_version;
  if (request.initial_events_end) {
    // client-go's streaming list waits for this bookmark to end its list.
    const std::string rv = std::to_string(list->resource_version);
    events.push_back({WatchEvent::Type::kBookmark,
                      {{"kind", request.kind->kind},
                       {"metadata",
                        {{"resourceVersion", rv},
                         {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}}});
  }
  return events;
}

void StreamErrorOnly(const absl::Status& status, httplib::Response& res) {
  res.status = 200;
  res.set_content(ErrorLine(status), "application/json;stream=watch");
}

}  // namespace

bool WatchSessions::Add(client::WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    stream->Cancel();
    return false;
  }
  streams_.insert(stream);
  return true;
}

void WatchSessions::Remove(client::WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase(stream);
}

void WatchSessions::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (client::WatchStream* stream : streams_) stream->Cancel();
}

size_t WatchSessions::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

void ServeWatch(Registry& registry, WatchSessions& sessions, WatchRequest request,
                httplib::Response& res) {
  client::StatusDetails details{"", request.kind->plural};
  absl::StatusOr<std::vector<WatchEvent>> initial = InitialEvents(registry, request);
  if (!initial.ok()) return WriteError(res, initial.status(), details);
  absl::StatusOr<std::unique_ptr<client::WatchStream>> stream =
      registry.Watch(request.kind->kind, request.options);
  if (absl::IsOutOfRange(stream.status())) return StreamErrorOnly(stream.status(), res);
  if (!stream.ok()) return WriteError(res, stream.status(), details);
  auto session = std::make_shared<WatchSession>(
      std::move(request), *std::move(stream), *std::move(initial), sessions.lines());
  if (!sessions.Add(session->stream())) {
    return WriteError(res, absl::UnavailableError("the server is shutting down"));
  }
  res.status = 200;
  // Not "application/json": httplib would gzip it, holding events back.
  res.set_chunked_content_provider(
      "application/json;stream=watch",
      [session](size_t, httplib::DataSink& sink) {
        std::string chunk;
        WatchSession::Step step = session->NextChunk(&chunk);
        if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
        if (step == WatchSession::Step::kEnd) sink.done();
        return true;
      },
      [session, &sessions](bool) { sessions.Remove(session->stream()); });
}

}  // namespace vigil::server
