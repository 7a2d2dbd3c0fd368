// The VM benchmark's printed report: per-run lines, min/median/p95/max of
// each metric, the paper's Table IV rows next to Vigil's medians, and a
// met/NOT met verdict per target.
//
// Thread safety: pure functions writing to stdout.
#ifndef VIGIL_HACK_BENCH_VM_BENCH_VM_REPORT_H_
#define VIGIL_HACK_BENCH_VM_BENCH_VM_REPORT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hack/bench-vm/bench_vm_scenario.h"
#include "nlohmann/json.hpp"

namespace vigil::bench {

struct Figures {
  absl::Duration min, median, p95, max;
};

// REQUIRES: `values` is not empty. The median of an even count is the mean
// of the middle two; p95 is the nearest-rank percentile.
Figures Summarize(std::vector<absl::Duration> values);

// One line for one kill: "failover 3 (bench-fo-a -> bench-fo-b): ...".
void PrintRun(const std::string& what, int run, const Sample& sample);

// The summary tables of both scenarios (REQUIRES: neither is empty) and the
// verdicts (marked indicative when `smoke`); `platform` says how the
// domains ran ("TCG, no /dev/kvm, firmware qboot"). Returns whether every
// target was met.
bool PrintReport(const std::vector<Sample>& failover, const std::vector<Sample>& restart,
                 const std::string& platform, bool smoke);

// Machine-readable per-kill figures for --json (read by hack/bench-paper),
// in ms and kill order: {"reaction": [...], "recovery": [...], "outage":
// [...] (Vigil's), "outage_probe": [...] (kill -> first tick of the new
// active), "guest_boot": [...] (its domain running, Vigil's startTime ->
// that tick; negative when the tick came first), "repair":
// [...], "domain_start": [...], "domain_ticking": [...] (the plain start's
// virDomainCreate -> first tick), "libvirt_event": [...] (only the kills
// that had one), "invalid": 0}.
nlohmann::json SamplesJson(const std::vector<Sample>& samples);

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_VM_BENCH_VM_REPORT_H_
