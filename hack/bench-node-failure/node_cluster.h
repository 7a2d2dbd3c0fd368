// NodeCluster: the cluster bench_node_failure crashes nodes of: a real vigild
// on loopback and one `vigild agent` per node, each with its own data dir,
// running a 2N exec service (a small Perl HTTP server, unit <svc>-a on node
// n1, rank 1, and <svc>-b on n2, rank 2) whose active an external prober
// connects to.
//
// A node crash is simulated as the power going off: SIGKILL to the node's
// agent and, at once, to the process group of the component it runs (an
// agent killed alone would leave its components serving). The crashed node's
// agent is started again (same data dir) before the next crash.
//
// Thread safety: use from one thread (the Prober has its own).
#ifndef VIGIL_HACK_BENCH_NODE_FAILURE_NODE_CLUSTER_H_
#define VIGIL_HACK_BENCH_NODE_FAILURE_NODE_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/http_client.h"
#include "hack/bench-failover/measure.h"
#include "tests/e2e/subprocess.h"

namespace vigil::bench {

// Figures of one series of node crashes, in milliseconds.
struct NodeSamples {
  std::vector<double> reaction;      // crash -> node Ready=False (its lastTransitionTime)
  std::vector<double> recovery;      // node not Ready -> new active confirmed
  std::vector<double> outage_vigil;  // crash -> new active confirmed (SI Assigned=True)
  std::vector<double> outage_probe;  // crash -> external client served again
  std::vector<double> rejoin;        // agent restarted -> its unit confirmed standby again
  int invalid = 0;                   // crashes whose figures could not be counted
};

class NodeCluster {
 public:
  // REQUIRES: `work` is an empty directory; `bin_dir` holds vigild.
  NodeCluster(std::filesystem::path work, std::string bin_dir);
  ~NodeCluster();  // Stops every process it started and their components.

  // Starts vigild, the agents of n1..n<nodes> (nodes >= 2) and the service
  // on `port`; returns once its active and standby are confirmed and it
  // answers. Errors: Unavailable naming what did not start, with its output.
  absl::Status Start(int nodes, int port);
  const std::string& url() const { return url_; }

  // Crashes the node of the active `runs` times and measures each failover.
  NodeSamples CrashActiveNodeRepeatedly(int runs, std::chrono::microseconds probe);

 private:
  struct Steady2N {
    std::string active, standby;  // units
  };
  absl::Status StartVigild();
  absl::Status StartAgent(const std::string& node);
  absl::Status CreateService();
  // Waits up to 60 s for a confirmed active and standby and the service
  // answering.
  std::optional<Steady2N> WaitSteady();
  // The power goes off on `node`: its agent and the service's process
  // group get SIGKILL at once.
  void PowerOff(const std::string& node, pid_t service_pid);
  // Starts the crashed node's agent again; the time until `unit` is the
  // confirmed standby again, or nullopt (with a message) after 60 s.
  std::optional<double> Rejoin(const std::string& node, const std::string& unit);
  // Measures one crash of the node of `pair.active`; false (with a
  // message) if it cannot be counted.
  bool CrashOnce(const Steady2N& pair, Prober& prober, NodeSamples& samples);
  std::string ConfirmedUnit(const std::string& ha_state);
  // lastTransitionTime of condition `type` of `kind`/`name` when its status
  // is `status`, or "".
  std::string ConditionSince(const std::string& kind, const std::string& name,
                             const std::string& type, const std::string& status);
  static std::string NodeOf(const std::string& unit);

  const std::filesystem::path work_;
  const std::string bin_dir_;
  int port_ = 0;
  std::string url_;
  std::unique_ptr<e2e::Subprocess> vigild_;
  std::map<std::string, std::unique_ptr<e2e::Subprocess>> agents_;
  std::unique_ptr<client::HttpClient> http_;
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_NODE_FAILURE_NODE_CLUSTER_H_
