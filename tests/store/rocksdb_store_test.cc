// RocksDbStore: the conformance suite, plus what only a disk-backed store
// promises: the data-dir lock, durability of acknowledged writes across
// kill -9, and a bounded memory footprint.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include <gmock/gmock.h>

#include "rocksdb/db.h"
#include "store/keys.h"
#include "store/store.h"
#include "tests/store/store_conformance.h"

extern char** environ;

namespace vigil::store::testing {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::unique_ptr<Store>> OpenForConformance(
    const std::string& dir, const ConformanceOptions& conformance) {
  RocksDbStoreOptions options;
  options.bookmark_interval = conformance.bookmark_interval;
  options.retained_revisions = conformance.retained_revisions;
  options.watch_buffer_events = conformance.watch_buffer_events;
  return OpenRocksDbStore(dir, options);
}

INSTANTIATE_TEST_SUITE_P(
    RocksDb, StoreConformanceTest,
    ::testing::Values(StoreImplementation{"RocksDbStore", OpenForConformance,
                                          /*persistent=*/true}),
    StoreImplementationName);

// ---------------------------------------------------------------------------
// Child processes. The test binary re-executes itself running only
// RocksDbStoreChild.Run, which acts out the role named in the environment.

constexpr char kRoleEnv[] = "VIGIL_STORE_CHILD_ROLE";
constexpr char kDirEnv[] = "VIGIL_STORE_CHILD_DIR";
constexpr char kFdEnv[] = "VIGIL_STORE_CHILD_FD";

void WriteLine(int fd, const std::string& line) {
  std::string text = line + "\n";  // < PIPE_BUF: one atomic write
  ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
}

// Creates objects from 8 threads forever, reporting "<name> <revision>" for
// each acknowledged create.
void ActAsWriter(Store& store, int fd) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&store, fd, t] {
      for (int i = 0;; ++i) {
        std::string name = "w" + std::to_string(t) + "-" + std::to_string(i);
        absl::StatusOr<Json> created = store.Create(MakeObject("Node", name));
        if (!created.ok()) _exit(3);
        WriteLine(fd, name + " " + std::to_string(RevisionOf(*created)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

TEST(RocksDbStoreChild, Run) {
  const char* role = std::getenv(kRoleEnv);
  if (role == nullptr) GTEST_SKIP() << "runs only as a child of another test";
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent test
  int fd = std::atoi(std::getenv(kFdEnv));
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenRocksDbStore(std::getenv(kDirEnv));
  if (!store.ok()) _exit(2);
  if (std::string(role) == "writer") ActAsWriter(**store, fd);
  WriteLine(fd, "ready");  // role "holder": keep the lock until killed
  for (;;) pause();
}

// A child process acting out `role` on `dir`; reports lines through a pipe.
class Child {
 public:
  Child(const std::string& role, const std::string& dir) {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    fcntl(fds[1], F_SETFD, 0);  // the child inherits the write end
    std::vector<std::string> env_storage = {
        std::string(kRoleEnv) + "=" + role, std::string(kDirEnv) + "=" + dir,
        std::string(kFdEnv) + "=" + std::to_string(fds[1])};
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
    for (std::string& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
    std::string filter = "--gtest_filter=RocksDbStoreChild.Run";
    char* argv[] = {const_cast<char*>("/proc/self/exe"), filter.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv,
                          env.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    lines_ = fdopen(fds[0], "r");
  }
  ~Child() {
    Kill();
    fclose(lines_);
  }

  // The next reported line; "" at end of stream (the child is gone).
  std::string ReadLine() {
    char* line = nullptr;
    size_t capacity = 0;
    ssize_t length = getline(&line, &capacity, lines_);
    std::string text = length > 0 ? std::string(line, length - 1) : "";
    free(line);
    return text;
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
  FILE* lines_ = nullptr;
};

TEST(RocksDbStore, AcknowledgedWritesSurviveKill9) {
  TempDir dir;
  Child child("writer", dir.path());
  std::map<std::string, int64_t> acknowledged;
  auto record = [&](const std::string& line) {
    size_t space = line.find(' ');
    acknowledged[line.substr(0, space)] = std::stoll(line.substr(space + 1));
  };
  while (acknowledged.size() < 500) {
    std::string line = child.ReadLine();
    ASSERT_FALSE(line.empty()) << "the writer died early";
    record(line);
  }
  child.Kill();  // mid-stream: writes are in flight
  for (std::string line = child.ReadLine(); !line.empty(); line = child.ReadLine()) {
    record(line);  // acknowledged before the kill, read after it
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t highest = 0;
  for (const auto& [name, revision] : acknowledged) {
    absl::StatusOr<Json> obj = (*store)->Get("Node", name);
    ASSERT_TRUE(obj.ok()) << name << " was acknowledged at " << revision;
    EXPECT_EQ(RevisionOf(*obj), revision) << name;
    highest = std::max(highest, revision);
  }
  EXPECT_GE((*store)->CurrentRevision(), highest);
  // The log is intact too: a watch from 0 replays every create.
  EXPECT_EQ((*store)->List("Node", highest)->items.size(),
            static_cast<size_t>(highest));
}

TEST(RocksDbStore, DataDirHeldByAnotherProcessIsFailedPrecondition) {
  TempDir dir;
  {
    Child holder("holder", dir.path());
    ASSERT_EQ(holder.ReadLine(), "ready");
    absl::StatusOr<std::unique_ptr<Store>> second = OpenRocksDbStore(dir.path());
    EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(second.status().message()),
                HasSubstr("data dir " + dir.path() +
                          " is in use by another vigild (RocksDB lock held)"));
  }
  EXPECT_TRUE(OpenRocksDbStore(dir.path()).ok()) << "lock released with the holder";
}

TEST(RocksDbStore, DataDirOpenTwiceInOneProcessIsFailedPrecondition) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> first = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<Store>> second = OpenRocksDbStore(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(dir.path()));
}

TEST(RocksDbStore, OpenCreatesMissingDirectories) {
  TempDir dir;
  std::string nested = dir.path() + "/a/b/data";
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(nested);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CurrentRevision(), 0);
}

// The revisions of the records in the event log of the database in `dir`.
std::vector<int64_t> LoggedRevisions(const std::string& dir) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, &raw);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<int64_t> revisions;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("e/"); it->Valid() && it->key().starts_with("e/"); it->Next()) {
    revisions.push_back(keys::ParseEventKey(it->key().ToStringView()).value_or(-1));
  }
  return revisions;
}

TEST(RocksDbStore, CompactionRemovesLogRecordsFromDisk) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(dir.path());
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*store)->Create(MakeObject("Node", "n" + std::to_string(i))).ok());
    }
    ASSERT_TRUE((*store)->Compact(6).ok());
  }
  EXPECT_THAT(LoggedRevisions(dir.path()), ::testing::ElementsAre(7, 8, 9, 10));
}

int64_t ResidentKilobytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

TEST(RocksDbStore, TenThousandObjectsStayWellUnder100MegabytesResident) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.sync = false;  // this test is about memory, not durability
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(dir.path(), options);
  ASSERT_TRUE(store.ok());
  int64_t before = ResidentKilobytes();
  Json spec = {{"serviceUnit", "su-a"}, {"csTypes", {"stream"}},
               {"exec", {{"instantiate", {"/usr/bin/server", "--port", "8554"}}}},
               {"padding", std::string(400, 'x')}};
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE((*store)->Create(MakeObject("Component", "c" + std::to_string(i), spec)).ok());
  }
  int64_t growth_mb = (ResidentKilobytes() - before) / 1024;
  EXPECT_LT(growth_mb, 60) << "resident memory grew by " << growth_mb << " MB";
  EXPECT_EQ((*store)->List("Component")->items.size(), 10000u);
}

}  // namespace
}  // namespace vigil::store::testing
