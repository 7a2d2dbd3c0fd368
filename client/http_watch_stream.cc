#include "client/http_watch_stream.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "api/strings.h"
#include "client/json_fields.h"
#include "client/k8s_status.h"

namespace vigil::client {
namespace {

std::optional<WatchEvent::Type> ParseType(const std::string& type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "MODIFIED") return WatchEvent::Type::kModified;
  if (type == "DELETED") return WatchEvent::Type::kDeleted;
  if (type == "BOOKMARK") return WatchEvent::Type::kBookmark;
  return std::nullopt;
}

}  // namespace

HttpWatchStream::HttpWatchStream(std::unique_ptr<httplib::Client> http,
                                 std::string path, httplib::Headers headers)
    : http_(std::move(http)), path_(std::move(path)), headers_(std::move(headers)) {}

HttpWatchStream::~HttpWatchStream() {
  Cancel();
  if (reader_.joinable()) reader_.join();
}

absl::Status HttpWatchStream::Start(std::chrono::milliseconds timeout) {
  reader_ = std::thread([this] { Run(); });
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] {
        return http_status_.has_value() || terminal_.has_value();
      })) {
    return absl::DeadlineExceededError("the server did not answer the watch request");
  }
  if (http_status_.value_or(0) == 200) return absl::OkStatus();
  // An error response: its Status body arrives right after the headers.
  cv_.wait_for(lock, timeout, [this] { return terminal_.has_value(); });
  if (!terminal_.has_value()) return absl::DeadlineExceededError("watch request timed out");
  return *terminal_;
}

void HttpWatchStream::Run() {
  httplib::Result result = http_->Get(
      path_, headers_,
      [this](const httplib::Response& response) { return OnHeaders(response); },
      [this](const char* data, size_t size) { return OnData(data, size); });
  int status = 0;
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status = http_status_.value_or(0);
    cancelled = cancelled_;
  }
  if (status != 0 && status != 200) {
    Finish(StatusFromHttp(status, error_body_));
  } else if (cancelled) {
    Finish(absl::CancelledError("watch cancelled"));
  } else if (!result) {
    Finish(absl::UnavailableError(api::Cat("the watch connection broke: ",
                                           httplib::to_string(result.error()))));
  } else {
    Finish(absl::UnavailableError("the server ended the watch"));
  }
}

bool HttpWatchStream::OnHeaders(const httplib::Response& response) {
  std::lock_guard<std::mutex> lock(mu_);
  http_status_ = response.status;
  cv_.notify_all();
  return !cancelled_;
}

bool HttpWatchStream::OnData(const char* data, size_t size) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_ || terminal_.has_value()) return false;
    if (http_status_.value_or(0) != 200) {
      error_body_.append(data, size);
      return true;
    }
  }
  partial_.append(data, size);
  size_t start = 0;
  for (size_t end = partial_.find('\n'); end != std::string::npos;
       end = partial_.find('\n', start)) {
    OnLine(std::string_view(partial_).substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);
  std::lock_guard<std::mutex> lock(mu_);
  return !terminal_.has_value();
}

void HttpWatchStream::OnLine(std::string_view line) {
  const absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size()));
  if (trimmed.empty()) return;  // heartbeat
  api::Json event = api::Json::parse(trimmed.begin(), trimmed.end(), nullptr,
                                     /*allow_exceptions=*/false);
  const std::string type = StringField(event, "type");
  if (type == "ERROR") return Finish(StatusFromJson(ObjectField(event, "object")));
  std::optional<WatchEvent::Type> parsed = ParseType(type);
  if (!parsed.has_value()) {
    return Finish(absl::DataLossError(api::Cat("malformed watch event: ",
                                               std::string(trimmed.substr(0, 200)))));
  }
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({*parsed, ObjectField(event, "object")});
  cv_.notify_all();
}

void HttpWatchStream::Finish(absl::Status terminal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!terminal_.has_value()) terminal_ = std::move(terminal);
  cv_.notify_all();
}

absl::StatusOr<std::optional<WatchEvent>> HttpWatchStream::Next(
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] {
    return !events_.empty() || terminal_.has_value() || cancelled_;
  });
  if (cancelled_) return absl::CancelledError("watch cancelled");
  if (!events_.empty()) {
    WatchEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  if (terminal_.has_value()) return *terminal_;
  return std::nullopt;
}

void HttpWatchStream::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    cv_.notify_all();
  }
  http_->stop();
}

}  // namespace vigil::client
