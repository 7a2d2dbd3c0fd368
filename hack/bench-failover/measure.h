// Measurement helpers for bench_failover: a TCP prober that plays the
// service's external client, the figures of one series of kills, and a
// Cluster that drives a running vigild through its HTTP API.
//
// Thread safety: Prober's Arm/ServedAt may be called from any thread;
// everything else is used from the benchmark's main thread.
#ifndef VIGIL_HACK_BENCH_FAILOVER_MEASURE_H_
#define VIGIL_HACK_BENCH_FAILOVER_MEASURE_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/object.h"
#include "client/http_client.h"
#include "hack/bench-failover/failover_service.h"

namespace vigil::bench {

using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;

double Ms(Steady::duration d);
int FreePort();
// Whether a TCP connect to 127.0.0.1:port succeeds.
bool Connects(int port);

// Figures of one series of kills, in milliseconds.
struct Samples {
  std::vector<double> reaction, recovery, outage_vigil, outage_probe, repair;
  int invalid = 0;  // kills whose figures were inconsistent or timed out
};

double Median(std::vector<double> v);
// a[i] - b[i] for the common prefix.
std::vector<double> Differences(const std::vector<double>& a, const std::vector<double>& b);
void PrintHeader();
void PrintRow(const std::string& label, std::vector<double> values);

// Machine-readable per-run figures for --json (read by hack/bench-paper):
// {"reaction": [ms...], "recovery": [...], "outage": [...] (Vigil's),
//  "outage_probe": [...], "repair": [...], "invalid": n}, in kill order.
api::Json SamplesJson(const Samples& samples);
// Writes `json` to `path` (pretty-printed); prints the error and returns
// false if the file cannot be written.
bool WriteJsonFile(const std::string& path, const api::Json& json);

// Connects to 127.0.0.1:port every `interval` once armed, and records the
// first success after a failure: a killed server's listening socket may
// outlive its main thread for a moment (the kernel closes the files with
// the last thread), so a connect that still succeeds then is not the new
// active serving.
class Prober {
 public:
  Prober(int port, std::chrono::microseconds interval);
  ~Prober();
  // Forgets the last success and starts probing.
  void Arm();
  // The first successful connect since Arm(), if any.
  std::optional<Steady::time_point> ServedAt() const;

 private:
  void Run();
  const int port_;
  const std::chrono::microseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> armed_{false};
  std::atomic<bool> seen_down_{false};
  std::atomic<int64_t> served_at_{0};
  std::thread thread_;
};

// A vigild reached over HTTP.
class Cluster {
 public:
  explicit Cluster(const std::string& url);
  // Creates `object`; prints the error and returns false if refused.
  bool Create(const api::Json& object);
  // Kills the active component of `service` `runs` times (waiting for an
  // active and a confirmed standby before each kill) and measures each
  // failover with Vigil's timestamps and an external prober.
  Samples KillActiveRepeatedly(const FailoverService& service, int runs,
                               std::chrono::microseconds probe);
  // Deletes `objects` (last first) and waits up to 30 s for the processes
  // of the service's components to end; false if some still run.
  bool Remove(const FailoverService& service, const std::vector<api::Json>& objects);

 private:
  struct Pair {
    std::string active, standby;
  };
  // Waits until the SI has a confirmed active and a confirmed standby and
  // the service answers; nullopt after 60 s.
  std::optional<Pair> WaitSteady(const FailoverService& service);
  // The unit holding the SI confirmed in `ha_state` ("Active"/"Standby").
  std::string ConfirmedUnit(const std::string& si, const std::string& ha_state);
  // A status field of an object ("" when absent), e.g. {"lastFailure","time"}.
  std::string StatusField(const std::string& kind, const std::string& name,
                          const std::vector<std::string>& path);
  // lastTransitionTime of the SI's Assigned condition when it is True.
  std::string AssignedSince(const std::string& si);
  // Measures one kill; false (with a message) when it cannot be counted.
  bool KillOnce(const FailoverService& service, const Pair& pair, Prober& prober,
                Samples& samples);

  client::HttpClient http_;
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_FAILOVER_MEASURE_H_
