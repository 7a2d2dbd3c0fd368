// IncidentRecorder: the writer thread (Incidents, SI summaries, pruning) and
// the metrics it exports.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controllers/incident_recorder.h"

namespace vigil::controllers {
namespace {

constexpr absl::Duration kIdleWake = absl::Seconds(1);
constexpr absl::Duration kPruneEvery = absl::Seconds(10);

// The entries of `due` whose time came, removed from it.
std::vector<std::string> TakeDue(std::map<std::string, absl::Time>& due, absl::Time now) {
  std::vector<std::string> out;
  for (auto it = due.begin(); it != due.end();) {
    if (it->second <= now) {
      out.push_back(it->first);
      it = due.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

absl::Time Earliest(const std::map<std::string, absl::Time>& due, absl::Time bound) {
  for (const auto& [name, at] : due) bound = std::min(bound, at);
  return bound;
}

std::optional<absl::Time> CreatedAt(const api::Json& obj) {
  absl::Time time;
  std::string error;
  const std::string text =
      obj.value("metadata", api::Json::object()).value("creationTimestamp", "");
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return std::nullopt;
  return time;
}

}  // namespace

void IncidentRecorder::Run() {
  absl::Time next_prune = absl::Now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    const std::vector<std::string> incidents = TakeDue(incident_due_, now);
    std::vector<std::string> instances = TakeDue(instance_due_, now);
    // Availability is refreshed now and then even when nothing happened.
    for (const auto& [name, account] : accounts_) {
      auto written = written_at_.find(name);
      if (account.started() && written != written_at_.end() &&
          now - written->second >= options_.availability_interval &&
          instance_due_.count(name) == 0 &&
          std::find(instances.begin(), instances.end(), name) == instances.end()) {
        instances.push_back(name);
      }
    }
    lock.unlock();
    for (const std::string& name : incidents) WriteIncident(name);
    for (const std::string& name : instances) WriteInstance(name, now);
    if (now >= next_prune || !incidents.empty()) {
      PruneStored(now);
      next_prune = now + kPruneEvery;
    }
    lock.lock();
    const absl::Time wake =
        Earliest(instance_due_, Earliest(incident_due_, absl::Now() + kIdleWake));
    cv_.wait_until(lock, absl::ToChronoTime(wake), [this] { return stopping_; });
  }
}

void IncidentRecorder::WriteIncident(const std::string& name) {
  api::Json spec, status;
  absl::Time detected;
  {
    std::lock_guard lock(mu_);
    const IncidentRecord* record = tracker_.Find(name);
    if (record == nullptr) return;  // pruned meanwhile
    spec = api::ToJson(record->spec);
    status = api::ToJson(record->Status());
    detected = record->detection;
  }
  client::WriteOptions write;
  write.user = options_.user;
  bool stored = false;
  {
    std::lock_guard lock(mu_);
    stored = stored_.count(name) > 0;
  }
  if (!stored) {
    const api::Json obj = {{"apiVersion", std::string(api::kApiVersion)},
                           {"kind", "Incident"},
                           {"metadata", {{"name", name}}},
                           {"spec", spec}};
    absl::StatusOr<api::Json> created = client_->Create(obj, write);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
      Log("creating Incident " + name + ": " + created.status().ToString());
      return;
    }
    std::lock_guard lock(mu_);
    stored_[name] = detected;
  }
  absl::StatusOr<api::Json> patched =
      client_->Patch("Incident", name, {{"status", status}}, /*status=*/true, write);
  if (!patched.ok()) Log("writing the status of Incident " + name + ": " +
                         patched.status().ToString());
}

api::IncidentSummary IncidentRecorder::SummaryOf(const std::string& instance) const {
  api::IncidentSummary summary;
  auto saved = saved_summary_.find(instance);
  if (saved != saved_summary_.end()) summary = saved->second;
  summary.open = 0;
  for (const IncidentRecord* record : tracker_.ForInstance(instance)) {
    ++summary.total;
    summary.open += record->Phase() == "Open";
    summary.last = record->name;
    summary.last_failure_time = Rfc3339Micros(record->failure);
    const std::optional<absl::Duration> outage = record->OutageOf(instance);
    summary.last_outage = outage ? FormatMeasured(*outage) : "";
  }
  return summary;
}

void IncidentRecorder::WriteInstance(const std::string& name, absl::Time now) {
  api::Json patch = api::Json::object();
  {
    std::lock_guard lock(mu_);
    auto account = accounts_.find(name);
    if (account == accounts_.end()) return;  // deleted meanwhile
    // Counts the time up to now at the current level.
    ObserveLevel(name, std::max(now, absl::Now()));
    const AvailabilityAccount& a = account->second;
    if (api::Json summary = api::ToJson(SummaryOf(name)); !summary.empty()) {
      patch["incidents"] = std::move(summary);
    }
    if (a.started()) {
      const api::InstanceAvailability report = a.Report(options_.availability_target);
      patch["availability"] = api::ToJson(report);
      written_[name] = report;
    }
    written_at_[name] = now;
  }
  if (patch.empty()) return;
  client::WriteOptions write;
  write.user = options_.user;
  absl::StatusOr<api::Json> patched =
      client_->Patch("ServiceInstance", name, {{"status", patch}}, /*status=*/true, write);
  if (!patched.ok() && !absl::IsNotFound(patched.status())) {
    Log("writing the summaries of ServiceInstance " + name + ": " +
        patched.status().ToString());
  }
}

std::vector<api::Incident> IncidentRecorder::LoadStored() {
  std::vector<api::Incident> unclosed;
  absl::StatusOr<client::ObjectList> list = client_->List("Incident");
  if (!list.ok()) {
    Log("listing Incidents: " + list.status().ToString());
    return unclosed;
  }
  std::lock_guard lock(mu_);
  for (const api::Json& obj : list->items) {
    stored_[api::NameOf(obj)] = CreatedAt(obj).value_or(absl::Now());
    absl::StatusOr<api::Incident> incident = api::FromJson<api::Incident>(obj);
    if (incident.ok() && incident->status.phase != "Closed") unclosed.push_back(*incident);
  }
  return unclosed;
}

// Deletes the stored Incidents past max_age and, beyond max_count, the
// oldest; forgets the same in the tracker.
void IncidentRecorder::PruneStored(absl::Time now) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    for (const std::string& name :
         tracker_.Prune(now, options_.max_age, options_.max_count)) {
      incident_due_.erase(name);
      observed_.erase(name);
    }
    std::vector<std::pair<absl::Time, std::string>> by_age;
    for (const auto& [name, at] : stored_) by_age.emplace_back(at, name);
    std::sort(by_age.begin(), by_age.end());
    size_t keep = by_age.size();
    for (const auto& [at, name] : by_age) {
      if (keep <= options_.max_count && at >= now - options_.max_age) break;
      doomed.push_back(name);
      stored_.erase(name);
      --keep;
    }
  }
  client::WriteOptions write;
  write.user = options_.user;
  for (const std::string& name : doomed) {
    absl::StatusOr<api::Json> deleted = client_->Delete("Incident", name, std::nullopt, write);
    if (!deleted.ok() && !absl::IsNotFound(deleted.status())) {
      Log("pruning Incident " + name + ": " + deleted.status().ToString());
    }
  }
}

void IncidentRecorder::RegisterMetrics() {
  metrics::Registry& registry = *options_.metrics;
  const std::vector<std::string> labels = {"kind", "source"};
  const std::vector<double> buckets = metrics::DurationBuckets();
  families_->reaction = &registry.AddHistogram(
      "vigil_incident_reaction_seconds", "Failure to first reaction, per failure kind.", labels,
      buckets);
  families_->recovery = &registry.AddHistogram(
      "vigil_incident_recovery_seconds",
      "First reaction to service recovered, per failure kind (service-affecting failures).",
      labels, buckets);
  families_->outage = &registry.AddHistogram(
      "vigil_incident_outage_seconds",
      "Failure to service recovered, per failure kind (service-affecting failures).", labels,
      buckets);
  families_->repair = &registry.AddHistogram(
      "vigil_incident_repair_seconds", "First reaction to failed unit repaired, per kind.",
      labels, buckets);
  families_->incidents = &registry.AddCounter(
      "vigil_incidents_total", "Failures recorded as Incidents, per kind and detection source.",
      labels);
  auto counter = [this](int64_t IncidentCounters::*field) {
    return [this, field] {
      std::lock_guard lock(mu_);
      return std::vector<metrics::Sample>{{{}, static_cast<double>(tracker_.counters().*field)}};
    };
  };
  registry.AddCollector("vigil_failovers_total",
                        "Incidents recovered by another unit taking the active assignment.",
                        metrics::Type::kCounter, {}, counter(&IncidentCounters::failovers));
  registry.AddCollector("vigil_restarts_total",
                        "Incidents recovered by the failed unit becoming active again.",
                        metrics::Type::kCounter, {}, counter(&IncidentCounters::restarts));
  registry.AddCollector("vigil_switchovers_total",
                        "Confirmed active assignments moved with no failure (admin, swap, "
                        "switchback).",
                        metrics::Type::kCounter, {}, counter(&IncidentCounters::switchovers));
  registry.AddCollector("vigil_incidents_open", "Incidents whose service is not yet recovered.",
                        metrics::Type::kGauge, {}, [this] {
                          std::lock_guard lock(mu_);
                          double open = 0;
                          for (const IncidentRecord* r : tracker_.All()) {
                            open += r->Phase() == "Open";
                          }
                          return std::vector<metrics::Sample>{{{}, open}};
                        });
  registry.AddCollector(
      "vigil_service_instances", "ServiceInstances per assignment state.", metrics::Type::kGauge,
      {"state"}, [this] {
        std::map<std::string, double> counts = {
            {"Unassigned", 0}, {"PartiallyAssigned", 0}, {"FullyAssigned", 0}};
        for (const ObjectPtr& obj : instances_.List()) {
          const api::Json status = obj->value("status", api::Json::object());
          counts[status.value("assignmentState", "Unassigned")] += 1;
        }
        std::vector<metrics::Sample> samples;
        for (const auto& [state, n] : counts) samples.push_back({{state}, n});
        return samples;
      });
  registry.AddCollector(
      "vigil_service_instance_availability_ratio",
      "Per ServiceInstance: 1 - unassigned / observed time since its accounting began.",
      metrics::Type::kGauge, {"service_instance"}, [this] {
        std::lock_guard lock(mu_);
        std::vector<metrics::Sample> samples;
        for (const auto& [name, a] : accounts_) {
          if (a.started()) samples.push_back({{name}, a.Availability()});
        }
        return samples;
      });
  registry.AddCollector(
      "vigil_service_instance_unassigned_seconds_total",
      "Per ServiceInstance: time without a confirmed active assignment (counted up to its "
      "last change).",
      metrics::Type::kCounter, {"service_instance"}, [this] {
        std::lock_guard lock(mu_);
        std::vector<metrics::Sample> samples;
        for (const auto& [name, a] : accounts_) {
          if (a.started()) samples.push_back({{name}, absl::ToDoubleSeconds(a.unassigned())});
        }
        return samples;
      });
  registry.AddCollector(
      "vigil_node_ready", "Per Node: 1 if its Ready condition is True (its agent is healthy).",
      metrics::Type::kGauge, {"node"}, [this] {
        std::vector<metrics::Sample> samples;
        for (const ObjectPtr& obj : nodes_.List()) {
          double ready = 0;
          const api::Json status = obj->value("status", api::Json::object());
          for (const api::Json& c : status.value("conditions", api::Json::array())) {
            if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True";
          }
          samples.push_back({{api::NameOf(*obj)}, ready});
        }
        return samples;
      });
  registry.AddCollector(
      "vigil_node_lease_age_seconds",
      "Per Node: time since its agent last renewed its Lease (by the agent's clock).",
      metrics::Type::kGauge, {"node"}, [this] {
        std::vector<metrics::Sample> samples;
        const absl::Time now = absl::Now();
        for (const ObjectPtr& obj : leases_.List()) {
          absl::Time renewed;
          std::string error;
          const std::string text =
              obj->value("spec", api::Json::object()).value("renewTime", "");
          if (absl::ParseTime(absl::RFC3339_full, text, &renewed, &error)) {
            samples.push_back({{api::NameOf(*obj)}, absl::ToDoubleSeconds(now - renewed)});
          }
        }
        return samples;
      });
}

}  // namespace vigil::controllers
