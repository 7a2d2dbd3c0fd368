// ProcessMonitor: passive, event-driven detection of process death. One
// thread waits in epoll on the pidfds of every watched process; a pidfd
// becomes readable the moment its process exits, so the callback runs
// within microseconds of the death, with no polling. Children are reaped
// (waitid on the pidfd) before the callback, so no zombie is left behind.
//
// Thread safety: every method may be called from any thread. Callbacks run
// on the monitor thread, one at a time; they must be quick (post work
// elsewhere) and may call Watch/Unwatch.
#ifndef VIGIL_AGENT_PROCESS_MONITOR_H_
#define VIGIL_AGENT_PROCESS_MONITOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/process.h"

namespace vigil::agent {

class ProcessMonitor {
 public:
  using ExitCallback = std::function<void(const ExitInfo& exit)>;
  using WatchId = uint64_t;

  ProcessMonitor() = default;
  ~ProcessMonitor();  // Stops if running.
  ProcessMonitor(const ProcessMonitor&) = delete;
  ProcessMonitor& operator=(const ProcessMonitor&) = delete;

  // Starts the monitor thread. Errors: Internal if epoll cannot be set up.
  absl::Status Start();
  // Joins the thread; pending watches are dropped without callbacks.
  void Stop();

  // Calls `on_exit` once when `process` exits (at once, on the monitor
  // thread, if it already has). The monitor keeps `process` alive until then.
  // REQUIRES: Start() succeeded.
  // Errors: Internal if the pidfd cannot be added to epoll.
  absl::StatusOr<WatchId> Watch(std::shared_ptr<Process> process, ExitCallback on_exit);
  // Drops a watch. Once it returns, its callback will not start (it may be
  // running already on the monitor thread). Unknown ids are ignored.
  void Unwatch(WatchId id);
  // Number of live watches.
  size_t Size() const;

 private:
  struct Entry {
    std::shared_ptr<Process> process;
    ExitCallback on_exit;
  };
  void Run();
  void HandleReady(WatchId id);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the thread to stop
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<WatchId, Entry> entries_;  // GUARDED_BY(mu_)
  WatchId next_id_ = 1;               // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_PROCESS_MONITOR_H_
