// LeaseKeeper against a client whose Lease patches can be held: what it
// sends while a renewal hangs on a slow server.
#include "agent/lease_keeper.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "gtest/gtest.h"

namespace vigil::agent {
namespace {

using std::chrono::milliseconds;

// A Client that answers Lease patches, holding patches number first_held
// to last_held (counting from 1) until Release(). Everything else is
// Unimplemented.
class HoldingLeaseClient : public client::Client {
 public:
  HoldingLeaseClient(int first_held, int last_held)
      : first_held_(first_held), last_held_(last_held) {}

  absl::StatusOr<client::Json> Patch(const std::string& kind, const std::string& name,
                                     const client::Json& patch, bool,
                                     const client::WriteOptions&) override {
    std::unique_lock lock(mu_);
    const int number = ++patches_;
    cv_.notify_all();
    if (number >= first_held_ && number <= last_held_) {
      cv_.wait(lock, [this] { return released_; });
    }
    return client::Json{{"kind", kind}, {"metadata", {{"name", name}}}, {"spec", patch["spec"]}};
  }

  // Waits (bounded, generously) until at least `count` patches have arrived.
  bool WaitForPatches(int count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return patches_ >= count; });
  }

  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  absl::StatusOr<client::Json> Get(const std::string&, const std::string&) override {
    return absl::UnimplementedError("Get");
  }
  absl::StatusOr<client::ObjectList> List(const std::string&,
                                          const client::ListOptions&) override {
    return absl::UnimplementedError("List");
  }
  absl::StatusOr<client::Json> Create(const client::Json&, const client::WriteOptions&) override {
    return absl::UnimplementedError("Create");
  }
  absl::StatusOr<client::Json> Update(const client::Json&, const client::WriteOptions&) override {
    return absl::UnimplementedError("Update");
  }
  absl::StatusOr<client::Json> UpdateStatus(const client::Json&,
                                            const client::WriteOptions&) override {
    return absl::UnimplementedError("UpdateStatus");
  }
  absl::StatusOr<client::Json> Delete(const std::string&, const std::string&,
                                      std::optional<int64_t>,
                                      const client::WriteOptions&) override {
    return absl::UnimplementedError("Delete");
  }
  absl::StatusOr<std::unique_ptr<client::WatchStream>> Watch(
      const std::string&, const client::ListOptions&) override {
    return absl::UnimplementedError("Watch");
  }

 private:
  const int first_held_, last_held_;
  std::mutex mu_;
  std::condition_variable cv_;
  int patches_ = 0;        // GUARDED_BY(mu_)
  bool released_ = false;  // GUARDED_BY(mu_)
};

LeaseOptions Options() {
  return {.node = "n1",
          .holder = "n1/1",
          .user = "agent/n1",
          .lease_duration = milliseconds(800),
          .renew_interval = milliseconds(20),
          .self_fence_after = milliseconds(500)};
}

TEST(LeaseKeeper, SendsTheNextRenewalWhileEarlierOnesHang) {
  // Patch 1 is Start's. Patches 2 .. kRenewersInFlight hang, as on a slow
  // server: a keeper that waited for each answer before sending the next
  // renewal would never send patch kRenewersInFlight + 1.
  HoldingLeaseClient client(/*first_held=*/2, /*last_held=*/LeaseKeeper::kRenewersInFlight);
  LeaseKeeper keeper(&client, Options(), nullptr, nullptr);
  ASSERT_TRUE(keeper.Start().ok());
  EXPECT_TRUE(client.WaitForPatches(LeaseKeeper::kRenewersInFlight + 1));
  // The renewer that is not stuck keeps renewing.
  EXPECT_TRUE(client.WaitForPatches(LeaseKeeper::kRenewersInFlight + 3));
  client.Release();
  keeper.Stop();
}

}  // namespace
}  // namespace vigil::agent
