#include "virt/libvirt_util.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gtest/gtest.h"

namespace vigil::virt {
namespace {

TEST(KindFromLibvirtEventTest, FailuresAreTold) {
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STOPPED,
                                 VIR_DOMAIN_EVENT_STOPPED_FAILED),
            LifecycleEventKind::kStoppedFailed);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STOPPED,
                                 VIR_DOMAIN_EVENT_STOPPED_CRASHED),
            LifecycleEventKind::kCrashed);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_CRASHED,
                                 VIR_DOMAIN_EVENT_CRASHED_PANICKED),
            LifecycleEventKind::kCrashed);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_SUSPENDED,
                                 VIR_DOMAIN_EVENT_SUSPENDED_IOERROR),
            LifecycleEventKind::kPausedIoError);
}

TEST(KindFromLibvirtEventTest, OrdinaryChanges) {
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STARTED,
                                 VIR_DOMAIN_EVENT_STARTED_BOOTED),
            LifecycleEventKind::kStarted);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STOPPED,
                                 VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
            LifecycleEventKind::kShutdown);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STOPPED,
                                 VIR_DOMAIN_EVENT_STOPPED_DESTROYED),
            LifecycleEventKind::kDestroyed);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_STOPPED,
                                 VIR_DOMAIN_EVENT_STOPPED_MIGRATED),
            LifecycleEventKind::kStopped);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_SUSPENDED,
                                 VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
            LifecycleEventKind::kPaused);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_RESUMED, 0),
            LifecycleEventKind::kResumed);
  EXPECT_EQ(KindFromLibvirtEvent(VIR_DOMAIN_EVENT_DEFINED, 0),
            LifecycleEventKind::kOther);
}

TEST(DomainStatusFromLibvirtTest, NamesStateAndReason) {
  DomainStatus paused =
      DomainStatusFromLibvirt(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR);
  EXPECT_EQ(paused.state, DomainState::kPaused);
  EXPECT_EQ(paused.reason, "ioerror");
  DomainStatus off =
      DomainStatusFromLibvirt(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED);
  EXPECT_EQ(off.state, DomainState::kShutOff);
  EXPECT_EQ(off.reason, "failed");
  EXPECT_EQ(DomainStateName(off.state), "ShutOff");
}

TEST(DomainStatusFromLibvirtTest, UnknownNumbersAreUnknown) {
  DomainStatus odd = DomainStatusFromLibvirt(VIR_DOMAIN_RUNNING, 999);
  EXPECT_EQ(odd.state, DomainState::kRunning);
  EXPECT_EQ(odd.reason, "unknown");
  EXPECT_EQ(odd.reason_code, 999);
  EXPECT_EQ(DomainStatusFromLibvirt(-1, -1).state, DomainState::kNoState);
}

TEST(CodeForLibvirtErrorTest, MapsTheMeaningfulOnes) {
  EXPECT_EQ(CodeForLibvirtError(VIR_ERR_NO_DOMAIN),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CodeForLibvirtError(VIR_ERR_XML_ERROR),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForLibvirtError(VIR_ERR_OPERATION_INVALID),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeForLibvirtError(VIR_ERR_SYSTEM_ERROR),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(CodeForLibvirtError(VIR_ERR_INTERNAL_ERROR),
            absl::StatusCode::kInternal);
}

TEST(LifecycleEventKindNameTest, EveryKindHasAName) {
  EXPECT_EQ(LifecycleEventKindName(LifecycleEventKind::kPausedIoError),
            "PausedIoError");
  EXPECT_EQ(LifecycleEventKindName(LifecycleEventKind::kOther), "Other");
}

}  // namespace
}  // namespace vigil::virt
