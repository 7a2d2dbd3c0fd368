// Availability accounting for one ServiceInstance: how long it was without a
// confirmed active assignment (unassigned) or active but missing standbys
// (partially assigned) since accounting began, the resulting availability,
// and what is left of a yearly downtime budget at a target such as 99.999%
// (5m15.576s a year).
//
// The window is cumulative: from the first time the instance was seen with a
// confirmed active assignment (so a new instance's first start is not
// downtime) for as long as it is watched. Time while it is locked (its own
// admin state) is left out: administrative, not a failure. Time while vigild
// is down is not watched and not counted; the figures persist in the SI's
// status.availability and accounting resumes from them.
//
// Time is passed in by the caller. Thread safety: plain value.
#ifndef VIGIL_CONTROLLERS_INCIDENT_AVAILABILITY_H_
#define VIGIL_CONTROLLERS_INCIDENT_AVAILABILITY_H_

#include <string>

#include "absl/time/time.h"
#include "api/types.h"

namespace vigil::controllers {

enum class ServiceLevel { kExcluded, kUnassigned, kPartial, kFull };

// Locked: kExcluded; no confirmed active assignment: kUnassigned; a
// confirmed active but not FullyAssigned: kPartial; else kFull.
ServiceLevel LevelOf(const api::ServiceInstance& instance);

// The downtime a year allows at `target_percent` (99.999 -> 5m15.576s), a
// year being 365.25 days.
absl::Duration YearlyBudget(double target_percent);

class AvailabilityAccount {
 public:
  // Continues from a persisted report; an empty or unreadable one starts
  // afresh (accounting begins at the next confirmed active).
  static AvailabilityAccount Resume(const api::InstanceAvailability& saved);

  // The instance is at `level` from `at` on; the time since the previous
  // call is counted at the previous level. Earlier times than the previous
  // call count nothing.
  void Observe(ServiceLevel level, absl::Time at);

  // The instance has been unassigned since `failure`, earlier than it was
  // seen so (between a failure and its report it still looked assigned):
  // that time, counted at another level, counts as unassigned now.
  // REQUIRES: level() == kUnassigned. No-op before accounting began.
  void BackdateUnassigned(absl::Time failure);

  bool started() const { return since_ != absl::InfinitePast(); }
  ServiceLevel level() const { return level_; }  // as of the last Observe
  absl::Duration observed() const { return observed_; }
  absl::Duration unassigned() const { return unassigned_; }
  absl::Duration partial() const { return partial_; }
  // 1 - unassigned / observed (1 before anything was observed).
  double Availability() const;

  // The status.availability report. REQUIRES: started().
  api::InstanceAvailability Report(double target_percent) const;

 private:
  absl::Time since_ = absl::InfinitePast();
  absl::Time last_ = absl::InfinitePast();  // of the previous Observe
  ServiceLevel level_ = ServiceLevel::kExcluded;
  absl::Time level_since_ = absl::InfinitePast();  // when level_ began
  absl::Duration observed_, unassigned_, partial_;
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_INCIDENT_AVAILABILITY_H_
