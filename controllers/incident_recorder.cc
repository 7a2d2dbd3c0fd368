#include "controllers/incident_recorder.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace vigil::controllers {
namespace {

constexpr std::chrono::milliseconds kSyncTimeout{30000};

// Bits of IncidentRecorder::observed_: which durations went to the metrics.
enum ObservedBit { kReaction = 1, kRecovery = 2, kOutage = 4, kRepair = 8 };

template <typename T>
std::optional<T> Read(const ObjectPtr& obj) {
  if (obj == nullptr) return std::nullopt;
  absl::StatusOr<T> typed = api::FromJson<T>(*obj);
  if (!typed.ok()) return std::nullopt;  // validated when written
  return *std::move(typed);
}

}  // namespace

IncidentRecorder::IncidentRecorder(client::Client* client, IncidentRecorderOptions options)
    : client_(client), options_(std::move(options)), nodes_(client, "Node"),
      leases_(client, "Lease"), units_(client, "ServiceUnit"),
      instances_(client, "ServiceInstance"), components_(client, "Component"),
      families_(std::make_unique<Families>()) {
  nodes_.AddHandler([this](const ObjectPtr& o, const ObjectPtr& n) { OnNode(o, n); });
  units_.AddHandler([this](const ObjectPtr& o, const ObjectPtr& n) { OnUnit(o, n); });
  instances_.AddHandler([this](const ObjectPtr& o, const ObjectPtr& n) { OnInstance(o, n); });
  components_.AddHandler([this](const ObjectPtr& o, const ObjectPtr& n) { OnComponent(o, n); });
  if (options_.metrics != nullptr) RegisterMetrics();
}

IncidentRecorder::~IncidentRecorder() { Stop(); }

absl::Status IncidentRecorder::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  std::vector<api::Incident> unclosed = LoadStored();
  // Units and instances first, so a component's first failure finds them.
  if (absl::Status s = StartInformers({&leases_, &nodes_, &units_, &instances_, &components_},
                                      kSyncTimeout);
      !s.ok()) {
    Stop();
    return s;
  }
  Resume(unclosed);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void IncidentRecorder::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Informer* informer : {&components_, &instances_, &units_, &nodes_, &leases_}) {
    informer->Stop();
  }
}

// Incidents an earlier recorder left Open or Recovered are followed on, now
// that the objects they concern have been seen.
void IncidentRecorder::Resume(const std::vector<api::Incident>& unclosed) {
  const absl::Time at = absl::Now();
  std::lock_guard lock(mu_);
  for (const api::Incident& incident : unclosed) {
    const std::vector<std::string> resumed = tracker_.Resume(incident, at);
    if (resumed.empty()) continue;
    Log("incident " + incident.metadata.name + " taken up again (" + incident.status.phase + ")");
    Changed(resumed, at);
  }
}

void IncidentRecorder::OnComponent(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const absl::Time at = absl::Now();
  std::lock_guard lock(mu_);
  if (new_obj == nullptr) return tracker_.OnDeleted("Component", api::NameOf(*old_obj));
  if (auto component = Read<api::Component>(new_obj)) {
    Changed(tracker_.OnComponent(*component, at), at);
  }
}

void IncidentRecorder::OnUnit(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const absl::Time at = absl::Now();
  std::lock_guard lock(mu_);
  if (new_obj == nullptr) return tracker_.OnDeleted("ServiceUnit", api::NameOf(*old_obj));
  if (auto unit = Read<api::ServiceUnit>(new_obj)) Changed(tracker_.OnUnit(*unit, at), at);
}

void IncidentRecorder::OnInstance(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const absl::Time at = absl::Now();
  std::lock_guard lock(mu_);
  if (new_obj == nullptr) {
    const std::string name = api::NameOf(*old_obj);
    tracker_.OnDeleted("ServiceInstance", name);
    accounts_.erase(name);
    instance_due_.erase(name);
    return;
  }
  std::optional<api::ServiceInstance> si = Read<api::ServiceInstance>(new_obj);
  if (!si.has_value()) return;
  const std::string& name = si->metadata.name;
  if (accounts_.count(name) == 0) {
    accounts_[name] = AvailabilityAccount::Resume(si->status.availability);
    saved_summary_[name] = si->status.incidents;
    written_[name] = si->status.availability;
    written_at_[name] = at;
  }
  Changed(tracker_.OnInstance(*si, at), at);
  ObserveLevel(name, at);
}

ServiceLevel IncidentRecorder::EffectiveLevel(const api::ServiceInstance& si) const {
  const ServiceLevel level = LevelOf(si);
  if (level == ServiceLevel::kExcluded) return level;
  for (const IncidentRecord* record : tracker_.ForInstance(si.metadata.name)) {
    const IncidentRecord::Instance& mine = record->instances.at(si.metadata.name);
    if (mine.was_active && !mine.recovered && !record->superseded) {
      return ServiceLevel::kUnassigned;
    }
  }
  return level;
}

void IncidentRecorder::ObserveLevel(const std::string& name, absl::Time at) {
  auto account = accounts_.find(name);
  std::optional<api::ServiceInstance> si = Read<api::ServiceInstance>(instances_.Get(name));
  if (account == accounts_.end() || !si.has_value()) return;
  AvailabilityAccount& a = account->second;
  const bool was_started = a.started();
  const ServiceLevel before = a.level();
  const ServiceLevel level = EffectiveLevel(*si);
  a.Observe(level, at);
  // A new accounting, or the end of time without full service, is worth a
  // write once the instance is quiet; otherwise the periodic refresh does.
  const bool news = a.started() != was_started ||
                    (level != before && (before == ServiceLevel::kUnassigned ||
                                         before == ServiceLevel::kPartial));
  if (news || instance_due_.count(name) > 0) {
    instance_due_[name] = at + options_.instance_quiet;
    cv_.notify_all();
  }
}

void IncidentRecorder::OnNode(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const absl::Time at = absl::Now();
  std::lock_guard lock(mu_);
  if (new_obj == nullptr) return tracker_.OnDeleted("Node", api::NameOf(*old_obj));
  if (auto node = Read<api::Node>(new_obj)) {
    Changed(tracker_.OnNode(*node, at, FailureEstimate(*node, at)), at);
  }
}

// A node failed at the latest when its agent last renewed its Lease (the
// agent's clock), else when the Ready condition changed.
absl::Time IncidentRecorder::FailureEstimate(const api::Node& node, absl::Time at) const {
  std::optional<api::Lease> lease = Read<api::Lease>(leases_.Get(node.metadata.name));
  absl::Time time;
  std::string error;
  if (lease.has_value() && absl::ParseTime(absl::RFC3339_full, lease->spec.renew_time, &time,
                                           &error)) {
    return std::min(time, at);
  }
  for (const api::Condition& c : node.status.conditions) {
    if (c.type == "Ready" &&
        absl::ParseTime(absl::RFC3339_full, c.last_transition_time, &time, &error)) {
      return std::min(time, at);
    }
  }
  return at;
}

void IncidentRecorder::Changed(const std::vector<std::string>& names, absl::Time at) {
  for (const std::string& name : names) {
    const IncidentRecord* record = tracker_.Find(name);
    if (record == nullptr) continue;
    const bool opened = incident_due_.count(name) == 0 && observed_.count(name) == 0;
    if (opened) {
      Log(absl::StrCat("incident ", name, ": ", record->spec.failed_kind, " ",
                       record->spec.failed_name, " failed (", record->spec.reason, ")"));
      if (families_->incidents != nullptr) {
        families_->incidents->With({record->kind, record->spec.source}).Increment();
      }
      observed_[name] = 0;
    }
    incident_due_[name] = at + options_.write_delay;
    ObserveMetrics(*record);
    // The instances it touched: their accounting, and their summaries.
    for (const auto& [instance, mine] : record->instances) {
      auto account = accounts_.find(instance);
      if (opened && mine.was_active && account != accounts_.end()) {
        // Down since the failure, not since its report.
        account->second.Observe(ServiceLevel::kUnassigned, at);
        account->second.BackdateUnassigned(record->failure);
      }
      ObserveLevel(instance, at);
      instance_due_[instance] = at + options_.instance_quiet;
    }
  }
  if (!names.empty()) cv_.notify_all();
}

void IncidentRecorder::ObserveMetrics(const IncidentRecord& r) {
  if (families_->reaction == nullptr) return;
  int& done = observed_[r.name];
  const std::vector<std::string> labels = {r.kind, r.spec.source};
  auto observe = [&](ObservedBit bit, metrics::Family<metrics::Histogram>* family,
                     std::optional<absl::Duration> value) {
    if ((done & bit) != 0 || !value.has_value()) return;
    family->With(labels).Observe(absl::ToDoubleSeconds(*value));
    done |= bit;
  };
  const bool interrupted = r.recovery_action != "None";
  if (r.reaction) observe(kReaction, families_->reaction, *r.reaction - r.failure);
  if (r.reaction && r.recovered && interrupted) {
    observe(kRecovery, families_->recovery, *r.recovered - *r.reaction);
  }
  if (r.recovered && interrupted) observe(kOutage, families_->outage, *r.recovered - r.failure);
  if (r.reaction && r.repaired) observe(kRepair, families_->repair, *r.repaired - *r.reaction);
}

void IncidentRecorder::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "incident recorder: " << line << std::endl;
  }
}

}  // namespace vigil::controllers
