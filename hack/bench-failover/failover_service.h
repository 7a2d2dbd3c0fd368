// The 2N services bench_failover kills: one group per component kind, each
// with two units on the benchmark's node, one component per unit and one SI
// whose CSI names the TCP port the active component serves on.
//
//   exec     a small Perl HTTP server, started when its unit is assigned
//            active (non-SA-aware, non-preinstantiable), with a TCP health
//            check that gates its readiness on the port being open;
//   saAware  the example SA-aware service (build/bin/vigil-sa-example),
//            preinstantiated on both units, serving only while active.
//
// Every failure of the active fails over (componentRestartMax 0,
// ComponentFailover), and auto-repair brings the failed unit back as the
// standby, so each kill is the paper's component-failure experiment.
#ifndef VIGIL_HACK_BENCH_FAILOVER_FAILOVER_SERVICE_H_
#define VIGIL_HACK_BENCH_FAILOVER_FAILOVER_SERVICE_H_

#include <string>
#include <vector>

#include "api/object.h"

namespace vigil::bench {

// One 2N service under test. Names: group "exec" or "sa-aware", units
// `<group>-a` (rank 1) and `<group>-b`, components `<unit>-svc`, SI
// `<group>-1`.
struct FailoverService {
  std::string kind;  // "exec" or "saAware"
  int port = 0;      // the CSI's PORT: where the active serves

  std::string group() const { return kind == "saAware" ? "sa-aware" : kind; }
  std::string instance() const { return group() + "-1"; }
  std::string unit(char which) const { return group() + "-" + which; }
  static std::string ComponentOf(const std::string& unit) { return unit + "-svc"; }
};

// The objects of `service` (group, units, components, SI) on `node`, in
// creation order. `sa_example` is the path of vigil-sa-example.
std::vector<api::Json> ServiceObjects(const FailoverService& service, const std::string& node,
                                      const std::string& sa_example);

// The Perl one-liner the exec component runs: serves HTTP on $PORT.
extern const char kPerlHttpServer[];

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_FAILOVER_FAILOVER_SERVICE_H_
