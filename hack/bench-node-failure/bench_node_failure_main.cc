// bench_node_failure: the paper's physical-node-failure experiment on one
// machine, against the real vigild and real node agents on loopback
// (hack/bench-node-failure/node_cluster.h). A 2N exec service (a small Perl
// HTTP server) runs active on one node and standby on another; the node of
// the active is crashed (its agent and its service process SIGKILLed
// together) N times, its agent started again each time, and the benchmark
// prints min/median/p95/max of
//
//   reaction  crash -> the node marked not Ready (its lease expired)
//   recovery  node not Ready -> the new active confirmed
//   outage    crash -> new active confirmed (Vigil's timestamps), and
//             crash -> first successful TCP connect of an external client
//             probing the service's port every --probe-us microseconds
//   rejoin    agent restarted -> its unit confirmed standby again
//
// next to the paper's node-failure outages (OpenSAF < 3 s, VMware HA 89 s)
// and Kubernetes' defaults (node-monitor-grace-period 50 s + pod eviction
// 300 s). Vigil's timestamps are wall-clock milliseconds (truncated).
//
//   bench_node_failure [--runs N] [--nodes 2|3] [--probe-us U] [--smoke]
//                      [--json FILE]
//
// --json FILE also writes the per-crash figures, in ms, to FILE:
// {"reaction": [...], "recovery": [...], "outage": [...] (Vigil's),
//  "outage_probe": [...], "rejoin": [...], "invalid": n}
// (the printed report is unchanged).
#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "hack/bench-failover/measure.h"
#include "hack/bench-node-failure/node_cluster.h"

namespace vigil::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
  int runs = 20;
  int nodes = 3;
  std::chrono::microseconds probe{1000};
  std::string json;  // --json FILE; empty: none
};

std::optional<Options> Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--smoke") {
      o.runs = 3;
    } else if (arg == "--runs" && has_value) {
      o.runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--nodes" && has_value) {
      o.nodes = std::atoi(argv[++i]);
      if (o.nodes < 2 || o.nodes > 3) return std::nullopt;
    } else if (arg == "--probe-us" && has_value) {
      o.probe = std::chrono::microseconds(std::max(10, std::atoi(argv[++i])));
    } else if (arg == "--json" && has_value) {
      o.json = argv[++i];
    } else {
      return std::nullopt;
    }
  }
  return o;
}

void Print(const NodeSamples& s, const Options& options) {
  std::printf("\nnode crash (agent + service SIGKILLed), 2N exec service, %d crashes:\n",
              options.runs);
  PrintHeader();
  PrintRow("reaction  crash -> node not Ready (Vigil)", s.reaction);
  PrintRow("recovery  node not Ready -> new active confirmed (Vigil)", s.recovery);
  PrintRow("outage    crash -> new active confirmed (Vigil)", s.outage_vigil);
  PrintRow("outage    crash -> served again (external probe)", s.outage_probe);
  PrintRow("rejoin    agent restarted -> its unit standby again", s.rejoin);
  if (s.invalid > 0) std::printf("  (%d crashes not counted: see the messages above)\n", s.invalid);
  std::printf("  lease: duration 800 ms, renewed every 200 ms, self-fence after 500 ms\n");
  std::printf("  paper, node failure (Fig. 7): OpenSAF < 3 s, VMware HA 89 s\n");
  std::printf("  Kubernetes defaults: node not Ready after 50 s (node-monitor-grace-period),\n"
              "    pods evicted 300 s later (default not-ready toleration): ~350 s\n");
  const double outage = Median(s.outage_probe);
  std::printf("  outage median %.0f ms: %.1fx faster than OpenSAF's 3 s, %.0fx faster than "
              "VMware HA\n", outage, outage > 0 ? 3000 / outage : 0.0,
              outage > 0 ? 89000 / outage : 0.0);
}

api::Json NodeSamplesJson(const NodeSamples& s) {
  return api::Json{{"reaction", s.reaction},
                   {"recovery", s.recovery},
                   {"outage", s.outage_vigil},
                   {"outage_probe", s.outage_probe},
                   {"rejoin", s.rejoin},
                   {"invalid", s.invalid}};
}

int Main(const Options& options) {
  char pattern[] = "/tmp/vigil-bench-node-failure-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const fs::path work = pattern;
  int status = 0;
  {
    NodeCluster cluster(work, VIGIL_BIN_DIR);
    const int port = FreePort();
    if (absl::Status s = cluster.Start(options.nodes, port); !s.ok()) {
      std::cerr << "bench_node_failure: " << s.message() << "\n";
      status = 1;
    } else {
      std::printf("bench_node_failure: vigild %s, %d node agents, service on 127.0.0.1:%d, "
                  "%d crashes, probe every %lld us\n",
                  cluster.url().c_str(), options.nodes, port, options.runs,
                  static_cast<long long>(options.probe.count()));
      std::fflush(stdout);
      NodeSamples samples = cluster.CrashActiveNodeRepeatedly(options.runs, options.probe);
      Print(samples, options);
      if (samples.outage_probe.empty() || samples.invalid > 0) status = 1;
      if (!options.json.empty() && !WriteJsonFile(options.json, NodeSamplesJson(samples))) {
        status = 1;
      }
    }
  }
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return status;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) {
  std::optional<vigil::bench::Options> options = vigil::bench::Parse(argc, argv);
  if (!options) {
    std::cerr << "usage: bench_node_failure [--runs N] [--nodes 2|3] [--probe-us U] [--smoke] "
                 "[--json FILE]\n";
    return 2;
  }
  return vigil::bench::Main(*options);
}
