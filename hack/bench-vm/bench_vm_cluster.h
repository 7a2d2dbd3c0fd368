// BenchCluster: the real Vigil processes the VM benchmark drives — `vigild`
// on a fresh data dir with its embedded node agent for hv1, and a second node
// agent `vigild agent --node hv2` against it — plus an HTTP client, the
// objects the benchmark created (deleted again, newest first) and an orderly
// stop. Processes are only ever signalled by their own PID.
//
// Also: WaitUntil, a polling wait that gives up when the benchmark is
// interrupted (SIGINT/SIGTERM), so the clean-up still runs.
//
// Thread safety: use from one thread.
#ifndef VIGIL_HACK_BENCH_VM_BENCH_VM_CLUSTER_H_
#define VIGIL_HACK_BENCH_VM_BENCH_VM_CLUSTER_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "client/http_client.h"
#include "tests/e2e/subprocess.h"

namespace vigil::bench {

// Makes SIGINT and SIGTERM set the interrupted flag instead of killing the
// benchmark (so it can still delete its domains).
void InstallInterruptHandler();
bool Interrupted();

// Polls `done` every `period` until it returns true (true), `timeout` passes
// or, when `interruptible`, the benchmark is interrupted (false). Clean-up
// waits are not interruptible: they are bounded by their timeouts.
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout,
               absl::Duration period = absl::Milliseconds(10), bool interruptible = true);

class BenchCluster {
 public:
  // `bin_dir` holds vigild; `work_dir` (existing, empty) receives the data dirs.
  BenchCluster(std::string bin_dir, std::filesystem::path work_dir);
  // Kills (SIGKILL, by PID) a process Stop did not end.
  ~BenchCluster();

  // Starts vigild (--listen 127.0.0.1:0 --node hv1) and the hv2 agent, and
  // waits until both serve. Internal with their output when one fails.
  absl::Status Start();

  // REQUIRES: Start() succeeded.
  client::Client& client() { return *client_; }
  const std::string& url() const { return url_; }

  // Creates `obj`, or merges its spec into the existing object of that name
  // (vigild creates its own Node); remembers it for DeleteAll.
  absl::Status Apply(const api::Json& obj);

  // Deletes every object Apply made, newest first (NotFound is fine).
  absl::Status DeleteAll();

  // SIGTERM to the agent, then to vigild; each gets 10 s before SIGKILL.
  // Internal when one had to be killed.
  absl::Status Stop();

  // The tail of both processes' output, for failure reports.
  std::string Logs() const;

 private:
  std::string bin_dir_;
  std::filesystem::path work_dir_;
  std::unique_ptr<e2e::Subprocess> vigild_;
  std::unique_ptr<e2e::Subprocess> agent_;
  std::string url_;
  std::unique_ptr<client::HttpClient> client_;
  std::vector<std::pair<std::string, std::string>> created_;  // kind, name
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_VM_BENCH_VM_CLUSTER_H_
