// SaSession: one registration of an saAware component on the agent's local
// API: the stream of events (CSI assignments, HA-state changes, health
// checks, terminate) that the component reads as newline-delimited JSON.
// The runner pushes events on the agent's loop; the local API server's
// connection thread pops and writes them.
//
// Thread safety: all methods are safe from any thread.
#ifndef VIGIL_AGENT_SA_SESSION_H_
#define VIGIL_AGENT_SA_SESSION_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "api/object.h"

namespace vigil::agent {

class SaSession {
 public:
  SaSession(std::string token, std::string component)
      : token_(std::move(token)), component_(std::move(component)) {}

  const std::string& token() const { return token_; }
  const std::string& component() const { return component_; }

  // Queues an event for the stream (dropped once closed).
  void Push(api::Json event) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }
  // The next event, waiting up to `timeout`; nullopt on timeout or once
  // closed and drained.
  std::optional<api::Json> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return closed_ || !events_.empty(); });
    if (events_.empty()) return std::nullopt;
    api::Json event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  // Ends the stream (the component is being stopped or replaced).
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  const std::string token_;
  const std::string component_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<api::Json> events_;  // GUARDED_BY(mu_)
  bool closed_ = false;           // GUARDED_BY(mu_)
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_SA_SESSION_H_
