#include "virt/libvirt_util.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace vigil::virt {
namespace {

// Reason names per state, indexed by libvirt's reason enum of that state.
const std::vector<std::string_view>& ReasonNames(int state) {
  static const std::vector<std::string_view> kNone = {"unknown"};
  static const std::vector<std::string_view> kRunning = {
      "unknown",       "booted",   "migrated",           "restored",
      "from snapshot", "unpaused", "migration canceled", "save canceled",
      "wakeup",        "crashed",  "postcopy",           "postcopy failed"};
  static const std::vector<std::string_view> kPaused = {
      "unknown",       "user",
      "migration",     "save",
      "dump",          "ioerror",
      "watchdog",      "from snapshot",
      "shutting down", "snapshot",
      "crashed",       "starting up",
      "postcopy",      "postcopy failed",
      "api error"};
  static const std::vector<std::string_view> kShutdown = {"unknown", "user"};
  static const std::vector<std::string_view> kShutOff = {
      "unknown", "shutdown", "destroyed",     "crashed", "migrated",
      "saved",   "failed",   "from snapshot", "daemon"};
  static const std::vector<std::string_view> kCrashed = {"unknown", "panicked"};
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return kRunning;
    case VIR_DOMAIN_PAUSED:
      return kPaused;
    case VIR_DOMAIN_SHUTDOWN:
      return kShutdown;
    case VIR_DOMAIN_SHUTOFF:
      return kShutOff;
    case VIR_DOMAIN_CRASHED:
      return kCrashed;
    default:
      return kNone;
  }
}

DomainState StateFromLibvirt(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return DomainState::kRunning;
    case VIR_DOMAIN_BLOCKED:
      return DomainState::kBlocked;
    case VIR_DOMAIN_PAUSED:
      return DomainState::kPaused;
    case VIR_DOMAIN_SHUTDOWN:
      return DomainState::kShuttingDown;
    case VIR_DOMAIN_SHUTOFF:
      return DomainState::kShutOff;
    case VIR_DOMAIN_CRASHED:
      return DomainState::kCrashed;
    case VIR_DOMAIN_PMSUSPENDED:
      return DomainState::kSuspended;
    default:
      return DomainState::kNoState;
  }
}

LifecycleEventKind KindFromStopped(int detail) {
  switch (detail) {
    case VIR_DOMAIN_EVENT_STOPPED_FAILED:
      return LifecycleEventKind::kStoppedFailed;
    case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
      return LifecycleEventKind::kCrashed;
    case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
      return LifecycleEventKind::kShutdown;
    case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
      return LifecycleEventKind::kDestroyed;
    default:
      return LifecycleEventKind::kStopped;
  }
}

}  // namespace

absl::StatusCode CodeForLibvirtError(int error_number) {
  switch (error_number) {
    case VIR_ERR_NO_DOMAIN:
      return absl::StatusCode::kNotFound;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_CONFIG_UNSUPPORTED:
    case VIR_ERR_NO_SUPPORT:
      return absl::StatusCode::kInvalidArgument;
    case VIR_ERR_DOM_EXIST:
      return absl::StatusCode::kAlreadyExists;
    case VIR_ERR_OPERATION_INVALID:
      return absl::StatusCode::kFailedPrecondition;
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
      return absl::StatusCode::kDeadlineExceeded;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_UNAVAILABLE:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status StatusFromLibvirt(std::string_view what) {
  virErrorPtr error = virGetLastError();
  if (error == nullptr || error->code == VIR_ERR_OK) {
    return absl::InternalError(
        absl::StrCat(std::string(what), ": unknown libvirt error"));
  }
  // Transport failures (keepalive timeout, closed socket) come from the RPC
  // layer, often as "internal error": the hypervisor is unreachable.
  absl::StatusCode code = error->domain == VIR_FROM_RPC
                              ? absl::StatusCode::kUnavailable
                              : CodeForLibvirtError(error->code);
  absl::Status status(
      code, absl::StrCat(std::string(what), ": ",
                         error->message ? error->message : "no message"));
  virResetLastError();
  return status;
}

DomainStatus DomainStatusFromLibvirt(int state, int reason) {
  const std::vector<std::string_view>& names = ReasonNames(state);
  DomainStatus status;
  status.state = StateFromLibvirt(state);
  status.reason_code = reason;
  status.reason = reason >= 0 && static_cast<size_t>(reason) < names.size()
                      ? std::string(names[reason])
                      : "unknown";
  return status;
}

LifecycleEventKind KindFromLibvirtEvent(int event, int detail) {
  switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
      return LifecycleEventKind::kStarted;
    case VIR_DOMAIN_EVENT_STOPPED:
      return KindFromStopped(detail);
    case VIR_DOMAIN_EVENT_CRASHED:
      return LifecycleEventKind::kCrashed;
    case VIR_DOMAIN_EVENT_RESUMED:
      return LifecycleEventKind::kResumed;
    case VIR_DOMAIN_EVENT_SUSPENDED:
      return detail == VIR_DOMAIN_EVENT_SUSPENDED_IOERROR
                 ? LifecycleEventKind::kPausedIoError
                 : LifecycleEventKind::kPaused;
    default:
      return LifecycleEventKind::kOther;
  }
}

std::string_view DomainStateName(DomainState state) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "NoState",      "Running", "Blocked", "Paused",
      "ShuttingDown", "ShutOff", "Crashed", "Suspended"};
  return kNames[static_cast<size_t>(state)];
}

std::string_view LifecycleEventKindName(LifecycleEventKind kind) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "Started",
      "StoppedFailed",
      "Crashed",
      "Shutdown",
      "Destroyed",
      "Stopped",
      "PausedIoError",
      "Paused",
      "Resumed",
      "ConnectionLost",
      "ConnectionRestored",
      "Other"};
  return kNames[static_cast<size_t>(kind)];
}

}  // namespace vigil::virt
