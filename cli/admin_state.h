// The admin commands of vigil (lock, unlock, lock-instantiation,
// unlock-instantiation, shutdown, repaired, drain): which kinds each applies
// to, and the AMF admin-state transitions they make, refusing the invalid
// ones with a message that names the current state and the valid commands.
//
// AMF (SAI-AIS-AMF, as OpenSAF implements it) for Node, ServiceGroup and
// ServiceUnit:
//   Unlocked     --lock-->                 Locked
//   Unlocked     --shutdown-->             ShuttingDown --(drained)--> Locked
//   ShuttingDown --lock-->                 Locked
//   ShuttingDown --unlock-->               Unlocked
//   Locked       --unlock-->               Unlocked
//   Locked       --lock-instantiation-->   LockedInstantiation
//   LockedInstantiation --unlock-instantiation--> Locked
// A ServiceInstance is only Unlocked or Locked (lock, unlock). A command
// whose target state is the current one is a no-op, not an error.
//
// Thread safety: pure functions.
#ifndef VIGIL_CLI_ADMIN_STATE_H_
#define VIGIL_CLI_ADMIN_STATE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/object.h"
#include "api/types.h"

namespace vigil::cli {

enum class AdminVerb {
  kLock, kUnlock, kLockInstantiation, kUnlockInstantiation, kShutdown, kRepaired, kDrain
};

// The command's name as typed: "lock", "lock-instantiation", ...
std::string_view VerbName(AdminVerb verb);

// Reads a command name. Errors: InvalidArgument naming the valid commands.
absl::StatusOr<AdminVerb> ParseAdminVerb(std::string_view name);

// Ok if `verb` applies to `kind`; else InvalidArgument naming the kinds it
// applies to (e.g. "shutdown applies to node, su, sg; not to si").
absl::Status CheckVerbKind(AdminVerb verb, const api::KindInfo& kind);

// The admin state `verb` moves an object of `kind` in state `current` to.
// `ref` ("node/n1") names the object in the error.
// REQUIRES: verb is not kRepaired or kDrain (they are made of other steps).
// Errors: FailedPrecondition "cannot lock-instantiation node/n1: it is
// Unlocked (valid now: lock, shutdown, drain)".
absl::StatusOr<api::AdminState> NextAdminState(AdminVerb verb, const api::KindInfo& kind,
                                               api::AdminState current,
                                               std::string_view ref);

// The commands valid from `current` for `kind`, comma-separated.
std::string ValidVerbs(const api::KindInfo& kind, api::AdminState current);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_ADMIN_STATE_H_
