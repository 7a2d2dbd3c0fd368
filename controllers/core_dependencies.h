// Dependencies between SIs (sponsor → dependent) and between the CSIs of one
// SI, as the AMF defines them.
//
// An SI becomes active only while every sponsor it names in dependsOn has a
// confirmed active assignment. When a sponsor loses its active assignment a
// dependent keeps its own for the sponsor's toleranceTime, then loses it
// (its standbys stay, so it is promoted as soon as the sponsor is back).
// The CSIs of one SI are handed to components in dependency order.
//
// Thread safety: pure functions; DependencyGate is immutable after
// construction.
#ifndef VIGIL_CONTROLLERS_CORE_DEPENDENCIES_H_
#define VIGIL_CONTROLLERS_CORE_DEPENDENCIES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "controllers/core_context.h"
#include "controllers/core_types.h"

namespace vigil::core {

// The CSI names of `instance` ordered so every CSI comes after those it
// depends on; independent CSIs keep their declared order. Returns
// InvalidArgument naming the CSI when a dependsOn names an unknown CSI or
// the dependencies form a cycle.
absl::StatusOr<std::vector<std::string>> OrderCsis(
    const InstanceSpec& instance);

namespace internal {

struct SponsorVerdict {
  bool activation_ok = true;  // every sponsor is active now
  bool drop_active = false;   // a sponsor has been inactive past tolerance
  std::string reason;         // why not ok, naming the sponsor
  absl::Time requeue_at = absl::InfiniteFuture();  // next tolerance expiry
};

class DependencyGate {
 public:
  explicit DependencyGate(const GroupContext& ctx);
  // The verdict for SI index `s`. A sponsor missing from the snapshot's
  // sponsor list counts as inactive forever.
  SponsorVerdict Evaluate(int s) const;

 private:
  const GroupContext& ctx_;
};

}  // namespace internal
}  // namespace vigil::core

#endif  // VIGIL_CONTROLLERS_CORE_DEPENDENCIES_H_
