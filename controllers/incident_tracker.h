// IncidentTracker: the pure logic of the incident recorder. Fed the objects it
// watches (Components, ServiceUnits, ServiceInstances, Nodes), each with the
// time it was seen, it opens an incident per failure and follows it through
// the paper's four metrics:
//
//   failure    best estimate of when it failed: the component's
//              lastFailure.time (the agent's pidfd, health-check or libvirt
//              event time; reported on its unit first, "<component>:
//              <reason>", then on the component: whichever is seen first
//              opens the incident), or for a node its Lease's last renewal;
//   reaction   the first change of an affected instance's assignments, or the
//              failed component's restart, whichever is seen first;
//   recovered  every instance that was active on the failed unit has a
//              confirmed active assignment again: on another unit (Failover)
//              or on the failed unit once it is back in service (Restart);
//   repaired   the failed unit back in service (its inServiceSince after the
//              failure), or the failed node Ready again.
//
// Durations: reaction = reaction - failure, recovery = recovered - reaction,
// outage = recovered - failure, repair = repaired - reaction. An incident
// that interrupted no service (a standby failed) has outage 0 and is
// Recovered at once. Phase: Open until recovered, Recovered until repaired,
// then Closed. A component or node that fails again before its incident
// closed closes that incident ("failed again before repair") and opens a
// new one.
//
// Objects seen for the first time only set a baseline: a lastFailure present
// when the recorder starts is history, not a new failure.
//
// Time is passed in by the caller (simulated time in tests); nothing here
// reads a clock or does I/O.
//
// Thread safety: none; the recorder serializes calls.
#ifndef VIGIL_CONTROLLERS_INCIDENT_TRACKER_H_
#define VIGIL_CONTROLLERS_INCIDENT_TRACKER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/types.h"

namespace vigil::controllers {

// The state of one incident, as the tracker follows it.
struct IncidentRecord {
  std::string name;  // the Incident object's name
  api::IncidentSpec spec;
  std::string kind;  // failure kind for metrics: exec, saAware, virtualMachine or node
  absl::Time failure = absl::InfinitePast();
  absl::Time detection = absl::InfinitePast();
  std::optional<absl::Time> reaction, recovered, repaired;
  std::string recovery_action;  // Failover, Restart, None; "" until recovered
  std::string recovered_by;
  std::string message;
  bool superseded = false;  // closed because the entity failed again
  // Per affected instance: whether it was active on a failed unit, and when
  // it had a confirmed active assignment again.
  struct Instance {
    bool was_active = false;
    std::vector<api::Assignment> baseline;  // its assignments when opened
    std::optional<absl::Time> recovered;
  };
  std::map<std::string, Instance> instances;
  std::set<std::string> failed_units;
  int64_t restart_count = 0;  // the failed component's, when opened

  // Open, Recovered or Closed.
  std::string Phase() const;
  // The Incident's status (times RFC 3339 with microseconds).
  api::IncidentStatus Status() const;
  // The outage of one instance, if it was interrupted and recovered.
  std::optional<absl::Duration> OutageOf(const std::string& instance) const;
};

// RFC 3339 with microseconds, UTC: "2026-12-06T03:15:02.123456Z".
std::string Rfc3339Micros(absl::Time time);
// Go-style, rounded to microseconds: "6.412ms", "1.5s", "0s".
std::string FormatMeasured(absl::Duration duration);
// The source of a component failure from its lastFailure reason code.
std::string SourceOfFailure(const std::string& reason);

// Recoveries counted so far.
struct IncidentCounters {
  int64_t failovers = 0;    // incidents recovered on another unit
  int64_t restarts = 0;     // incidents recovered on the failed unit
  int64_t switchovers = 0;  // confirmed active moved with no incident recovering
};

class IncidentTracker {
 public:
  // Each returns the names of the incidents it opened or changed. `at` is
  // when the object was seen (the recorder's wall clock).
  std::vector<std::string> OnComponent(const api::Component& component, absl::Time at);
  std::vector<std::string> OnUnit(const api::ServiceUnit& unit, absl::Time at);
  std::vector<std::string> OnInstance(const api::ServiceInstance& instance, absl::Time at);
  // failure_estimate: when a node that turns not Ready failed (its Lease's
  // last renewal, else the condition's transition time).
  std::vector<std::string> OnNode(const api::Node& node, absl::Time at,
                                  absl::Time failure_estimate);
  // A deleted object: forgotten (its open incidents stay open until pruned).
  void OnDeleted(const std::string& kind, const std::string& name);
  // Takes up a stored incident that was not Closed when an earlier recorder
  // stopped, once the objects it concerns have been seen (their first
  // sight is the baseline), and advances it at `at`. What happened while no
  // recorder ran is dated `at`, when it is first seen, and the message says
  // so. Returns its name (nothing if it is Closed or already known).
  std::vector<std::string> Resume(const api::Incident& incident, absl::Time at);

  // The incident named `name`, or nullptr.
  const IncidentRecord* Find(const std::string& name) const;
  // Every incident, oldest first.
  std::vector<const IncidentRecord*> All() const;
  // Forgets incidents detected before `now - max_age` and, beyond the
  // newest max_count, the oldest ones. Returns the names dropped.
  std::vector<std::string> Prune(absl::Time now, absl::Duration max_age, size_t max_count);

  // Incidents remembered for `instance`: every one (oldest first).
  std::vector<const IncidentRecord*> ForInstance(const std::string& instance) const;

  const IncidentCounters& counters() const { return counters_; }

 private:
  struct ComponentView {
    std::string unit;
    std::string type;  // exec, saAware, virtualMachine
    api::Failure last_failure;
    api::PresenceState presence = api::PresenceState::kUninstantiated;
    int64_t restart_count = 0;
    std::string start_time;
    api::Failure opened;  // the last failure an incident was opened for
  };
  struct UnitView {
    std::string node;
    bool in_service = false;
    std::string in_service_since;
    api::Failure last_failure;
  };
  struct InstanceView {
    std::vector<api::Assignment> assignments;
    std::vector<api::Assignment> previous;  // before the last change
    absl::Time changed_at = absl::InfinitePast();
  };
  struct NodeView {
    bool ready = false;
    std::string reason;
  };

  IncidentRecord& Open(IncidentRecord record, absl::Time at);
  void OpenComponentIncident(const std::string& name, const std::string& reason,
                             const std::string& time, int64_t restart_count, absl::Time at,
                             std::vector<std::string>& changed);
  void AddInstances(IncidentRecord& record, absl::Time at);
  // Advances every open incident (only those holding the SI named
  // `only_with_instance`, when given); returns `changed` plus the names of
  // those that changed.
  std::vector<std::string> Advance(absl::Time at, std::vector<std::string> changed,
                                   const std::string* only_with_instance = nullptr);
  bool AdvanceOne(IncidentRecord& record, absl::Time at);
  bool UnitRepaired(const IncidentRecord& record) const;
  bool ComponentRestarted(const IncidentRecord& record) const;
  void SupersedeOpen(const std::string& kind, const std::string& name, absl::Time at,
                     std::vector<std::string>& changed);
  std::string UniqueName(const std::string& base);

  std::map<std::string, ComponentView> components_;
  std::map<std::string, UnitView> units_;
  std::map<std::string, InstanceView> instances_;
  std::map<std::string, NodeView> nodes_;
  std::map<std::string, IncidentRecord> incidents_;  // by name
  std::vector<std::string> order_;                   // names, oldest first
  IncidentCounters counters_;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_INCIDENT_TRACKER_H_
