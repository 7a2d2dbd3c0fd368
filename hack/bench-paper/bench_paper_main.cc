// bench_paper: the paper's experiments side by side with Vigil's. Reads the
// --json output of bench_failover (SA-aware and exec component failure),
// bench_vm (VM failure: failover and restart in place) and
// bench_node_failure (node crash), and prints one table per experiment:
// reaction / recovery / outage / repair as min/median/p95/max, the paper's
// OpenSAF and VMware HA figures for the same row (Tables III and IV and the
// figures quoted in §IV.B and §V of
// /work/shared/reference/opensaf-vmware-ha-paper.txt) and a verdict.
//
//   bench_paper --failover FILE --vm FILE --node FILE
//
// A missing or unreadable file is reported as that experiment failing
// (exit 1); a VM file holding {"skipped": reason} as the experiment
// skipped. Verdicts are reported, not enforced.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hack/bench-paper/paper_table.h"
#include "nlohmann/json.hpp"

namespace vigil::bench {
namespace {

using Json = nlohmann::json;

// The paper's figures, in ms, with where they are stated.
const PaperFigure kNotReported = NoFigure("not reported");
const PaperFigure kNotDetectable = NoFigure("not detectable (T.I)");

// Reads and parses `path`. Errors: NotFound / InvalidArgument naming it.
absl::StatusOr<Json> Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  Json json = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(path + " is not a JSON object");
  }
  return json;
}

// The array `key` of `series` (ms per run); empty if absent.
std::vector<double> Series(const Json& series, const std::string& key) {
  if (!series.contains(key) || !series[key].is_array()) return {};
  return series[key].get<std::vector<double>>();
}

// a[i] - b[i] over the common prefix.
std::vector<double> Differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d.push_back(a[i] - b[i]);
  return d;
}

Row Info(const std::string& label, std::vector<double> samples) {
  return Row{label, std::move(samples), NoFigure(""), NoFigure(""), /*judged=*/false};
}

// Title line with the run count and runs not counted.
std::string Title(const std::string& what, const Json& series) {
  const size_t runs = Series(series, "outage").size();
  std::string title = what + ", " + std::to_string(runs) + " runs";
  const int invalid = series.value("invalid", 0);
  if (invalid > 0) title += " (" + std::to_string(invalid) + " not counted)";
  return title;
}

// The component-failure tables (paper: VLC, Table III and Fig. 5).
int ComponentTables(const Json& failover) {
  int not_beaten = 0;
  const Json& sa = failover.value("saAware", Json::object());
  const PaperFigure sa_outage = Exact(55, "T.III");
  not_beaten += PrintTable(
      Title("1. SA-aware component failure: kill -9 of the active vigil-sa-example, 2N, "
            "preinstantiated standby (paper: SA-aware VLC, OpenSAF without virtualization)",
            sa),
      {{"reaction  kill -> failure reported", Series(sa, "reaction"), kNotReported,
        kNotDetectable},
       {"recovery  reaction -> new active confirmed", Series(sa, "recovery"), kNotReported,
        kNotDetectable},
       {"outage    kill -> new active (Vigil)", Series(sa, "outage"), sa_outage, kNotDetectable},
       {"outage    kill -> served again (probe)", Series(sa, "outage_probe"), sa_outage,
        kNotDetectable},
       Info("          probe - Vigil outage",
            Differences(Series(sa, "outage_probe"), Series(sa, "outage"))),
       {"repair    reaction -> failed unit in service", Series(sa, "repair"), Exact(136, "T.III"),
        kNotDetectable}});
  const Json& exec = failover.value("exec", Json::object());
  const PaperFigure exec_outage = Above(55, "Fig.5");
  not_beaten += PrintTable(
      Title("2. non-SA-aware component failure: kill -9 of the active exec component (a Perl "
            "HTTP server started on failover), 2N (paper: non-SA-aware VLC, Fig. 5)",
            exec),
      {{"reaction  kill -> failure reported", Series(exec, "reaction"), kNotReported,
        kNotDetectable},
       {"recovery  reaction -> new active confirmed", Series(exec, "recovery"), kNotReported,
        kNotDetectable},
       {"outage    kill -> new active (Vigil)", Series(exec, "outage"), exec_outage,
        kNotDetectable},
       {"outage    kill -> served again (probe)", Series(exec, "outage_probe"), exec_outage,
        kNotDetectable},
       Info("          probe - Vigil outage",
            Differences(Series(exec, "outage_probe"), Series(exec, "outage"))),
       {"repair    reaction -> failed unit in service", Series(exec, "repair"), kNotReported,
        kNotDetectable},
       Info("  where: the service's own start (spawn->port)",
            Series(failover, "service_start_ms"))});
  return not_beaten;
}

// One VM table; `opensaf_outage`/`opensaf_repair` are the Table IV row of the
// architecture that recovers the same way.
int VmTable(const std::string& title, const Json& series, const PaperFigure& opensaf_outage,
            const PaperFigure& opensaf_repair, const std::string& repair_label) {
  const PaperFigure vmware_outage = Exact(99332, "T.IV");
  return PrintTable(
      Title(title, series),
      {{"reaction  kill -> failure reported", Series(series, "reaction"), kNotReported,
        About(60000, "s.V")},
       {"recovery  reaction -> active confirmed", Series(series, "recovery"), kNotReported,
        kNotReported},
       {"outage    kill -> active confirmed (Vigil)", Series(series, "outage"), opensaf_outage,
        vmware_outage},
       {"outage    kill -> guest ticks again (probe)", Series(series, "outage_probe"),
        opensaf_outage, vmware_outage},
       Info("          probe - Vigil outage",
            Differences(Series(series, "outage_probe"), Series(series, "outage"))),
       Info("  where: running (startTime) -> first tick", Series(series, "guest_boot")),
       {repair_label, Series(series, "repair"), opensaf_repair, Exact(27166, "T.IV")},
       Info("  where: domain start (virDomainCreate->running)", Series(series, "domain_start")),
       Info("  where: libvirt's own stopped-failed event", Series(series, "libvirt_event"))});
}

// The VM-failure tables (paper: Table IV, Fig. 6), or why there are none.
int VmTables(const Json& vm) {
  if (vm.contains("skipped")) {
    std::printf("\n3./4. VM failure: SKIPPED: %s (sudo bash hack/setup-libvirt.sh sets libvirtd "
                "up)\n", vm["skipped"].get<std::string>().c_str());
    return 0;
  }
  const std::string mode = std::string(vm.value("kvm", false) ? "KVM" : "TCG, no /dev/kvm") +
                           ", firmware " + vm.value("firmware", "unknown");
  int not_beaten = VmTable(
      "3. VM failure, failover: kill -9 of the active domain's qemu, 2N group of two diskless "
      "domains on two nodes (" + mode + ") (paper: OpenSAF with ESXi, VMware HA restarts the VM)",
      vm.value("failover", Json::object()), Exact(1953, "T.IV ESXi"),
      Exact(107900, "T.IV ESXi"), "repair    reaction -> failed unit standby");
  not_beaten += VmTable(
      "4. VM failure, restart in place: kill -9 of the active qemu, the same unit restarts its "
      "domain (" + mode + ") (paper: OpenSAF manages the VMs, VMware Player)",
      vm.value("restart", Json::object()), Exact(3505, "T.IV Player"),
      Exact(3730, "T.IV Player"), "repair    reaction -> domain running again");
  return not_beaten;
}

// The node-failure table (paper: Fig. 7 and §IV.B).
int NodeTable(const Json& node) {
  const PaperFigure opensaf_outage = Below(3000, "s.IV.B");
  const PaperFigure vmware_outage = Exact(89000, "s.IV.B");
  return PrintTable(
      Title("5. node failure: the node of the active crashed (its agent and service SIGKILLed), "
            "2N exec service, 3 nodes (paper: physical node failure, Fig. 7)",
            node),
      {{"reaction  crash -> node not Ready", Series(node, "reaction"), kNotReported,
        kNotReported},
       {"recovery  not Ready -> new active confirmed", Series(node, "recovery"), kNotReported,
        kNotReported},
       {"outage    crash -> new active (Vigil)", Series(node, "outage"), opensaf_outage,
        vmware_outage},
       {"outage    crash -> served again (probe)", Series(node, "outage_probe"), opensaf_outage,
        vmware_outage},
       Info("          probe - Vigil outage",
            Differences(Series(node, "outage_probe"), Series(node, "outage"))),
       {"repair    agent restarted -> unit standby", Series(node, "rejoin"),
        NoFigure("not repaired (T.II)"), About(100000, "s.IV.B")}});
}

void PrintNotes() {
  std::printf(
      "\nNotes\n"
      "  - The paper repeated each experiment 10 times and reports averages (§IV.B); a\n"
      "    verdict compares Vigil's p95 (nearest rank: the max below 20 runs) with every\n"
      "    paper figure of the row: \"beats\" = p95 below all of them, \"median only\" =\n"
      "    the median is, the p95 is not.\n"
      "  - Paper cells: T.III/T.IV = Tables III/IV; s.IV.B/s.V = figures stated in the\n"
      "    text of §IV.B/§V. Figs. 5-7 are bar charts whose values the text does not give, so:\n"
      "    non-SA-aware outage is only known to exceed the SA-aware 55 ms (\"a significant\n"
      "    increase\"); node-failure outage with OpenSAF is \"less than 3 seconds\"\n"
      "    (verdicts marked * compare with that bound).\n"
      "  - \"not reported\": the paper defines the metric but gives no figure for it;\n"
      "    \"not detectable (T.I)\": VMware HA does not detect component failures;\n"
      "    \"not repaired (T.II)\": OpenSAF alone does not repair a failed node.\n"
      "  - The VM experiment's external client is the tick guest: each domain boots a\n"
      "    tiny kernel that writes a byte to its serial port every millisecond, sent\n"
      "    as UDP to the benchmark. Vigil confirms a VM active once libvirt reports its\n"
      "    domain running, without waiting for the guest, so probe - Vigil outage is\n"
      "    the guest's boot less the lag of that report; negative: the guest served\n"
      "    first (bench_vm --seabios shows a slower firmware's cost).\n"
      "  - Node repair: the benchmark restarts the crashed node's agent at once, so Vigil's\n"
      "    figure excludes a real machine's reboot; VMware HA's ~100 s restarts the VMs\n"
      "    elsewhere.\n");
}

struct Files {
  std::string failover, vm, node;
};

std::optional<Files> Parse(int argc, char** argv) {
  Files files;
  std::map<std::string, std::string*> flags{
      {"--failover", &files.failover}, {"--vm", &files.vm}, {"--node", &files.node}};
  for (int i = 1; i + 1 < argc; i += 2) {
    auto flag = flags.find(argv[i]);
    if (flag == flags.end()) return std::nullopt;
    *flag->second = argv[i + 1];
  }
  if (argc % 2 == 0 || files.failover.empty() || files.vm.empty() || files.node.empty()) {
    return std::nullopt;
  }
  return files;
}

// Runs `table` on the parsed `path`, or reports the experiment as failed.
bool Report(const std::string& experiment, const std::string& path, int (*table)(const Json&),
            int& not_beaten) {
  absl::StatusOr<Json> json = Load(path);
  if (!json.ok()) {
    std::printf("\n%s: FAILED, no results (%s); see the benchmark's log\n", experiment.c_str(),
                std::string(json.status().message()).c_str());
    return false;
  }
  not_beaten += table(*json);
  return true;
}

int Main(const Files& files) {
  int not_beaten = 0;
  bool ok = Report("component failure", files.failover, ComponentTables, not_beaten);
  ok &= Report("VM failure", files.vm, VmTables, not_beaten);
  ok &= Report("node failure", files.node, NodeTable, not_beaten);
  PrintNotes();
  std::printf("\nrows with a paper figure that Vigil's p95 does not beat: %d%s\n", not_beaten,
              ok ? "" : "; some experiments FAILED (see above)");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) {
  std::optional<vigil::bench::Files> files = vigil::bench::Parse(argc, argv);
  if (!files) {
    std::cerr << "usage: bench_paper --failover FILE --vm FILE --node FILE\n";
    return 2;
  }
  return vigil::bench::Main(*files);
}
