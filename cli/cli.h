// The `vigil` command line as a library, so that tests can run it in-process
// against a real server and the binary (cmd/vigil/main.cc) stays a one-liner.
//
// Commands (kubectl-like; see `vigil --help`):
//   apply -f FILE|DIR|- [--dry-run] [--prune -l SELECTOR]
//   get KIND[,KIND] [NAME...] [-o yaml|json|wide|name] [-w] [-l SELECTOR]
//   describe KIND [NAME...]
//   delete KIND NAME... | delete -f FILE
//   diff -f FILE
//   lock|unlock|lock-instantiation|unlock-instantiation|shutdown|repaired KIND NAME
//   drain node NAME   [--wait=false] [--timeout 60s]
// The server comes from --server, else $VIGIL_SERVER, else the local vigild
// at http://127.0.0.1:8443.
//
// Thread safety: RunVigil may be called concurrently with distinct streams.
#ifndef VIGIL_CLI_CLI_H_
#define VIGIL_CLI_CLI_H_

#include <atomic>
#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::cli {

// Where a command reads its input (`-f -`) and writes its output.
struct Streams {
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // When set and it becomes true, long-running commands (get -w) return 0.
  const std::atomic<bool>* stop = nullptr;
};

// Runs one vigil command line. `args` excludes the program name
// (e.g. {"apply", "-f", "manifests/demo"}). Returns the process exit code:
// 0 on success; 1 on any error (printed to streams.err); for `diff`, 1 when
// differences were found and 2 or more on errors, like kubectl diff.
// REQUIRES: streams.in, streams.out and streams.err are non-null.
int RunVigil(const std::vector<std::string>& args, const Streams& streams);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_CLI_H_
