#include "controllers/core_dependencies.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vigil::core {

namespace {

absl::Status CheckCsiNames(const InstanceSpec& instance) {
  for (const CsiSpec& csi : instance.csis) {
    for (const std::string& dep : csi.depends_on) {
      bool known =
          std::any_of(instance.csis.begin(), instance.csis.end(),
                      [&](const CsiSpec& other) { return other.name == dep; });
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat("SI ", instance.name, ": CSI ", csi.name,
                         " depends on unknown CSI ", dep));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> OrderCsis(
    const InstanceSpec& instance) {
  if (absl::Status status = CheckCsiNames(instance); !status.ok()) {
    return status;
  }
  const auto& csis = instance.csis;
  std::vector<bool> placed(csis.size(), false);
  std::vector<std::string> order;
  auto ready = [&](const CsiSpec& csi) {
    return std::all_of(csi.depends_on.begin(), csi.depends_on.end(),
                       [&](const std::string& dep) {
                         return std::find(order.begin(), order.end(), dep) !=
                                order.end();
                       });
  };
  while (order.size() < csis.size()) {
    // The first CSI, in declared order, whose sponsors are all placed.
    size_t next = csis.size();
    for (size_t i = 0; i < csis.size() && next == csis.size(); ++i) {
      if (!placed[i] && ready(csis[i])) next = i;
    }
    if (next == csis.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SI ", instance.name, ": CSI dependencies form a cycle"));
    }
    placed[next] = true;
    order.push_back(csis[next].name);
  }
  return order;
}

namespace internal {

DependencyGate::DependencyGate(const GroupContext& ctx) : ctx_(ctx) {}

SponsorVerdict DependencyGate::Evaluate(int s) const {
  SponsorVerdict verdict;
  for (const SponsorRef& ref : ctx_.instance_spec(s).depends_on) {
    const SponsorStatus* status = ctx_.Sponsor(ref.instance);
    if (status != nullptr && status->active) continue;
    verdict.activation_ok = false;
    absl::Time since = status == nullptr ? absl::InfinitePast() : status->since;
    absl::Time expiry = since + ref.tolerance;
    if (ctx_.now() >= expiry) {
      verdict.drop_active = true;
      verdict.reason = absl::StrCat(
          "dependency: sponsor ", ref.instance, " not active beyond its ",
          absl::FormatDuration(ref.tolerance), " tolerance");
    } else {
      verdict.requeue_at = std::min(verdict.requeue_at, expiry);
      if (verdict.reason.empty()) {
        verdict.reason =
            absl::StrCat("dependency: waiting for sponsor ", ref.instance);
      }
    }
  }
  return verdict;
}

}  // namespace internal
}  // namespace vigil::core
