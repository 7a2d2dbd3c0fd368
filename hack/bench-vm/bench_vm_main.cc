// bench_vm: VM failure with the real binaries — kill -9 of the active VM's
// qemu under a 2N group of two virtualMachine units on two hypervisor nodes,
// the paper's reaction/recovery/outage/repair for a failover to the other
// node and for a restart in place, next to libvirt's own event latency and
// plain domain start time, the paper's Table IV, and the targets. Every
// domain boots a tiny guest that ticks on its serial port, and an external
// probe (bench_vm_ticks.h) times when the guest that serves next ticks.
//
//   bench_vm [--runs N] [--smoke] [--seabios] [--json FILE]
//
// 10 kills each by default, 2 with --smoke. The domains boot through qboot
// when Debian's qemu ships it, through SeaBIOS otherwise or with --seabios.
//
// --json FILE also writes the per-kill figures, in ms, to FILE after a
// complete run: {"failover": SamplesJson, "restart": SamplesJson (see
// bench_vm_report.h), "kvm": bool, "firmware": "qboot" or "SeaBIOS"}; when
// skipped, {"skipped": "reason"}.
// The printed report is unchanged.
//
// Starts `vigild --node hv1` on a fresh temp data dir (port 0) and `vigild
// agent --node hv2` against it, both on the qemu:///system daemon (see
// hack/setup-libvirt.sh). At the end it deletes its objects, stops both
// processes (by PID), destroys and undefines its own domains
// ("vigil-bench-PID-*") and checks that none of them and no qemu of theirs
// is left, also after SIGINT/SIGTERM (exit 130). Exit status: 0 after a
// complete run (targets are reported, not enforced); 1 on any failure; 0
// with a "skipped" line when no libvirtd answers.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hack/bench-vm/bench_vm_cluster.h"
#include "hack/bench-vm/bench_vm_libvirt.h"
#include "hack/bench-vm/bench_vm_report.h"
#include "hack/bench-vm/bench_vm_scenario.h"

namespace vigil::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kUri[] = "qemu:///system";
constexpr char kDaemonSocket[] = "/run/libvirt/libvirt-sock";

struct Results {
  std::vector<Sample> failover, restart;
};

// Runs `runs` kills of each kind, printing each as it completes.
absl::Status RunKills(VmScenario& scenario, int runs, Results& results) {
  for (int run = 1; run <= runs; ++run) {
    absl::StatusOr<Sample> sample = scenario.FailoverRun();
    if (!sample.ok()) return sample.status();
    PrintRun("failover", run, *sample);
    results.failover.push_back(*sample);
  }
  for (int run = 1; run <= runs; ++run) {
    absl::StatusOr<Sample> sample = scenario.RestartRun();
    if (!sample.ok()) return sample.status();
    PrintRun("restart ", run, *sample);
    results.restart.push_back(*sample);
  }
  return absl::OkStatus();
}

// Live processes whose command line names one of `domains` (qemu runs as
// "qemu-system-x86_64 -name guest=NAME,...").
std::vector<std::string> QemusOf(const std::vector<std::string>& domains) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    for (const std::string& domain : domains) {
      if (cmdline.find("guest=" + domain + ",") != std::string::npos) {
        found.push_back(pid + " (" + domain + ")");
      }
    }
  }
  return found;
}

// Deletes the objects, waits for the agents to stop the domains, stops the
// processes, removes the benchmark's own domains and checks nothing is left.
absl::Status Teardown(BenchCluster& cluster, LibvirtProbe& probe, const VmScenario& scenario) {
  std::vector<std::string> errors;
  auto note = [&](const absl::Status& s) {
    if (!s.ok()) errors.push_back(s.ToString());
  };
  note(cluster.DeleteAll());
  const std::vector<std::string> domains = scenario.Domains();
  const bool stopped = WaitUntil(
      [&] {
        for (const std::string& d : domains) {
          if (probe.Running(d)) return false;
        }
        return true;
      },
      absl::Seconds(15), absl::Milliseconds(50), /*interruptible=*/false);
  if (!stopped) std::cerr << "bench_vm: the agents left domains running; destroying them\n";
  note(cluster.Stop());
  for (const std::string& d : domains) note(probe.Remove(d));
  std::vector<std::string> left;
  for (const std::string& d : domains) {
    if (probe.Exists(d)) left.push_back("domain " + d);
  }
  for (const std::string& q : QemusOf(domains)) left.push_back("qemu " + q);
  if (!left.empty()) errors.push_back("left behind: " + absl::StrJoin(left, ", "));
  if (errors.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(errors, "; "));
}

struct Flags {
  int runs = 10;
  bool smoke = false;
  bool seabios = false;
  std::string json;  // --json FILE; empty: none
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      flags.smoke = true;
      flags.runs = 2;
    } else if (arg == "--seabios") {
      flags.seabios = true;
    } else if (arg == "--runs" && i + 1 < argc) {
      flags.runs = std::atoi(argv[++i]);
    } else if (arg == "--json" && i + 1 < argc) {
      flags.json = argv[++i];
    } else {
      return false;
    }
  }
  return flags.runs > 0;
}

// Everything between start and tear-down; fills `results`.
absl::Status Measure(BenchCluster& cluster, VmScenario& scenario, int runs, Results& results) {
  if (absl::Status started = cluster.Start(); !started.ok()) return started;
  std::printf("vigild on %s (node hv1), vigild agent --node hv2; %d kills each\n",
              cluster.url().c_str(), runs);
  if (absl::Status set_up = scenario.Setup(); !set_up.ok()) return set_up;
  return RunKills(scenario, runs, results);
}

// Writes `json` to `path`; prints the error and returns false if it cannot.
bool WriteJson(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::trunc);
  out << json.dump(2) << "\n";
  out.close();
  if (!out) std::cerr << "bench_vm: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

// The exit status of a skipped run; with --json, records why in `path`.
int WriteSkipped(const std::string& path, const std::string& reason) {
  if (path.empty()) return 0;
  return WriteJson(path, nlohmann::json{{"skipped", reason}}) ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::cerr << "usage: bench_vm [--runs N] [--smoke] [--seabios] [--json FILE]\n";
    return 2;
  }
  if (!fs::exists(kDaemonSocket)) {
    std::printf("bench_vm: skipped: no libvirtd socket %s (run hack/setup-libvirt.sh)\n",
                kDaemonSocket);
    return WriteSkipped(flags.json, absl::StrCat("no libvirtd socket ", kDaemonSocket));
  }
  absl::StatusOr<std::unique_ptr<LibvirtProbe>> probe = LibvirtProbe::Open(kUri);
  if (!probe.ok()) {
    std::printf("bench_vm: skipped: %s\n", std::string(probe.status().message()).c_str());
    return WriteSkipped(flags.json, std::string(probe.status().message()));
  }
  if (!fs::exists(VIGIL_TICK_GUEST)) {
    std::cerr << "bench_vm: no tick guest " << VIGIL_TICK_GUEST << " (ninja bench_vm builds it)\n";
    return 1;
  }
  char pattern[] = "/tmp/vigil-bench-vm-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  InstallInterruptHandler();
  BenchCluster cluster(VIGIL_BIN_DIR, pattern);
  const GuestImage guest{VIGIL_TICK_GUEST, QbootAvailable() && !flags.seabios};
  const std::string firmware = guest.qboot ? "qboot" : "SeaBIOS";
  VmScenario scenario(&cluster, probe->get(), absl::StrCat("vigil-bench-", getpid(), "-"), guest);
  Results results;
  absl::Status measured = Measure(cluster, scenario, flags.runs, results);
  if (!measured.ok()) std::cerr << "bench_vm: " << measured << "\n" << cluster.Logs();
  absl::Status torn_down = Teardown(cluster, **probe, scenario);
  if (!torn_down.ok()) std::cerr << "bench_vm: clean-up: " << torn_down << "\n";
  fs::remove_all(pattern);
  if (Interrupted()) {
    std::cerr << "bench_vm: interrupted" << (torn_down.ok() ? "; cleaned up" : "") << "\n";
    return 130;
  }
  if (!measured.ok() || !torn_down.ok()) return 1;
  PrintReport(results.failover, results.restart,
              absl::StrCat(KvmAvailable() ? "KVM" : "TCG, no /dev/kvm", ", firmware ", firmware),
              flags.smoke);
  std::printf("\nclean-up: objects deleted, vigild and agent stopped, %zu domains removed, "
              "no qemu left\n", scenario.Domains().size());
  if (flags.json.empty()) return 0;
  const nlohmann::json report{{"failover", SamplesJson(results.failover)},
                              {"restart", SamplesJson(results.restart)},
                              {"kvm", KvmAvailable()},
                              {"firmware", firmware}};
  return WriteJson(flags.json, report) ? 0 : 1;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) { return vigil::bench::Main(argc, argv); }
