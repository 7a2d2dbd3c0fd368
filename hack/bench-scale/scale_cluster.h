// ScaleCluster: the system bench_scale crashes a node of: a real vigild on
// loopback (embedded RocksDB in a temp dir) and one `vigild agent` per node
// n1..n<nodes>, each with its own data dir, running `sis` ServiceInstances
// in 2N ServiceGroups of `sis_per_group` SIs each.
//
// Layout: the victim node n1 holds the rank-1 (active) unit of the first
// active_on_victim / sis_per_group groups, so exactly `active_on_victim` SIs
// are active there; their rank-2 (standby) units are spread round-robin over
// n2..n<nodes>. Every other group has both units on two different nodes of
// n2..n<nodes>. Each unit has one exec Component, `/usr/bin/sleep infinity`:
// an exec component runs only while its unit is active, so the machine runs
// one process per group (not per SI).
//
// A node crash is the power going off: SIGKILL to the victim's agent and, at
// once, to the process group of every component it recorded as started
// (e2e::KillRecordedComponents, what `vigild fence-local` does).
//
// Thread safety: use from one thread; Create() runs its own worker threads.
#ifndef VIGIL_HACK_BENCH_SCALE_SCALE_CLUSTER_H_
#define VIGIL_HACK_BENCH_SCALE_SCALE_CLUSTER_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/object.h"
#include "client/http_client.h"
#include "tests/e2e/subprocess.h"

namespace vigil::bench {

// Set from a SIGINT/SIGTERM handler: every wait gives up at once so that the
// cluster's destructor cleans up.
extern std::atomic<bool> g_interrupted;

struct ScaleLayout {
  int sis = 10000;
  int active_on_victim = 500;
  int sis_per_group = 10;
  int nodes = 5;  // n1 is the victim
  // When set, each process's output is written there as <name>.log when
  // the cluster stops (vigild.log, n1.log, ...).
  std::filesystem::path logs_dir;
  // Passed to vigild and every agent as they are, e.g.
  // {"--lease-duration", "4s"}; empty = the defaults (800 ms, 200 ms, 500 ms).
  std::vector<std::string> lease_flags;
};

// Memory of one process from /proc/PID/status, in kB (-1 if unreadable).
struct Memory {
  long rss_kb = -1;  // VmRSS
  long hwm_kb = -1;  // VmHWM (peak RSS)
};

// What one node crash measured.
struct CrashFigures {
  double reaction_ms = -1;           // crash -> victim Node Ready=False
  std::vector<double> outage_ms;     // per victim SI: crash -> Assigned=True again
  double last_seen_ms = -1;          // crash -> the poll that saw all of them back
  int invalid = 0;                   // victim SIs whose timestamps could not be used
};

class ScaleCluster {
 public:
  // REQUIRES: `work` is an empty directory; `bin_dir` holds vigild.
  ScaleCluster(std::filesystem::path work, std::string bin_dir, ScaleLayout layout);
  ~ScaleCluster();  // Stops every process it started and their components.

  // Starts vigild and the agents. Errors: Unavailable naming what did not
  // start, with its output.
  absl::Status Start();
  // Creates every object through the API with `workers` concurrent clients,
  // printing progress lines. Errors: the first failed create, named.
  absl::Status Create(int workers);
  // Waits up to `timeout` until every SI has a confirmed active and standby
  // and every victim SI is active on n1, printing progress. Errors:
  // DeadlineExceeded with the counts reached; Cancelled on interrupt.
  absl::Status WaitAllAssigned(std::chrono::seconds timeout);
  // Crashes n1 and waits up to `timeout` until every victim SI has a
  // confirmed active on another node. Errors: DeadlineExceeded naming how
  // many are still out; Cancelled on interrupt.
  absl::StatusOr<CrashFigures> CrashVictim(std::chrono::seconds timeout);

  Memory VigildMemory() const;
  Memory AgentMemory(const std::string& node) const;
  // Bytes of vigild's data dir (the RocksDB store and its WAL).
  long long StoreBytes() const;
  // How many component processes the agents recorded and still run.
  int RunningComponents() const;
  const std::string& url() const { return url_; }

 private:
  absl::Status StartVigild();
  void SaveLogs() const;
  absl::Status StartAgent(const std::string& node);
  std::vector<api::Json> Objects() const;
  // Counts SIs with a confirmed active (and standby); victim SIs count only
  // when active on n1.
  struct Counts {
    int assigned = 0;
    int victim_on_n1 = 0;
  };
  absl::StatusOr<Counts> Count();
  // The victim SIs' names (those active on n1).
  std::vector<std::string> VictimNames() const;
  // One poll after the crash: moves from `pending` to `since` (their
  // Assigned=True lastTransitionTime) the victim SIs back (confirmed active
  // off n1). Errors: the first failed GET.
  absl::Status PollVictims(std::set<std::string>& pending,
                           std::vector<std::string>& since);
  std::string NodeReadySince(const std::string& node, const std::string& status);

  const std::filesystem::path work_;
  const std::string bin_dir_;
  const ScaleLayout layout_;
  std::string url_;
  std::unique_ptr<e2e::Subprocess> vigild_;
  std::map<std::string, std::unique_ptr<e2e::Subprocess>> agents_;
  std::unique_ptr<client::HttpClient> http_;
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_SCALE_SCALE_CLUSTER_H_
