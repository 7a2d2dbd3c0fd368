// The vigil commands. Each takes the shared Context and its own options
// (filled from the command line by cli/app.cc) and returns an exit code,
// having printed results to ctx.out() and problems to ctx.err().
//
// Thread safety: each call is independent; commands that fan out to worker
// threads give each worker its own client.
#ifndef VIGIL_CLI_COMMANDS_H_
#define VIGIL_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "cli/context.h"

namespace vigil::cli {

struct ApplyOptions {
  std::vector<std::string> files;  // -f: files, directories or "-"
  bool dry_run = false;            // server-side dry run: nothing is stored
  bool prune = false;              // delete applied objects no longer declared
  std::string selector;            // -l: which objects prune may delete
  bool prune_all = false;          // --all: prune without a selector
};
// Creates or updates every object of the manifests (all validated first;
// nothing is sent if any is invalid), printing "<kind>.vigil.io/<name>
// created|configured|unchanged" per object in manifest order.
int RunApply(const Context& ctx, const ApplyOptions& options);

struct GetOptions {
  std::vector<std::string> args;  // KIND[,KIND] [NAME...] or KIND/NAME...
  std::string output;             // "", "wide", "yaml", "json", "name"
  std::string selector;           // -l
  bool watch = false;             // -w: keep printing changes
  bool watch_only = false;        // --watch-only: no initial listing
};
int RunGet(const Context& ctx, const GetOptions& options);

struct DescribeOptions {
  std::vector<std::string> args;  // KIND [NAME...] or KIND/NAME...
  std::string selector;           // -l
};
int RunDescribe(const Context& ctx, const DescribeOptions& options);

struct DeleteOptions {
  std::vector<std::string> args;   // KIND NAME... or KIND/NAME...
  std::vector<std::string> files;  // -f
  std::string selector;            // -l
  bool all = false;                // --all objects of the kind
  bool ignore_not_found = false;
  bool dry_run = false;
};
int RunDelete(const Context& ctx, const DeleteOptions& options);

struct DiffOptions {
  std::vector<std::string> files;  // -f
};
// Prints a unified diff of live objects against what apply would make of
// them. Exit code 0: no differences; 1: differences; >1: errors.
int RunDiff(const Context& ctx, const DiffOptions& options);

struct LogsOptions {
  std::vector<std::string> args;  // comp NAME, comp/NAME or NAME
  int64_t tail = -1;              // --tail: only the last N lines (-1: all)
  bool follow = false;            // -f: keep printing what is appended
};
// Prints a component's captured stdout and stderr, read through the server
// from the agent that runs it.
int RunLogs(const Context& ctx, const LogsOptions& options);

struct AdminOptions {
  std::string verb;               // lock, unlock, lock-instantiation, ... (cli/admin_state.h)
  std::vector<std::string> args;  // KIND NAME or KIND/NAME
  bool wait = true;               // --wait: follow the operation until it completes
  std::string timeout = "60s";    // --timeout: how long to wait
};
// Changes an object's spec.adminState (lock, unlock, lock-instantiation,
// unlock-instantiation, shutdown), drains a node (lock, then
// lock-instantiation) or records a repair (repaired: an Operation the node
// agent carries out). Refuses transitions AMF does not allow, naming the
// current state and the valid commands. Unless --wait=false, prints a line
// per assignment change until the operation completes; exit code 1 when it
// cannot complete (e.g. an SI no other unit can take) or the timeout passes.
int RunAdmin(const Context& ctx, const AdminOptions& options);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_COMMANDS_H_
