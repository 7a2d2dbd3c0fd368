// How vigild keeps glibc's heap close to what it uses.
//
// Measured at 10,000 SIs (docs/benchmarks.md, Scale): with glibc's default
// of 8 arenas per core, 16 arenas held 974 MiB of which 597 MiB was free.
// vigild runs ~200 threads (one per API connection, informers, workers); a
// list of 10,000 objects parses and serializes ~100 MB in whichever arena its
// thread got, each arena keeps its peak, and memory freed between long-lived
// objects stays mapped. Two arenas share their free memory; a periodic
// malloc_trim returns the whole free pages inside the heap to the system.
//
// Elsewhere than glibc both are no-ops.
//
// Thread safety: LimitMallocArenas before any thread starts; MallocTrimmer
// is used by its owner only (it runs its own thread).
#ifndef VIGIL_BASE_MALLOC_TRIMMER_H_
#define VIGIL_BASE_MALLOC_TRIMMER_H_

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace vigil {

// Limits glibc to `arenas` malloc arenas, unless the operator chose a number
// (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES).
// REQUIRES: called before any thread is started.
inline void LimitMallocArenas(int arenas) {
#ifdef __GLIBC__
  const char* tunables = getenv("GLIBC_TUNABLES");
  if (getenv("MALLOC_ARENA_MAX") != nullptr ||
      (tunables != nullptr && std::strstr(tunables, "arena_max") != nullptr)) {
    return;
  }
  mallopt(M_ARENA_MAX, arenas);
#else
  (void)arenas;
#endif
}

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
