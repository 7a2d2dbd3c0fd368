// VmScenario: the objects and the measured kills of the VM benchmark.
//
// Two hypervisor nodes, hv1 (vigild's embedded agent) and hv2 (a separate
// `vigild agent`), both on qemu:///system, and two 2N groups of two
// virtualMachine units each (one unit per node, a diskless domain per unit,
// autoRepair on, one SI):
//   - "bench-fo": recovery ComponentFailover — a killed active fails over to
//     the other node's unit; kills alternate between the nodes;
//   - "bench-rs": recovery ComponentRestart — the killed active's domain is
//     restarted in place on hv1.
// Each run kills the active qemu with SIGKILL and reads the paper's metrics
// from the statuses Vigil writes (RFC 3339, ms): reaction = kill -> the
// component's lastFailure.time; recovery = reaction -> the SI's Assigned
// condition True again (new active confirmed); outage = kill -> that;
// repair = reaction -> the failed unit back in service (failover: the unit's
// inServiceSince, as a standby whose domain is off; restart: the component's
// startTime, its domain running again). Each run also records libvirt's own
// stopped-failed event for the kill, and times one plain domain start.
//
// Every domain boots the tick guest, and a TickProbe plays the VM service's
// external client: served = kill -> the first tick of the guest that serves
// next (failover: the other unit's domain, started by the failover; restart:
// the same domain started again). Vigil confirms a VM active once its domain
// runs, before its guest has booted, so served - outage is the guest's boot
// (domain running -> first tick), reported as such.
//
// Thread safety: use from one thread.
#ifndef VIGIL_HACK_BENCH_VM_BENCH_VM_SCENARIO_H_
#define VIGIL_HACK_BENCH_VM_BENCH_VM_SCENARIO_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "hack/bench-vm/bench_vm_cluster.h"
#include "hack/bench-vm/bench_vm_libvirt.h"
#include "hack/bench-vm/bench_vm_ticks.h"

namespace vigil::bench {

// The figures of one kill.
struct Sample {
  std::string from, to;  // the killed active's unit, the unit active after
  absl::Duration reaction, recovery, outage, repair;
  // Where a failover's recovery goes: kill -> the controller's assignment of
  // the new active (its `since`), kill -> the new active's domain running
  // (its component's startTime). A restart has no controller decision.
  std::optional<absl::Duration> decided;
  absl::Duration running;
  // kill -> libvirt's stopped-failed event; absent when the agent's own
  // destroy reached libvirt first (libvirt then reports "destroyed").
  std::optional<absl::Duration> libvirt_event;
  bool libvirt_destroyed_first = false;
  absl::Duration domain_start;                  // the plain start timed after it
  // The external probe: kill -> the first tick of the guest that serves
  // next; and, for the plain start, virDomainCreate -> its guest's first tick.
  absl::Duration served, domain_ticking;
};

// One 2N group of two VM units, unit i on node hv<i+1>.
struct VmGroup {
  std::string group, si;
  std::string units[2];
  std::string components[2];
  std::string domains[2];
};

class VmScenario {
 public:
  // `prefix` makes the domain names unique to this run ("vigil-bench-PID-");
  // every domain boots `guest`.
  VmScenario(BenchCluster* cluster, LibvirtProbe* probe, std::string prefix, GuestImage guest);

  // Opens the tick probe, creates the nodes and both groups and waits until
  // each SI has a confirmed active and standby whose guest ticks.
  // DeadlineExceeded if that takes over 60 s.
  absl::Status Setup();

  // Kills the failover group's active qemu and measures its failover.
  absl::StatusOr<Sample> FailoverRun();
  // Kills the restart group's active qemu and measures its restart in place.
  absl::StatusOr<Sample> RestartRun();

  // Every domain name the benchmark may have created (units' and probe's).
  std::vector<std::string> Domains() const;
  // Every qemu PID the benchmark killed.
  const std::vector<pid_t>& KilledQemus() const { return killed_; }

 private:
  struct Before;  // statuses read just before a kill
  std::string DomainXml(const std::string& domain) const;
  absl::Status CreateGroup(const VmGroup& g, const std::string& recovery);
  absl::StatusOr<int> WaitSteady(const VmGroup& g, absl::Duration timeout);
  absl::StatusOr<absl::Time> Kill(const std::string& domain);
  absl::StatusOr<absl::Time> WaitFailure(const std::string& component,
                                         const std::string& previous);
  absl::StatusOr<absl::Time> WaitConfirmed(const VmGroup& g, const std::string& unit,
                                           const std::string& previous);
  absl::StatusOr<absl::Duration> WaitServed(const std::string& domain, absl::Time killed);
  absl::StatusOr<absl::Time> WaitStatusTime(const std::string& kind, const std::string& name,
                                            const std::string& field,
                                            const std::string& previous);
  void Breakdown(const VmGroup& g, int to, absl::Time killed, Sample& sample);
  absl::Status FinishSample(const std::string& domain, absl::Time killed, Sample& sample);
  api::Json StatusOf(const std::string& kind, const std::string& name);

  BenchCluster* cluster_;
  LibvirtProbe* probe_;
  std::string prefix_;
  GuestImage guest_;
  std::unique_ptr<TickProbe> ticks_;  // set by Setup
  VmGroup failover_, restart_;
  std::vector<pid_t> killed_;
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_VM_BENCH_VM_SCENARIO_H_
