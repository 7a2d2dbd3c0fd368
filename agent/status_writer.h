// StatusWriter: writes the agent's reports (object statuses, the adoption
// file) on its own thread, so the agent's loop never waits for a store
// round trip. Each report has a key; a newer report replaces a queued one
// with the same key (only the latest state matters). Urgent reports (a
// failed unit, a unit's new HA-state confirmation: the controller's failover
// moves on when they land) are written before every other queued report, and
// ordinary reports then hold back for `quiet_period`, so that the
// controller's own writes in reaction do not queue behind them for the
// store's disk. A failed write is retried with backoff unless a newer report
// for its key arrived meanwhile.
//
// Thread safety: Put may be called from any thread.
#ifndef VIGIL_AGENT_STATUS_WRITER_H_
#define VIGIL_AGENT_STATUS_WRITER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "client/client.h"

namespace vigil::agent {

class StatusWriter {
 public:
  using Write = std::function<absl::Status()>;
  using Log = std::function<void(const std::string&)>;

  static constexpr std::chrono::milliseconds kDefaultQuietPeriod{3};

  explicit StatusWriter(Log log, std::chrono::milliseconds quiet_period = kDefaultQuietPeriod);
  ~StatusWriter();  // Stops.

  void Start();
  // Writes what is queued (for up to `flush_timeout`), then joins.
  void Stop(std::chrono::milliseconds flush_timeout = std::chrono::milliseconds(2000));

  // Queues `write` under `key`, replacing a queued write of that key.
  // NotFound from a write drops it (the object is gone); other errors retry.
  void Put(const std::string& key, Write write, bool urgent = false);
  // Blocks until nothing is queued or in flight (tests), or timeout; true if idle.
  bool WaitIdle(std::chrono::milliseconds timeout);
  int64_t writes() const;  // successful writes so far

 private:
  struct Slot {
    Write write;
    uint64_t version = 0;
    std::chrono::steady_clock::time_point not_before;
    int failures = 0;
  };
  void Run();
  bool TakeNextLocked(std::string* key, Slot* slot, bool* urgent);
  std::chrono::steady_clock::time_point NextDueLocked() const;
  void Finish(const std::string& key, const Slot& slot, const absl::Status& status);

  const Log log_;
  const std::chrono::milliseconds quiet_period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Slot> slots_;                     // GUARDED_BY(mu_)
  std::deque<std::string> urgent_;                        // GUARDED_BY(mu_) keys, oldest first
  std::deque<std::string> normal_;                        // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point quiet_until_;     // GUARDED_BY(mu_) normal_ waits
  uint64_t next_version_ = 1;                             // GUARDED_BY(mu_)
  int in_flight_ = 0;                                     // GUARDED_BY(mu_)
  int64_t writes_ = 0;                                    // GUARDED_BY(mu_)
  bool stopping_ = false;                                 // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point flush_deadline_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// A write of `status` as the status subresource of kind/name (replacing it).
StatusWriter::Write UpdateStatusWrite(client::Client* client, std::string user, std::string kind,
                                      std::string name, api::Json status);
// A write of a JSON merge patch to the status of kind/name.
StatusWriter::Write PatchStatusWrite(client::Client* client, std::string user, std::string kind,
                                     std::string name, api::Json patch);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_STATUS_WRITER_H_
