// ConnectionTaskQueue: an httplib::TaskQueue that runs every accepted
// connection on its own thread, so that long-lived watch streams never hold
// a pool slot an ordinary request is waiting for.
//
// Finished threads are joined lazily (on the next enqueue) and all remaining
// ones on shutdown().
//
// Thread safety: enqueue() and shutdown() may be called from any thread.
#ifndef VIGIL_SERVER_CONNECTION_TASK_QUEUE_H_
#define VIGIL_SERVER_CONNECTION_TASK_QUEUE_H_

#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace vigil::server {

class ConnectionTaskQueue : public httplib::TaskQueue {
 public:
  ConnectionTaskQueue() = default;
  ~ConnectionTaskQueue() override;  // joins every thread

  // Starts a thread running `fn`.
  void enqueue(std::function<void()> fn) override;

  // Waits for every running connection thread to finish.
  void shutdown() override;

  // Connection threads currently running (for tests and metrics).
  size_t active() const;

 private:
  using ThreadList = std::list<std::thread>;

  void JoinFinished();  // REQUIRES: mu_ not held

  mutable std::mutex mu_;
  ThreadList threads_;                          // GUARDED_BY(mu_)
  std::vector<ThreadList::iterator> finished_;  // GUARDED_BY(mu_)
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_CONNECTION_TASK_QUEUE_H_
