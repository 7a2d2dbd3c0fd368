// RunInOrder: runs independent tasks on a few worker threads while reporting
// their completion in the original order, so bulk commands (apply, delete -f)
// are fast yet print exactly as a sequential run would.
//
// Thread safety: `task` runs concurrently on worker threads (each with its own
// worker index); `done` runs only on the calling thread.
#ifndef VIGIL_CLI_ORDERED_POOL_H_
#define VIGIL_CLI_ORDERED_POOL_H_

#include <cstddef>
#include <functional>

namespace vigil::cli {

// Calls task(worker, i) for every i in [0, count) on min(workers, count)
// threads, worker in [0, workers). Calls done(i) on the calling thread for
// i = 0, 1, ... as soon as task i and all tasks before it have finished.
// Returns after every done() call.
// REQUIRES: workers >= 1.
void RunInOrder(size_t count, int workers,
                const std::function<void(int worker, size_t index)>& task,
                const std::function<void(size_t index)>& done);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_ORDERED_POOL_H_
