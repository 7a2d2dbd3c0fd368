// bench_scale: Vigil at 10,000 SIs on one machine (hack/bench-scale/
// scale_cluster.h). Starts a real vigild and real `vigild agent`s, creates
// every object through the API, waits until every SI has a confirmed active
// and standby, then crashes the node holding --active-on-victim actives (its
// agent and its components SIGKILLed together) and prints
//
//   reaction   crash -> the node marked not Ready (its lease expired)
//   outage     per victim SI: crash -> a confirmed active elsewhere
//              (its Assigned=True lastTransitionTime), p50/p95/max
//   last       crash -> the poll (every 250 ms) that saw all of them back
//
// plus VmRSS/VmHWM of vigild and of one surviving agent at steady state and
// after the failover, and the store size. Each run is a fresh cluster.
//
//   bench_scale [--sis N] [--active-on-victim N] [--sis-per-group N]
//               [--nodes N] [--runs N] [--smoke] [--lease-duration D]
//               [--lease-renew-interval D] [--lease-self-fence-after D]
// (the lease flags are passed to vigild and every agent as they are)
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hack/bench-scale/scale_cluster.h"

namespace vigil::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

struct Options {
  ScaleLayout layout;
  int runs = 1;
  int workers = 16;
};

constexpr char kUsage[] =
    "usage: bench_scale [--sis N] [--active-on-victim N] [--sis-per-group N] [--nodes N] "
    "[--runs N] [--smoke] [--logs DIR]\n"
    "    [--lease-duration D] [--lease-renew-interval D] [--lease-self-fence-after D]\n"
    "  --sis and --active-on-victim must be multiples of --sis-per-group, "
    "--active-on-victim < --sis, --nodes >= 3\n";

// Parses the flags; nullopt (after a message) if one is unknown or the
// layout cannot be built.
std::optional<Options> Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--smoke") {
      o.layout.sis = 200;
      o.layout.active_on_victim = 20;
      o.layout.sis_per_group = 5;
      o.layout.nodes = 3;
      o.runs = 1;
    } else if (arg == "--sis" && has_value) {
      o.layout.sis = std::atoi(argv[++i]);
    } else if (arg == "--active-on-victim" && has_value) {
      o.layout.active_on_victim = std::atoi(argv[++i]);
    } else if (arg == "--sis-per-group" && has_value) {
      o.layout.sis_per_group = std::atoi(argv[++i]);
    } else if (arg == "--nodes" && has_value) {
      o.layout.nodes = std::atoi(argv[++i]);
    } else if ((arg == "--lease-duration" || arg == "--lease-renew-interval" ||
                arg == "--lease-self-fence-after") && has_value) {
      o.layout.lease_flags.push_back(arg);
      o.layout.lease_flags.push_back(argv[++i]);
    } else if (arg == "--logs" && has_value) {
      o.layout.logs_dir = argv[++i];
    } else if (arg == "--runs" && has_value) {
      o.runs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::cerr << "bench_scale: unknown flag or missing value: " << arg << "\n";
      return std::nullopt;
    }
  }
  const ScaleLayout& l = o.layout;
  if (l.sis_per_group < 1 || l.active_on_victim < l.sis_per_group ||
      l.sis % l.sis_per_group != 0 || l.active_on_victim % l.sis_per_group != 0 ||
      l.active_on_victim >= l.sis || l.nodes < 3) {
    std::cerr << "bench_scale: invalid layout (sis " << l.sis << ", active-on-victim "
              << l.active_on_victim << ", sis-per-group " << l.sis_per_group << ", nodes "
              << l.nodes << ")\n";
    return std::nullopt;
  }
  return o;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// Everything one run measured.
struct RunFigures {
  double create_s = 0, assign_s = 0;
  int processes = 0;
  Memory vigild_steady, agent_steady, vigild_after, agent_after;
  long long store_bytes = 0;
  CrashFigures crash;
};

void PrintRun(int run, const RunFigures& f) {
  const std::vector<double>& o = f.crash.outage_ms;
  std::printf("run %d: created in %.1f s, all assigned %.1f s later, %d component processes\n",
              run, f.create_s, f.assign_s, f.processes);
  std::printf("  node crash: reaction %.0f ms; per-SI outage (%zu SIs) p50 %.0f p95 %.0f "
              "max %.0f ms; all seen back after %.0f ms%s\n",
              f.crash.reaction_ms, o.size(), Quantile(o, 0.5), Quantile(o, 0.95),
              Quantile(o, 1.0), f.crash.last_seen_ms,
              f.crash.invalid > 0 ? " (some timestamps unusable)" : "");
  std::fflush(stdout);
}

double Mb(long kb) { return kb / 1024.0; }

// One row of the final table: a label, its decimals and its value in a run.
struct Row {
  const char* label;
  int decimals;
  double (*value)(const RunFigures&);
};

constexpr Row kRows[] = {
    {"create all objects (s)", 1, [](const RunFigures& f) { return f.create_s; }},
    {"then until all SIs assigned (s)", 1, [](const RunFigures& f) { return f.assign_s; }},
    {"component processes running", 0,
     [](const RunFigures& f) { return static_cast<double>(f.processes); }},
    {"reaction: crash -> node not Ready (ms)", 0,
     [](const RunFigures& f) { return f.crash.reaction_ms; }},
    {"per-SI outage p50 (ms)", 0,
     [](const RunFigures& f) { return Quantile(f.crash.outage_ms, 0.5); }},
    {"per-SI outage p95 (ms)", 0,
     [](const RunFigures& f) { return Quantile(f.crash.outage_ms, 0.95); }},
    {"per-SI outage max = last SI back (ms)", 0,
     [](const RunFigures& f) { return Quantile(f.crash.outage_ms, 1.0); }},
    {"crash -> poll saw all back (ms)", 0,
     [](const RunFigures& f) { return f.crash.last_seen_ms; }},
    {"vigild VmRSS steady (MB)", 1, [](const RunFigures& f) { return Mb(f.vigild_steady.rss_kb); }},
    {"vigild VmRSS after failover (MB)", 1,
     [](const RunFigures& f) { return Mb(f.vigild_after.rss_kb); }},
    {"vigild VmHWM after failover (MB)", 1,
     [](const RunFigures& f) { return Mb(f.vigild_after.hwm_kb); }},
    {"agent n2 VmRSS steady (MB)", 1,
     [](const RunFigures& f) { return Mb(f.agent_steady.rss_kb); }},
    {"agent n2 VmRSS after failover (MB)", 1,
     [](const RunFigures& f) { return Mb(f.agent_after.rss_kb); }},
    {"agent n2 VmHWM after failover (MB)", 1,
     [](const RunFigures& f) { return Mb(f.agent_after.hwm_kb); }},
    {"store (vigild data dir) (MB)", 1,
     [](const RunFigures& f) { return f.store_bytes / 1048576.0; }},
};

void PrintTable(const Options& options, const std::vector<RunFigures>& runs) {
  const ScaleLayout& l = options.layout;
  std::printf("\nscale: %d SIs in %d 2N groups (%d SIs each), %d nodes, %d actives on the "
              "victim n1; %zu run(s), fresh cluster each\n",
              l.sis, l.sis / l.sis_per_group, l.sis_per_group, l.nodes, l.active_on_victim,
              runs.size());
  std::printf("  %-44s", "");
  for (size_t r = 1; r <= runs.size(); ++r) {
    std::printf(" %10s", ("run " + std::to_string(r)).c_str());
  }
  std::printf("\n");
  for (const Row& row : kRows) {
    std::printf("  %-44s", row.label);
    for (const RunFigures& f : runs) std::printf(" %10.*f", row.decimals, row.value(f));
    std::printf("\n");
  }
  std::string lease = "duration 800ms, renewed every 200ms, self-fence after 500ms (defaults)";
  if (!l.lease_flags.empty()) {
    lease.clear();
    for (const std::string& f : l.lease_flags) lease += (lease.empty() ? "" : " ") + f;
  }
  std::printf("  lease: %s; no Node fencing configured (NotConfigured)\n", lease.c_str());
}

// One run on a fresh cluster in `work`; false (after a message) if it
// could not be measured.
bool RunOnce(const Options& options, const fs::path& work, RunFigures& f) {
  ScaleCluster cluster(work, VIGIL_BIN_DIR, options.layout);
  auto fail = [](const absl::Status& s) {
    std::cerr << "bench_scale: " << s.message() << "\n";
    return false;
  };
  if (absl::Status s = cluster.Start(); !s.ok()) return fail(s);
  std::printf("vigild %s, %d node agents; creating objects with %d clients\n",
              cluster.url().c_str(), options.layout.nodes, options.workers);
  std::fflush(stdout);
  const Steady::time_point start = Steady::now();
  if (absl::Status s = cluster.Create(options.workers); !s.ok()) return fail(s);
  const Steady::time_point created = Steady::now();
  f.create_s = std::chrono::duration<double>(created - start).count();
  if (absl::Status s = cluster.WaitAllAssigned(std::chrono::minutes(15)); !s.ok()) return fail(s);
  f.assign_s = std::chrono::duration<double>(Steady::now() - created).count();
  // Let the last status writes settle so that "steady" is steady.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  f.processes = cluster.RunningComponents();
  f.vigild_steady = cluster.VigildMemory();
  f.agent_steady = cluster.AgentMemory("n2");
  f.store_bytes = cluster.StoreBytes();
  std::printf("steady: %d component processes; crashing n1\n", f.processes);
  std::fflush(stdout);
  auto crash = cluster.CrashVictim(std::chrono::minutes(5));
  if (!crash.ok()) return fail(crash.status());
  f.crash = *crash;
  f.vigild_after = cluster.VigildMemory();
  f.agent_after = cluster.AgentMemory("n2");
  return f.crash.invalid == 0;
}

int Main(const Options& options) {
  std::vector<RunFigures> runs;
  int status = 0;
  for (int r = 1; r <= options.runs && !g_interrupted; ++r) {
    char pattern[] = "/tmp/vigil-bench-scale-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    RunFigures figures;
    Options run = options;
    if (!run.layout.logs_dir.empty()) run.layout.logs_dir /= "run-" + std::to_string(r);
    const bool ok = RunOnce(run, pattern, figures);
    std::error_code ignored;
    fs::remove_all(pattern, ignored);
    if (!ok) {
      status = 1;
      continue;
    }
    PrintRun(r, figures);
    runs.push_back(figures);
  }
  if (g_interrupted) {
    std::cerr << "bench_scale: interrupted; everything it started was stopped\n";
    return 130;
  }
  if (!runs.empty()) PrintTable(options, runs);
  return runs.empty() ? 1 : status;
}

void OnSignal(int) { g_interrupted = true; }

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) {
  std::optional<vigil::bench::Options> options = vigil::bench::Parse(argc, argv);
  if (!options) {
    std::cerr << vigil::bench::kUsage;
    return 2;
  }
  // Ctrl-C: every wait gives up and the destructors stop what was started
  // (the handler is reset to the default in the processes it spawns).
  struct sigaction action = {};
  action.sa_handler = vigil::bench::OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return vigil::bench::Main(*options);
}
