// HttpWatchStream: a client::WatchStream reading a Kubernetes watch response
// (newline-separated {"type", "object"} events) on a background thread.
//
// Thread safety: Next() from one thread at a time; Cancel() from any thread.
#ifndef VIGIL_CLIENT_HTTP_WATCH_STREAM_H_
#define VIGIL_CLIENT_HTTP_WATCH_STREAM_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "absl/status/status.h"
#include "client/client.h"

namespace vigil::client {

class HttpWatchStream : public WatchStream {
 public:
  // Takes ownership of `http`, configured for the server; `path` includes
  // the query string.
  HttpWatchStream(std::unique_ptr<httplib::Client> http, std::string path,
                  httplib::Headers headers);
  ~HttpWatchStream() override;  // cancels and joins the reader

  // Sends the request and waits up to `timeout` for the response status.
  // Errors: the Status of a non-200 response (e.g. NotFound, BadRequest);
  // Unavailable if the server cannot be reached; DeadlineExceeded.
  absl::Status Start(std::chrono::milliseconds timeout);

  absl::StatusOr<std::optional<WatchEvent>> Next(
      std::chrono::milliseconds timeout) override;
  void Cancel() override;

 private:
  void Run();
  bool OnHeaders(const httplib::Response& response);
  bool OnData(const char* data, size_t size);
  void OnLine(std::string_view line);
  void Finish(absl::Status terminal);  // REQUIRES: mu_ not held

  const std::unique_ptr<httplib::Client> http_;
  const std::string path_;
  const httplib::Headers headers_;
  std::thread reader_;
  std::string partial_;    // reader thread only: bytes after the last '\n'
  std::string error_body_; // reader thread only: body of a non-200 response

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchEvent> events_;       // GUARDED_BY(mu_)
  std::optional<int> http_status_;      // GUARDED_BY(mu_)
  std::optional<absl::Status> terminal_;  // GUARDED_BY(mu_): why it ended
  bool cancelled_ = false;              // GUARDED_BY(mu_)
};

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_HTTP_WATCH_STREAM_H_
