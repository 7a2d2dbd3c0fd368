// What the admin commands watch while an operation runs: a snapshot of the
// nodes, groups, units, instances and operations; which units and SIs an
// admin target covers; the assignments held on it; progress lines as the
// assignments move ("si/web: active b on n2 (was a on n1) ✓"); and the
// "operation in progress" text `vigil describe` shows for a node or unit.
//
// Thread safety: ReadClusterView uses the client it is given; the rest are
// pure functions, and a ProgressPrinter belongs to one thread.
#ifndef VIGIL_CLI_ADMIN_VIEW_H_
#define VIGIL_CLI_ADMIN_VIEW_H_

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/types.h"
#include "client/client.h"

namespace vigil::cli {

struct ClusterView {
  std::map<std::string, api::Node> nodes;
  std::map<std::string, api::ServiceGroup> groups;
  std::map<std::string, api::ServiceUnit> units;
  std::map<std::string, api::ServiceInstance> instances;
  std::map<std::string, api::Operation> operations;
};

// Lists the five kinds. Objects that do not read as their type are skipped.
// Errors: the client's, for the first list that fails.
absl::StatusOr<ClusterView> ReadClusterView(client::Client& client);

// What an admin command acts on. kind is the kind name ("Node", ...).
struct AdminTarget {
  std::string kind;
  std::string name;
};

// "node/n1", "su/a", "sg/g", "si/web".
std::string TargetRef(const AdminTarget& target);

// The units the target covers: a node's units (spec.node), the unit itself,
// a group's units; none for an SI.
std::set<std::string> TargetUnits(const ClusterView& view, const AdminTarget& target);

// The SIs whose assignments may move when the target's state changes: those
// of the groups of the target's units (of the group itself for an SG; the SI
// itself for an SI).
std::set<std::string> FollowedInstances(const ClusterView& view, const AdminTarget& target);

// One assignment held on the target.
struct HeldAssignment {
  std::string instance;
  api::Assignment assignment;
};

// The assignments on the target's units (every assignment of an SI target).
std::vector<HeldAssignment> HeldAssignments(const ClusterView& view, const AdminTarget& target);

// The SIs with an Active assignment on the target's units (none for SG and
// SI targets, whose work has nowhere else to go).
std::set<std::string> ActiveOnTarget(const ClusterView& view, const AdminTarget& target);

// The target's own spec.adminState (Unlocked if it is not in the view).
api::AdminState AdminStateOf(const ClusterView& view, const AdminTarget& target);

// The most restrictive of a unit's, its node's and its group's admin states
// is Unlocked (the unit may take work).
bool UnitUnlocked(const ClusterView& view, const api::ServiceUnit& unit);

// Lines saying which admin operation or Operation objects are still in
// progress on a node or unit ("lock in progress: 1 assignment still here:
// si/web Quiesced on a"); empty when none is.
std::vector<std::string> OperationsInProgress(const ClusterView& view, const AdminTarget& target);

// Prints one line per change of the followed SIs' assignments:
//   si/web: active b on n2 (was a on n1) ✓     (the active is confirmed)
//   si/web: standby a on n1 ✓
//   si/web: quiesced on a on n1              (quiescing on a shutdown)
//   si/web: no standby (was b on n2)
//   si/web: no active (was a on n1): <the SI's status message>
// The first call prints the current assignments of the SIs held on the
// target units, as "si/web: active a on n1, standby b on n2".
class ProgressPrinter {
 public:
  void Update(const ClusterView& view, const std::set<std::string>& instances,
              const std::set<std::string>& target_units, std::ostream& out);

 private:
  struct Seen {
    std::string active;      // confirmed actives, "a on n1"
    std::string standby;     // confirmed standbys
    std::string quiescing;   // units quiescing (shutdown)
    std::string quiesced;    // units quiesced (lock, switchover)
    std::string migration;   // "a on n1 to b on n2": the successor's node takes live migrations
    bool transition = false; // an unconfirmed or quiesc* assignment exists
  };
  static Seen SeenOf(const api::ServiceInstance& si);
  // The lines for one SI's change from `before` to `now`.
  static void PrintChanges(const std::string& ref, const Seen& before, const Seen& now,
                           const std::string& message, std::ostream& out);

  bool first_ = true;
  std::map<std::string, Seen> seen_;
};

}  // namespace vigil::cli

#endif  // VIGIL_CLI_ADMIN_VIEW_H_
