// Conversions between libvirt's C vocabulary and Vigil's: errors to
// absl::Status, state/reason numbers to DomainStatus, lifecycle event numbers
// to LifecycleEventKind. Internal to virt/ (and its tests).
//
// Thread safety: all functions are safe for concurrent use; StatusFromLibvirt
// reads the calling thread's last libvirt error, so call it on the thread
// whose libvirt call failed, right after the failure.
#ifndef VIGIL_VIRT_LIBVIRT_UTIL_H_
#define VIGIL_VIRT_LIBVIRT_UTIL_H_

#include <string_view>

#include "absl/status/status.h"
#include "virt/hypervisor.h"

namespace vigil::virt {

// The calling thread's last libvirt error as a status "<what>: <libvirt
// message>", with the code mapped as hypervisor.h describes; Internal with
// "unknown libvirt error" when libvirt recorded none. Resets the error.
absl::Status StatusFromLibvirt(std::string_view what);

// Maps a libvirt error number (virErrorNumber) to a status code.
absl::StatusCode CodeForLibvirtError(int error_number);

// A DomainStatus from virDomainGetState's state and reason numbers.
DomainStatus DomainStatusFromLibvirt(int state, int reason);

// The availability meaning of virDomainEventType `event` with `detail`.
LifecycleEventKind KindFromLibvirtEvent(int event, int detail);

}  // namespace vigil::virt

#endif  // VIGIL_VIRT_LIBVIRT_UTIL_H_
