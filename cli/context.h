// Context: what every vigil command needs — where the server is, how many
// workers to use, and where to print.
//
// Thread safety: immutable after construction; NewClient may be called from
// any thread.
#ifndef VIGIL_CLI_CONTEXT_H_
#define VIGIL_CLI_CONTEXT_H_

#include <memory>
#include <ostream>
#include <string>

#include "cli/cli.h"
#include "client/http_client.h"

namespace vigil::cli {

struct Context {
  client::HttpClientOptions http;
  Streams io;
  // Requests in flight at once for bulk commands (apply, delete -f).
  int concurrency = 16;
  // Who writes, for the server's audit log ($USER).
  std::string user;

  client::WriteOptions Writes(bool dry_run) const {
    client::WriteOptions options;
    options.dry_run = dry_run;
    options.user = user;
    return options;
  }

  std::ostream& out() const { return *io.out; }
  std::ostream& err() const { return *io.err; }
  bool Stopped() const { return io.stop != nullptr && io.stop->load(); }

  // Ok if the server answers; else prints why not (and how to point vigil
  // at another server) and returns false. Bulk commands call it once before
  // fanning out, so that a stopped server costs one message, not thousands.
  bool CheckReachable() const {
    absl::StatusOr<api::Json> version = NewClient()->GetPath("/version");
    if (version.ok() || !absl::IsUnavailable(version.status())) return true;
    err() << "error: " << version.status().message()
          << " (is vigild running? set --server or VIGIL_SERVER)\n";
    return false;
  }

  // A client for single requests, tables and watches.
  std::unique_ptr<client::HttpClient> NewClient() const {
    return std::make_unique<client::HttpClient>(http);
  }
  // A client of its own for one bulk worker thread: its connection pool then
  // holds that worker's one kept-alive connection, however many workers run.
  std::unique_ptr<client::Client> NewWorkerClient() const {
    return std::make_unique<client::HttpClient>(http);
  }
};

}  // namespace vigil::cli

#endif  // VIGIL_CLI_CONTEXT_H_
