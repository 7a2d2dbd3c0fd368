// The Store conformance suite: every clause of the store/store.h contract as
// a parameterized test, written once and instantiated for each Store
// implementation:
//
//   INSTANTIATE_TEST_SUITE_P(MyStore, StoreConformanceTest,
//                            ::testing::Values(StoreImplementation{...}),
//                            StoreImplementationName);
//
// Tests that reopen a store are skipped for implementations that are not
// persistent.
#ifndef VIGIL_TESTS_STORE_STORE_CONFORMANCE_H_
#define VIGIL_TESTS_STORE_STORE_CONFORMANCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace vigil::store::testing {

// The options a conformance test may need to vary.
struct ConformanceOptions {
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(10)};
  int64_t retained_revisions = 0;  // 0: no automatic compaction
  size_t watch_buffer_events = 100000;
};

// Opens (creating if needed) a store kept in directory `dir`.
using StoreOpener = std::function<absl::StatusOr<std::unique_ptr<Store>>(
    const std::string& dir, const ConformanceOptions& options)>;

struct StoreImplementation {
  std::string name;  // a test-name suffix: letters and digits only
  StoreOpener open;
  bool persistent = true;  // reopening `dir` restores the state
};

// Prints the implementation's name in test failure messages.
void PrintTo(const StoreImplementation& implementation, std::ostream* os);

std::string StoreImplementationName(
    const ::testing::TestParamInfo<StoreImplementation>& info);

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class StoreConformanceTest
    : public ::testing::TestWithParam<StoreImplementation> {
 protected:
  // Opens the store with default options.
  void SetUp() override;
  void TearDown() override { store_.reset(); }

  // The store under test. REQUIRES: it is open (SetUp did not fail).
  Store& store() { return *store_; }
  // Closes the store and reopens it in the same directory with `options`.
  // Fails the test (fatally) if it cannot be opened.
  void Open(const ConformanceOptions& options);
  // Closes and reopens the store in the same directory with the same options.
  void Reopen();

  TempDir dir_;
  ConformanceOptions options_;
  std::unique_ptr<Store> store_;
};

// {"apiVersion": "vigil.io/v1", "kind": kind, "metadata": {"name": name},
//  "spec": spec}.
Json MakeObject(const std::string& kind, const std::string& name,
                Json spec = Json::object());

// metadata.resourceVersion as a number; -1 if absent or malformed.
int64_t RevisionOf(const Json& obj);

// Calls Next until `count` non-bookmark events arrived or `timeout` passed.
std::vector<Event> CollectEvents(Watch& watch, size_t count,
                                 std::chrono::milliseconds timeout =
                                     std::chrono::seconds(10));

// The revisions of `events`, in order.
std::vector<int64_t> RevisionsOf(const std::vector<Event>& events);

}  // namespace vigil::store::testing

#endif  // VIGIL_TESTS_STORE_STORE_CONFORMANCE_H_
