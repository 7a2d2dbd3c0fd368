// StatusWriter: ordering of urgent and ordinary reports, the quiet period
// after an urgent one, replacement of queued reports, retries.
#include "agent/status_writer.h"

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Records which reports were written, and when.
class Recorder {
 public:
  StatusWriter::Write Report(std::string name, absl::Status result = absl::OkStatus()) {
    return [this, name, result] {
      std::lock_guard lock(mu_);
      written_.push_back({name, Steady::now()});
      return result;
    };
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> names;
    for (const auto& w : written_) names.push_back(w.name);
    return names;
  }
  Steady::time_point TimeOf(const std::string& name) const {
    std::lock_guard lock(mu_);
    for (const auto& w : written_) {
      if (w.name == name) return w.at;
    }
    return {};
  }

 private:
  struct Written {
    std::string name;
    Steady::time_point at;
  };
  mutable std::mutex mu_;
  std::vector<Written> written_;
};

TEST(StatusWriterTest, UrgentReportsGoFirstAndOrdinaryOnesWaitTheQuietPeriod) {
  Recorder recorder;
  StatusWriter writer(nullptr, milliseconds(100));
  writer.Put("Component/a", recorder.Report("component"));
  writer.Put("ServiceUnit/u", recorder.Report("unit failed"), /*urgent=*/true);
  writer.Start();
  ASSERT_TRUE(writer.WaitIdle(milliseconds(5000)));
  EXPECT_EQ(recorder.names(), (std::vector<std::string>{"unit failed", "component"}));
  EXPECT_GE(recorder.TimeOf("component") - recorder.TimeOf("unit failed"), milliseconds(100));
}

TEST(StatusWriterTest, AnUrgentReportDuringTheQuietPeriodIsWrittenAtOnce) {
  Recorder recorder;
  StatusWriter writer(nullptr, milliseconds(300));
  writer.Start();
  writer.Put("ServiceUnit/u", recorder.Report("unit failed"), /*urgent=*/true);
  writer.Put("Component/a", recorder.Report("component"));
  writer.Put("ServiceUnit/v", recorder.Report("unit confirmed"), /*urgent=*/true);
  ASSERT_TRUE(writer.WaitIdle(milliseconds(5000)));
  EXPECT_EQ(recorder.names(),
            (std::vector<std::string>{"unit failed", "unit confirmed", "component"}));
  EXPECT_LT(recorder.TimeOf("unit confirmed") - recorder.TimeOf("unit failed"), milliseconds(300));
}

TEST(StatusWriterTest, WithoutUrgentReportsOrdinaryOnesAreNotHeldBack) {
  Recorder recorder;
  StatusWriter writer(nullptr, milliseconds(10000));
  writer.Start();
  const Steady::time_point put = Steady::now();
  writer.Put("Component/a", recorder.Report("component"));
  ASSERT_TRUE(writer.WaitIdle(milliseconds(5000)));
  EXPECT_LT(recorder.TimeOf("component") - put, milliseconds(1000));
}

TEST(StatusWriterTest, ANewerReportReplacesTheQueuedOneOfItsKey) {
  Recorder recorder;
  StatusWriter writer(nullptr);
  writer.Put("Component/a", recorder.Report("old"));
  writer.Put("Component/a", recorder.Report("new"));
  writer.Start();
  ASSERT_TRUE(writer.WaitIdle(milliseconds(5000)));
  EXPECT_EQ(recorder.names(), std::vector<std::string>{"new"});
}

TEST(StatusWriterTest, AFailedWriteIsRetriedAndNotFoundIsDropped) {
  Recorder recorder;
  int attempts = 0;
  StatusWriter writer(nullptr);
  writer.Put("Component/a", [&] {
    return ++attempts < 3 ? absl::UnavailableError("store busy") : absl::OkStatus();
  });
  writer.Put("Component/gone", recorder.Report("gone", absl::NotFoundError("no such object")));
  writer.Start();
  ASSERT_TRUE(writer.WaitIdle(milliseconds(5000)));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(recorder.names(), std::vector<std::string>{"gone"});
  EXPECT_EQ(writer.writes(), 1);
}

}  // namespace
}  // namespace vigil::agent
