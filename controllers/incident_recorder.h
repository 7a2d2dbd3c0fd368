// IncidentRecorder: measured availability. Watches Components, ServiceUnits,
// ServiceInstances, Nodes and Leases; opens an Incident object per failure (a
// component's new lastFailure, a node turning not Ready) and fills in the
// paper's four metrics as the failure is handled (see IncidentTracker for the
// rules); keeps a summary of the incidents and the availability accounting
// (see AvailabilityAccount) on each ServiceInstance's status; exports
// histograms and counters to a metrics::Registry; prunes old Incidents by age
// and count.
//
// Timing: every object is timestamped by the recorder's wall clock when its
// informer delivers it (in vigild, a fraction of a millisecond after the
// store committed it), except the failure itself, whose time is the agent's
// report (process exit, health check, libvirt event) or a node's last lease
// renewal.
//
// Writes never compete with a failover: an Incident is written write_delay
// after its last change (so its first write usually already carries the
// recovery), and an SI's summary only once the SI has not changed for
// instance_quiet; both through merge patches of the status, which never
// conflict with the assignment controller's own status writes (it keeps
// these fields, controllers/group_status.cc).
//
// Thread safety: Start and Stop from one thread; the rest is internal.
#ifndef VIGIL_CONTROLLERS_INCIDENT_RECORDER_H_
#define VIGIL_CONTROLLERS_INCIDENT_RECORDER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "controllers/incident_availability.h"
#include "controllers/incident_tracker.h"
#include "controllers/informer.h"
#include "metrics/metrics.h"

namespace vigil::controllers {

struct IncidentRecorderOptions {
  std::string user = "incident-recorder";  // written into audit lines
  absl::Duration max_age = absl::Hours(24 * 7);  // older Incidents are deleted
  size_t max_count = 1000;                       // beyond it, the oldest are deleted
  double availability_target = 99.999;           // percent
  absl::Duration write_delay = absl::Milliseconds(100);
  absl::Duration instance_quiet = absl::Milliseconds(300);
  // status.availability is rewritten at most this often when nothing else
  // changed.
  absl::Duration availability_interval = absl::Seconds(60);
  metrics::Registry* metrics = nullptr;  // unset: no metrics
  std::function<void(const std::string&)> log;  // default: stderr
};

class IncidentRecorder {
 public:
  // REQUIRES: client (and options.metrics, if set) outlive the recorder.
  IncidentRecorder(client::Client* client, IncidentRecorderOptions options);
  ~IncidentRecorder();  // Stops.

  // Prunes stored Incidents, starts the informers (waiting for their first
  // lists) and the writer thread.
  // Errors: DeadlineExceeded if an informer did not sync.
  absl::Status Start();
  void Stop();

 private:
  // The metric families the recorder feeds (null without a registry).
  struct Families {
    metrics::Family<metrics::Histogram>* reaction = nullptr;
    metrics::Family<metrics::Histogram>* recovery = nullptr;
    metrics::Family<metrics::Histogram>* outage = nullptr;
    metrics::Family<metrics::Histogram>* repair = nullptr;
    metrics::Family<metrics::Counter>* incidents = nullptr;
  };

  void OnComponent(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnUnit(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnInstance(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void OnNode(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  // REQUIRES: mu_ held. Schedules writes and records metrics for changes.
  void Changed(const std::vector<std::string>& names, absl::Time at);
  void ObserveMetrics(const IncidentRecord& record);
  // REQUIRES: mu_ held. Accounts SI `name` at its level from `at` on: down
  // while an incident that interrupted it is not recovered, however its
  // (not yet updated) assignments look; schedules a write when an outage ended.
  void ObserveLevel(const std::string& name, absl::Time at);
  ServiceLevel EffectiveLevel(const api::ServiceInstance& instance) const;
  absl::Time FailureEstimate(const api::Node& node, absl::Time at) const;

  // Writer thread (incident_recorder_write.cc).
  void Run();
  void WriteIncident(const std::string& name);
  void WriteInstance(const std::string& name, absl::Time now);
  api::IncidentSummary SummaryOf(const std::string& instance) const;  // REQUIRES: mu_
  void PruneStored(absl::Time now);
  // Notes every stored Incident (for pruning); returns those not Closed.
  std::vector<api::Incident> LoadStored();
  void Resume(const std::vector<api::Incident>& unclosed);
  void RegisterMetrics();
  void Log(const std::string& line) const;

  client::Client* const client_;
  const IncidentRecorderOptions options_;
  Informer nodes_, leases_, units_, instances_, components_;
  std::unique_ptr<Families> families_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  IncidentTracker tracker_;                                  // GUARDED_BY(mu_)
  std::map<std::string, absl::Time> incident_due_;           // GUARDED_BY(mu_)
  std::map<std::string, absl::Time> instance_due_;           // GUARDED_BY(mu_)
  std::map<std::string, AvailabilityAccount> accounts_;      // GUARDED_BY(mu_)
  std::map<std::string, api::IncidentSummary> saved_summary_;  // GUARDED_BY(mu_) at first sight
  std::map<std::string, api::InstanceAvailability> written_;   // GUARDED_BY(mu_) last written
  std::map<std::string, absl::Time> written_at_;             // GUARDED_BY(mu_)
  std::map<std::string, int> observed_;     // GUARDED_BY(mu_) metrics observed per incident
  std::map<std::string, absl::Time> stored_;  // GUARDED_BY(mu_) Incident objects in the store
  bool stopping_ = false;                   // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_INCIDENT_RECORDER_H_
