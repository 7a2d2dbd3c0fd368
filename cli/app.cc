// The vigil command line: flags and subcommands (CLI11), dispatched to the
// commands in cli/commands.h.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kubeconfig.h"
#include "cli/output.h"
#include "cli/simulate.h"

namespace vigil::cli {
namespace {

constexpr char kDefaultServer[] = "http://127.0.0.1:8443";

struct Parsed {
  std::string server;  // "" = from the kubeconfig, else kDefaultServer
  std::string kubeconfig;
  std::string token;
  std::string certificate_authority;
  int timeout_seconds = 30;
  int concurrency = 16;
  std::string apply_dry_run = "none";
  std::string delete_dry_run = "none";
  bool recursive_ignored = false;
  ApplyOptions apply;
  GetOptions get;
  DescribeOptions describe;
  DeleteOptions del;
  DiffOptions diff;
  LogsOptions logs;
  AdminOptions admin;
};

void AddGlobalFlags(CLI::App& app, Parsed& p) {
  app.add_option("-s,--server", p.server,
                 "Vigil API server URL (default $VIGIL_SERVER, else the kubeconfig's, else " +
                     std::string(kDefaultServer) + ")")
      ->envname("VIGIL_SERVER");
  app.add_option("--kubeconfig", p.kubeconfig,
                 "Kubeconfig whose current context gives the server, CA and token "
                 "(default $KUBECONFIG; unused when --server or $VIGIL_SERVER is set)")
      ->envname("KUBECONFIG");
  app.add_option("--token", p.token, "Bearer token for the server");
  app.add_option("--certificate-authority", p.certificate_authority,
                 "CA certificate file to verify an https server with");
  app.add_option("--request-timeout", p.timeout_seconds,
                 "Seconds to wait for each server response")
      ->check(CLI::PositiveNumber);
  app.add_option("--concurrency", p.concurrency,
                 "Requests in flight at once for bulk commands")
      ->check(CLI::Range(1, 256));
}

void AddApply(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand(
      "apply", "Create or update objects from manifests (files, directories, -)");
  cmd->add_option("-f,--filename", p.apply.files,
                  "Manifest file, directory (recursive) or - for stdin")
      ->required();
  cmd->add_flag("-R,--recursive", p.recursive_ignored,
                "Accepted for kubectl habits; directories are always recursive");
  cmd->add_flag("--dry-run{server}", p.apply_dry_run,
                "Server-side dry run: validate and show, store nothing")
      ->check(CLI::IsMember({"server", "client", "none"}));
  cmd->add_flag("--prune", p.apply.prune,
                "Delete applied objects matching -l that the manifests no longer declare");
  cmd->add_option("-l,--selector", p.apply.selector,
                  "Apply (and prune) only objects with these labels, e.g. app=web");
  cmd->add_flag("--all", p.apply.prune_all, "With --prune: prune without a selector");
}

void AddGet(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand("get", "Show objects as a table, YAML or JSON");
  cmd->add_option("args", p.get.args, "KIND[,KIND] [NAME...] or KIND/NAME...")
      ->required();
  cmd->add_option("-o,--output", p.get.output, "yaml|json|wide|name");
  cmd->add_option("-l,--selector", p.get.selector, "Label selector");
  cmd->add_flag("-w,--watch", p.get.watch, "After listing, print changes as they happen");
  cmd->add_flag("--watch-only", p.get.watch_only, "Print changes only, no listing");
}

void AddDescribe(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand(
      "describe", "Show objects in detail: spec, status, conditions, assignments");
  cmd->add_option("args", p.describe.args, "KIND [NAME...] or KIND/NAME...")->required();
  cmd->add_option("-l,--selector", p.describe.selector, "Label selector");
}

void AddDelete(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand("delete", "Delete objects by name, selector or manifest");
  cmd->add_option("args", p.del.args, "KIND NAME... or KIND/NAME...");
  cmd->add_option("-f,--filename", p.del.files, "Manifests naming the objects to delete");
  cmd->add_option("-l,--selector", p.del.selector, "Label selector");
  cmd->add_flag("--all", p.del.all, "Delete every object of the kind");
  cmd->add_flag("--ignore-not-found", p.del.ignore_not_found,
                "Treat objects that do not exist as deleted");
  cmd->add_flag("--dry-run{server}", p.delete_dry_run, "Server-side dry run")
      ->check(CLI::IsMember({"server", "client", "none"}));
}

void AddDiff(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand(
      "diff", "Show what apply would change (exit 1 when there are differences)");
  cmd->add_option("-f,--filename", p.diff.files, "Manifest file, directory or -")
      ->required();
}

void AddLogs(CLI::App& app, Parsed& p) {
  CLI::App* cmd = app.add_subcommand(
      "logs", "Print a component's captured stdout and stderr (vigil logs comp NAME)");
  cmd->add_option("args", p.logs.args, "comp NAME, comp/NAME or NAME")->required();
  cmd->add_option("--tail", p.logs.tail, "Only the last N lines")->check(CLI::NonNegativeNumber);
  cmd->add_flag("-f,--follow", p.logs.follow, "Keep printing what the component writes");
}

struct AdminCommand {
  const char* name;
  const char* help;
  const char* args_help;
};

// lock, unlock, lock-instantiation, unlock-instantiation, shutdown,
// repaired and drain share AdminOptions; the subcommand names the verb.
void AddAdmin(CLI::App& app, Parsed& p) {
  static constexpr AdminCommand kCommands[] = {
      {"lock", "Lock a node, unit, group or SI: its SIs switch over gracefully to other units "
               "(a group's or an SI's work stops)", "node|su|sg|si NAME, or KIND/NAME"},
      {"unlock", "Unlock a node, unit, group or SI: it takes work again (standbys come back, "
                 "and a switchback follows if its group prefers it and autoAdjust is on)",
       "node|su|sg|si NAME, or KIND/NAME"},
      {"lock-instantiation", "Terminate a locked node's, unit's or group's components and keep "
                             "them from starting (valid only when Locked)",
       "node|su|sg NAME, or KIND/NAME"},
      {"unlock-instantiation", "Allow a node's, unit's or group's components to start again "
                               "(LockedInstantiation -> Locked; unlock afterwards)",
       "node|su|sg NAME, or KIND/NAME"},
      {"shutdown", "Shut a node, unit or group down: current assignments finish (quiescing), "
                   "no new ones come, then it is Locked", "node|su|sg NAME, or KIND/NAME"},
      {"repaired", "Tell Vigil a failed (Disabled) unit, or a node's failed units, were repaired "
                   "by hand: they are cleaned up and come back into service",
       "node|su NAME, or KIND/NAME"},
      {"drain", "Drain a node: lock it (every SI active or standby there switches over "
                "gracefully), then lock its instantiation (its components are terminated). "
                "VMs that allow it are live-migrated where their SIs go when that node takes "
                "live migrations, else shut down here and started there",
       "node NAME, or node/NAME"},
  };
  for (const AdminCommand& command : kCommands) {
    CLI::App* cmd = app.add_subcommand(command.name, command.help);
    cmd->add_option("args", p.admin.args, command.args_help)->required();
    cmd->add_flag("--wait", p.admin.wait,
                  "Follow the operation until it completes, printing each assignment change "
                  "(--wait=false: change the state and return)");
    cmd->add_option("--timeout", p.admin.timeout,
                    "How long to wait before giving up with exit code 1 (default 60s)");
  }
}

std::string NormalizeServer(std::string server) {
  if (!absl::StartsWith(server, "http://") && !absl::StartsWith(server, "https://")) {
    server = "http://" + server;
  }
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

// The server and credentials: --server (or $VIGIL_SERVER) if set, else the
// kubeconfig's current context if one is given, else the default server;
// --token and --certificate-authority override either.
absl::StatusOr<client::HttpClientOptions> ConnectionFlags(const Parsed& p) {
  client::HttpClientOptions http;
  if (p.server.empty() && !p.kubeconfig.empty()) {
    // $KUBECONFIG may list several files; kubectl merges them, vigil reads the first.
    const std::string path = p.kubeconfig.substr(0, p.kubeconfig.find(':'));
    absl::StatusOr<client::HttpClientOptions> loaded = LoadKubeconfig(path);
    if (!loaded.ok()) return loaded.status();
    http = *loaded;
  } else {
    http.server = p.server.empty() ? kDefaultServer : p.server;
  }
  http.server = NormalizeServer(http.server);
  if (!p.token.empty()) http.bearer_token = p.token;
  if (!p.certificate_authority.empty()) {
    http.ca_pem.clear();
    http.ca_file = p.certificate_authority;
  }
  return http;
}

int Dispatch(CLI::App& app, Parsed& p, const Streams& io) {
  Context ctx;
  ctx.io = io;
  absl::StatusOr<client::HttpClientOptions> http = ConnectionFlags(p);
  if (!http.ok()) {
    *io.err << "error: " << http.status().message() << "\n";
    return 1;
  }
  ctx.http = *http;
  ctx.http.timeout = std::chrono::seconds(p.timeout_seconds);
  ctx.concurrency = p.concurrency;
  const char* user = std::getenv("USER");
  ctx.user = user != nullptr && *user != '\0' ? user : "";
  p.apply.dry_run = p.apply_dry_run != "none";
  p.del.dry_run = p.delete_dry_run != "none";
  if (app.got_subcommand("apply")) return RunApply(ctx, p.apply);
  if (app.got_subcommand("get")) return RunGet(ctx, p.get);
  if (app.got_subcommand("describe")) return RunDescribe(ctx, p.describe);
  if (app.got_subcommand("delete")) return RunDelete(ctx, p.del);
  if (app.got_subcommand("diff")) return RunDiff(ctx, p.diff);
  if (app.got_subcommand("logs")) return RunLogs(ctx, p.logs);
  for (const CLI::App* sub : app.get_subcommands()) {
    p.admin.verb = sub->get_name();
    return RunAdmin(ctx, p.admin);
  }
  return 1;
}

}  // namespace

int RunVigil(const std::vector<std::string>& args, const Streams& io) {
  if (!args.empty() && args[0] == "simulate") return RunSimulate(args, io);  // offline
  CLI::App app{"vigil: declare and inspect highly available services "
               "(ServiceGroups, ServiceUnits, ServiceInstances, Components, "
               "Nodes) on a Vigil server.",
               "vigil"};
  app.require_subcommand(1);
  app.fallthrough();
  // simulate runs offline and parses its own flags (see RunSimulate).
  app.footer("Offline:\n  simulate   What happens if X fails: run the assignment logic on "
             "manifests\n             against a fake clock (vigil simulate --help)");
  Parsed parsed;
  AddGlobalFlags(app, parsed);
  AddApply(app, parsed);
  AddGet(app, parsed);
  AddDescribe(app, parsed);
  AddDelete(app, parsed);
  AddDiff(app, parsed);
  AddLogs(app, parsed);
  AddAdmin(app, parsed);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    // 0 for --help; every usage error is exit code 1, as for kubectl.
    return app.exit(e, *io.out, *io.err) == 0 ? 0 : 1;
  }
  return Dispatch(app, parsed, io);
}

}  // namespace vigil::cli
