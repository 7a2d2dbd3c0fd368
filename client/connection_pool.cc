#include "client/connection_pool.h"

#include <utility>

namespace vigil::client {

std::unique_ptr<httplib::Client> ConnectionPool::NewConnection(
    std::chrono::milliseconds read_timeout, bool keep_alive) const {
  auto http = std::make_unique<httplib::Client>(options_.server);
  http->set_connection_timeout(options_.timeout);
  http->set_read_timeout(read_timeout);
  http->set_write_timeout(options_.timeout);
  http->set_keep_alive(keep_alive);
  http->set_tcp_nodelay(true);  // a request is two writes: no Nagle delay
  http->set_decompress(false);  // local traffic: compression costs more than it saves
  if (!options_.bearer_token.empty()) http->set_bearer_token_auth(options_.bearer_token);
  return http;
}

std::unique_ptr<httplib::Client> ConnectionPool::Acquire(bool* reused) {
  const Clock::time_point now = Clock::now();
  std::vector<Idle> expired;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      if (now - idle.since <= kMaxIdle) {
        *reused = true;
        return std::move(idle.http);
      }
      expired.push_back(std::move(idle));
    }
  }
  *reused = false;
  return NewConnection(options_.timeout, /*keep_alive=*/true);
}

void ConnectionPool::Release(std::unique_ptr<httplib::Client> http) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() >= kMaxIdleConnections) return;  // closed on return
  idle_.push_back({std::move(http), Clock::now()});
}

}  // namespace vigil::client
