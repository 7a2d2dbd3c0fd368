// How vigild keeps glibc's heap close to what it uses.
//
// Measured at 10,000 SIs (docs/benchmarks.md, Scale): glibc's 16 arenas
// (8 per core) held 974 MiB of which 597 MiB was free. vigild runs ~200
// threads (one per API connection, informers, workers); a list of 10,000
// objects parses and serializes ~100 MB in whichever arena its thread got;
// each arena keeps its peak, and memory freed between long-lived objects
// stays mapped. malloc_trim returns the whole free pages inside every arena
// to the system. (Two arenas instead of 16 still kept 265 MiB free, and the
// 10,000-SI failovers measured with two were slower: the arena count is left
// to glibc.)
//
// The cost: a trim walks every arena's free chunks under that arena's lock,
// so a thread that allocates meanwhile in the arena being trimmed waits.
// Measured (a timed build, 2026-12-06): 3.6 ms a trim with 200 SIs; with
// 10,000 SIs 140 ms median, 335 ms max for the whole walk over 16 arenas
// (about a sixteenth of that per arena). The failover figures at 10,000 SIs
// in docs/benchmarks.md were measured with it. Serving lists from the stored
// JSON text, without parsing, would remove most of what there is to trim.
//
// Elsewhere than glibc ReleaseFreeHeap is a no-op.
//
// Thread safety: MallocTrimmer is used by its owner only (it runs its own
// thread); ReleaseFreeHeap may be called from any thread.
#ifndef VIGIL_BASE_MALLOC_TRIMMER_H_
#define VIGIL_BASE_MALLOC_TRIMMER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace vigil {

// Returns the whole free pages of every arena to the system (they read as
// zero when used again). Takes each arena's lock in turn.
inline void ReleaseFreeHeap() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// Calls ReleaseFreeHeap every `interval` on a thread of its own, from
// construction until destruction.
class MallocTrimmer {
 public:
  explicit MallocTrimmer(std::chrono::milliseconds interval)
      : interval_(interval), thread_([this] { Run(); }) {}
  ~MallocTrimmer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  MallocTrimmer(const MallocTrimmer&) = delete;
  MallocTrimmer& operator=(const MallocTrimmer&) = delete;

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      ReleaseFreeHeap();
      lock.lock();
    }
  }

  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;     // last: starts once the rest is initialized
};

}  // namespace vigil

#endif  // VIGIL_BASE_MALLOC_TRIMMER_H_
