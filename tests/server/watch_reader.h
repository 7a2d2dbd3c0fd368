// WatchReader: reads a raw HTTP watch stream (one JSON event per line) on a
// background thread, so tests can wait for events without sleeping.
#ifndef VIGIL_TESTS_SERVER_WATCH_READER_H_
#define VIGIL_TESTS_SERVER_WATCH_READER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "api/object.h"

namespace vigil::server::testing {

class WatchReader {
 public:
  WatchReader(int port, std::string path, httplib::Headers headers = {})
      : http_("127.0.0.1", port) {
    http_.set_read_timeout(30, 0);
    thread_ = std::thread([this, path = std::move(path), headers = std::move(headers)] {
      httplib::Result result = http_.Get(
          path, headers,
          [this](const httplib::Response& response) {
            std::lock_guard<std::mutex> lock(mu_);
            status_ = response.status;
            content_type_ = response.get_header_value("Content-Type");
            cv_.notify_all();
            return true;
          },
          [this](const char* data, size_t size) {
            OnData(data, size);
            return true;
          });
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }

  ~WatchReader() {
    http_.stop();
    thread_.join();
  }

  // Waits until at least `count` events arrived; returns all received so far.
  std::vector<api::Json> WaitFor(size_t count,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return events_.size() >= count || ended_; });
    return events_;
  }

  // Waits until the server ended the response. Returns whether it did.
  bool WaitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ended_; });
  }

  // Waits for the response headers; returns the HTTP status (0 if none).
  int WaitForStatus(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return status_ != 0 || ended_; });
    return status_;
  }

  std::string content_type() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_type_;
  }

  std::vector<api::Json> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  void OnData(const char* data, size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    partial_.append(data, size);
    size_t newline;
    while ((newline = partial_.find('\n')) != std::string::npos) {
      std::string line = partial_.substr(0, newline);
      partial_.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      events_.push_back(api::Json::parse(line, nullptr, false));
    }
    cv_.notify_all();
  }

  httplib::Client http_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string partial_;
  std::vector<api::Json> events_;
  int status_ = 0;
  std::string content_type_;
  bool ended_ = false;
};

}  // namespace vigil::server::testing

#endif  // VIGIL_TESTS_SERVER_WATCH_READER_H_
