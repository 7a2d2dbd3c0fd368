// EventLoop: one thread that runs posted tasks and timers in order. The node
// agent keeps all of its state on this thread, so component state machines
// need no locks: monitors, health checkers, informers and the local API only
// post tasks here.
//
// Thread safety: Post, PostAfter, Cancel and InLoop may be called from any
// thread; tasks run on the loop thread, one at a time.
#ifndef VIGIL_AGENT_EVENT_LOOP_H_
#define VIGIL_AGENT_EVENT_LOOP_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace vigil::agent {

class EventLoop {
 public:
  using Task = std::function<void()>;
  using TimerId = uint64_t;  // 0 is never a valid timer
  using Clock = std::chrono::steady_clock;

  EventLoop() = default;
  ~EventLoop();  // Stops if running.
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void Start();
  // Runs the tasks already posted, then joins the thread; later posts and
  // pending timers are dropped. REQUIRES: not called from the loop thread.
  void Stop();

  // Runs `task` on the loop thread as soon as possible (FIFO).
  void Post(Task task);
  // Runs `task` once `delay` has passed. Returns an id for Cancel.
  TimerId PostAfter(std::chrono::milliseconds delay, Task task);
  // Cancels a pending timer; no-op if it ran, was cancelled, or id is 0.
  void Cancel(TimerId id);
  // True on the loop thread.
  bool InLoop() const { return std::this_thread::get_id() == thread_id_; }
  // Posts `task` and waits until it has run. REQUIRES: !InLoop().
  void RunSync(Task task);

 private:
  void Run();
  bool PopDueLocked(Task* task);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;                               // GUARDED_BY(mu_)
  std::multimap<Clock::time_point, TimerId> deadlines_;  // GUARDED_BY(mu_)
  std::map<TimerId, Task> timers_;                       // GUARDED_BY(mu_)
  TimerId next_timer_ = 1;                               // GUARDED_BY(mu_)
  bool stopping_ = false;                                // GUARDED_BY(mu_)
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_EVENT_LOOP_H_
