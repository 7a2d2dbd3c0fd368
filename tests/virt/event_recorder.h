// EventRecorder: subscribes to a Hypervisor and keeps every lifecycle event,
// so tests can wait for a specific one without sleeping.
//
// Thread safety: safe for concurrent use (events arrive on libvirt's
// event-loop thread while the test thread waits).
#ifndef VIGIL_TESTS_VIRT_EVENT_RECORDER_H_
#define VIGIL_TESTS_VIRT_EVENT_RECORDER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "virt/hypervisor.h"

namespace vigil::virt {

class EventRecorder {
 public:
  explicit EventRecorder(Hypervisor* hypervisor) : hypervisor_(hypervisor) {
    id_ = hypervisor_->Subscribe([this](const LifecycleEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    });
  }
  ~EventRecorder() { hypervisor_->Unsubscribe(id_); }

  // The first event of `kind` for `domain` ("" for connection events),
  // waiting up to `timeout`; nullopt if none arrived.
  std::optional<LifecycleEvent> WaitFor(
      LifecycleEventKind kind, const std::string& domain,
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<LifecycleEvent> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const LifecycleEvent& event : events_) {
        if (event.kind == kind && event.domain == domain) {
          found = event;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  Hypervisor* const hypervisor_;
  Hypervisor::SubscriptionId id_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LifecycleEvent> events_;
};

}  // namespace vigil::virt

#endif  // VIGIL_TESTS_VIRT_EVENT_RECORDER_H_
