// ConnectionPool: kept-alive HTTP connections to one server, reused across
// the calls of an HttpClient so that a burst of small requests does not pay
// a TCP connection (and a server thread) per request.
//
// A connection idle for longer than kMaxIdle is not reused: the server closes
// idle connections after a little longer (server/api_server.cc), and a request
// must never race that close.
//
// Thread safety: safe for concurrent use; each connection serves one call at
// a time.
#ifndef VIGIL_CLIENT_CONNECTION_POOL_H_
#define VIGIL_CLIENT_CONNECTION_POOL_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include <httplib.h>

#include "client/http_client.h"

namespace vigil::client {

class ConnectionPool {
 public:
  static constexpr std::chrono::milliseconds kMaxIdle{1000};
  static constexpr size_t kMaxIdleConnections = 16;

  explicit ConnectionPool(HttpClientOptions options) : options_(std::move(options)) {}

  // A connection for one call: an idle one from the pool (*reused = true) or
  // a new one.
  std::unique_ptr<httplib::Client> Acquire(bool* reused);

  // Puts back a connection whose last exchange succeeded.
  void Release(std::unique_ptr<httplib::Client> http);

  // A connection outside the pool, e.g. for a watch.
  std::unique_ptr<httplib::Client> NewConnection(std::chrono::milliseconds read_timeout,
                                                 bool keep_alive) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Idle {
    std::unique_ptr<httplib::Client> http;
    Clock::time_point since;
  };

  const HttpClientOptions options_;
  std::mutex mu_;
  std::vector<Idle> idle_;  // GUARDED_BY(mu_), most recently used last
};

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_CONNECTION_POOL_H_
