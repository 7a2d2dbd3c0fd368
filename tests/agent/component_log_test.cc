// Reading component logs: tail, since, limit, truncation, absent files, and
// the lookup of where a component runs.
#include "agent/component_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace vigil::agent {
namespace {

class ComponentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-log-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = ComponentLogPath(dir_, "web-a-server");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  std::string Read(const LogQuery& query) {
    absl::StatusOr<LogChunk> chunk = ReadLog(path_, query);
    EXPECT_TRUE(chunk.ok()) << chunk.status();
    return chunk.ok() ? chunk->text : "<error>";
  }

  std::string dir_, path_;
};

TEST_F(ComponentLogTest, ReadsAllOrTheLastLines) {
  Write("one\ntwo\nthree\n");
  EXPECT_EQ(path_, dir_ + "/web-a-server.log");
  EXPECT_EQ(Read({}), "one\ntwo\nthree\n");
  EXPECT_EQ(Read({.tail_lines = 2}), "two\nthree\n");
  EXPECT_EQ(Read({.tail_lines = 0}), "");
  EXPECT_EQ(Read({.tail_lines = 10}), "one\ntwo\nthree\n");
  Write("one\ntwo\npartial");
  EXPECT_EQ(Read({.tail_lines = 1}), "partial");
}

TEST_F(ComponentLogTest, FollowsFromTheSizeSeenLastAndRestartsAfterTruncation) {
  Write("first\n");
  absl::StatusOr<LogChunk> chunk = ReadLog(path_, {});
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->size, 6);
  std::ofstream(path_, std::ios::app) << "second\n";
  EXPECT_EQ(Read({.since_byte = chunk->size}), "second\n");
  Write("new\n");  // truncated and rewritten: shorter than what was seen
  EXPECT_EQ(Read({.since_byte = 13}), "new\n");
}

TEST_F(ComponentLogTest, KeepsTheNewestBytesWithinTheLimit) {
  Write("0123456789");
  EXPECT_EQ(Read({.limit_bytes = 4}), "6789");
}

TEST_F(ComponentLogTest, AbsentLogIsEmpty) {
  absl::StatusOr<LogChunk> chunk = ReadLog(dir_ + "/never-ran.log", {});
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->text, "");
  EXPECT_EQ(chunk->size, 0);
}

}  // namespace
}  // namespace vigil::agent
