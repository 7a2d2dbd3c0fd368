// Clock: the source of time for everything that schedules or measures, so
// tests can substitute a fake (tests/fakes/fake_clock.h).
//
// Thread safety: implementations are safe for concurrent use.
#ifndef VIGIL_BASE_CLOCK_H_
#define VIGIL_BASE_CLOCK_H_

#include <chrono>

namespace vigil {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time for timers and durations.
  virtual TimePoint Now() const = 0;
  // Wall-clock time for timestamps shown to users.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

// The real clocks. RealClock::Get() is a process-wide instance.
class RealClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  static Clock* Get() {
    static RealClock clock;
    return &clock;
  }
};

}  // namespace vigil

#endif  // VIGIL_BASE_CLOCK_H_
