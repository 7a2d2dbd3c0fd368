#include "base/malloc_trimmer.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

// Resident pages of this process, in bytes.
long ResidentBytes() {
  long size = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

#ifdef __GLIBC__
TEST(MallocTrimmer, ReleaseFreeHeapReturnsFreedPagesBelowLiveObjects) {
  // 64 MiB of small blocks, then one block above them that stays live, so
  // free() alone cannot shrink the heap from its top.
  constexpr size_t kBlock = 4000, kBlocks = 16384;
  std::vector<std::unique_ptr<char[]>> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlock]);
    std::fill_n(blocks.back().get(), kBlock, 'x');
  }
  auto live = std::make_unique<char[]>(kBlock);
  blocks.clear();
  const long before = ResidentBytes();
  ReleaseFreeHeap();
  EXPECT_LT(ResidentBytes(), before - 32L * 1024 * 1024);
  live.reset();
}
#endif

TEST(MallocTrimmer, StopsPromptlyBetweenTrims) {
  const auto start = std::chrono::steady_clock::now();
  { MallocTrimmer trimmer(std::chrono::hours(1)); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace vigil
