#include "controllers/incident_availability.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vigil::controllers {
namespace {

constexpr absl::Duration kYear = absl::Hours(24 * 365 + 6);  // 365.25 days

absl::Duration ParseOr(const std::string& text, absl::Duration fallback) {
  absl::Duration duration;
  return !text.empty() && absl::ParseDuration(text, &duration) ? duration : fallback;
}

std::string Percent(double ratio, int decimals) {
  return absl::StrFormat("%.*f%%", decimals, 100 * ratio);
}

}  // namespace

ServiceLevel LevelOf(const api::ServiceInstance& instance) {
  if (instance.spec.admin_state != api::AdminState::kUnlocked) return ServiceLevel::kExcluded;
  bool active = false;
  for (const api::Assignment& a : instance.status.assignments) {
    active |= a.ha_state == api::HaState::kActive && a.confirmed;
  }
  if (!active) return ServiceLevel::kUnassigned;
  return instance.status.assignment_state == api::AssignmentState::kFullyAssigned
             ? ServiceLevel::kFull
             : ServiceLevel::kPartial;
}

absl::Duration YearlyBudget(double target_percent) {
  // Rounded to microseconds: 100 - 99.999 is not exact in binary.
  const absl::Duration exact = kYear * ((100 - target_percent) / 100);
  return absl::Floor(exact + absl::Nanoseconds(500), absl::Microseconds(1));
}

AvailabilityAccount AvailabilityAccount::Resume(const api::InstanceAvailability& saved) {
  AvailabilityAccount account;
  absl::Time since;
  std::string error;
  if (saved.since.empty() || !absl::ParseTime(absl::RFC3339_full, saved.since, &since, &error)) {
    return account;
  }
  account.since_ = since;
  account.observed_ = ParseOr(saved.observed, absl::ZeroDuration());
  account.unassigned_ = ParseOr(saved.unassigned, absl::ZeroDuration());
  account.partial_ = ParseOr(saved.partially_assigned, absl::ZeroDuration());
  return account;
}

void AvailabilityAccount::Observe(ServiceLevel level, absl::Time at) {
  if (started() && last_ != absl::InfinitePast() && at > last_ &&
      level_ != ServiceLevel::kExcluded) {
    const absl::Duration span = at - last_;
    observed_ += span;
    if (level_ == ServiceLevel::kUnassigned) unassigned_ += span;
    if (level_ == ServiceLevel::kPartial) partial_ += span;
  }
  if (!started() && (level == ServiceLevel::kFull || level == ServiceLevel::kPartial)) {
    since_ = at;
  }
  if (at > last_ || last_ == absl::InfinitePast()) last_ = at;
  if (level != level_) level_since_ = last_;
  level_ = level;
}

void AvailabilityAccount::BackdateUnassigned(absl::Time failure) {
  if (!started() || level_ != ServiceLevel::kUnassigned) return;
  const absl::Time from = std::max(failure, since_);
  if (from >= level_since_) return;
  unassigned_ = std::min(unassigned_ + (level_since_ - from), observed_);
  level_since_ = from;
}

double AvailabilityAccount::Availability() const {
  if (observed_ <= absl::ZeroDuration()) return 1;
  return 1 - absl::FDivDuration(unassigned_, observed_);
}

api::InstanceAvailability AvailabilityAccount::Report(double target_percent) const {
  api::InstanceAvailability report;
  report.since = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", since_, absl::UTCTimeZone());
  auto format = [](absl::Duration d) {
    const absl::Duration rounded = absl::Trunc(d, absl::Microseconds(1));
    return rounded == absl::ZeroDuration() ? "0s" : absl::FormatDuration(rounded);
  };
  report.observed = format(observed_);
  report.unassigned = format(unassigned_);
  report.partially_assigned = format(partial_);
  report.availability = Percent(Availability(), 5);
  report.target = absl::StrFormat("%g%%", target_percent);
  const absl::Duration budget = YearlyBudget(target_percent);
  report.downtime_budget = format(budget);
  report.budget_remaining = format(budget - unassigned_);
  return report;
}

}  // namespace vigil::controllers
