// `vigil simulate`: runs the real assignment logic against a fake clock and
// fake node agents (controllers/simulator.h) on manifests, offline, and
// prints the timeline of assignment changes and the final assignments.
//
//   vigil simulate -f FILE|DIR [-f ...]
//       [--fail KIND/NAME[@T]] [--repair KIND/NAME[@T]]
//       [--lock|--unlock|--shutdown|--lock-instantiation KIND/NAME[@T]]
//       [--swap si/NAME[@T]] [--at T] [--until T] [-v]
//       [--confirm-delay T] [--repair-delay T] [--instantiate-delay T]
//       [--restart-delay T]
//
// Each event happens at its @T suffix, else at an --at: when --at comes
// before the first event, each --at times the events after it ("--at 5s
// --fail unit/a --at 20s --repair unit/a"); otherwise each --at times the
// untimed events before it ("--fail unit/a --at 5s"). Default 5s. Events
// at the same time happen in command-line order.
//
// Thread safety: RunSimulate may be called concurrently with distinct streams.
#ifndef VIGIL_CLI_SIMULATE_H_
#define VIGIL_CLI_SIMULATE_H_

#include <string>
#include <vector>

#include "cli/cli.h"

namespace vigil::cli {

// Runs `vigil simulate`; `args` starts with "simulate". Returns 0 on success,
// 1 on bad arguments or manifests (printed to io.err).
int RunSimulate(const std::vector<std::string>& args, const Streams& io);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_SIMULATE_H_
