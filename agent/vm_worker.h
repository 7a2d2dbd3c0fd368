// VmWorker: one thread that runs a VmRunner's blocking hypervisor calls
// (define, start, shutdown, destroy, state queries) in order, so that the
// agent's EventLoop thread never waits for libvirt. Tasks post their results
// back to the loop themselves.
//
// Thread safety: Run and Stop may be called from any thread; tasks run one at
// a time on the worker thread, in the order they were given.
#ifndef VIGIL_AGENT_VM_WORKER_H_
#define VIGIL_AGENT_VM_WORKER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace vigil::agent {

class VmWorker {
 public:
  using Task = std::function<void()>;

  VmWorker() = default;
  ~VmWorker();  // Stops.
  VmWorker(const VmWorker&) = delete;
  VmWorker& operator=(const VmWorker&) = delete;

  // Queues `task`; the thread is started on first use. Ignored after Stop.
  void Run(Task task);
  // Drops queued tasks and joins the thread once the running task (if any)
  // returns. Long tasks should poll stopping() and return early.
  void Stop();
  // True once Stop was called (tasks poll it to cut long waits short).
  bool stopping() const { return stopping_.load(); }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;  // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // started under mu_
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_VM_WORKER_H_
