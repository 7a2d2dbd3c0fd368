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
// Events happen in command-line order at their time: the @T suffix, else
// the last --at before them, else the first --at given, else 5s.
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
