// bench_store: measures the RocksDB store on this machine and prints
//   - synced create throughput with 1, 16 and 64 concurrent writers,
//   - synced update throughput with 1, 16 and 64 concurrent writers,
//   - watch fan-out latency (write start -> delivery) with 100 watchers,
//   - resident memory holding 10,000 objects.
// Each throughput figure is the median of 5 runs on a fresh store in a
// temporary directory. Usage: bench_store [--quick]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace vigil::store {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kRuns = 5;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "bench-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Store> OpenOrDie(const std::string& dir,
                                 const RocksDbStoreOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(),
                 store.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(store);
}

// A Component of a realistic size (~400 bytes of JSON).
Json Component(const std::string& name, int64_t sent_ns = 0) {
  return Json{
      {"apiVersion", "vigil.io/v1"},
      {"kind", "Component"},
      {"metadata", {{"name", name}, {"labels", {{"app", "vlc"}}}}},
      {"spec",
       {{"serviceUnit", "vlc-a"},
        {"csTypes", {"stream"}},
        {"recovery", "ComponentFailover"},
        {"exec",
         {{"instantiate", {"/usr/bin/vlc-server", "--port", "$(PORT)"}},
          {"healthCheck", {{"tcp", {{"port", 8554}}}, {"period", "1s"}}}}},
        {"sentNs", sent_ns}}}};
}

void Check(const absl::StatusOr<Json>& result) {
  if (!result.ok()) {
    std::fprintf(stderr, "write failed: %s\n", result.status().ToString().c_str());
    std::exit(1);
  }
}

// Runs `writers` threads, each calling write(thread, i) `per_writer` times;
// returns writes per second.
template <typename WriteFn>
double Throughput(int writers, int per_writer, WriteFn write) {
  std::vector<std::thread> threads;
  Clock::time_point start = Clock::now();
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_writer; ++i) write(t, i);
    });
  }
  for (std::thread& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return writers * per_writer / seconds;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string Name(int thread, int i) {
  return "c-" + std::to_string(thread) + "-" + std::to_string(i);
}

double CreateRun(int writers, int total) {
  ScratchDir dir;
  std::unique_ptr<Store> store = OpenOrDie(dir.path());
  return Throughput(writers, total / writers, [&](int t, int i) {
    Check(store->Create(Component(Name(t, i))));
  });
}

double UpdateRun(int writers, int total) {
  ScratchDir dir;
  RocksDbStoreOptions unsynced;
  unsynced.sync = false;  // only the set-up writes are unsynced
  {
    std::unique_ptr<Store> setup = OpenOrDie(dir.path(), unsynced);
    for (int t = 0; t < writers; ++t) Check(setup->Create(Component(Name(t, 0))));
  }
  std::unique_ptr<Store> store = OpenOrDie(dir.path());
  return Throughput(writers, total / writers, [&](int t, int i) {
    Check(store->Update(Component(Name(t, 0), i + 1)));  // spec changes
  });
}

template <typename RunFn>
void ReportThroughput(const char* what, RunFn run, bool quick) {
  for (int writers : {1, 16, 64}) {
    int total = writers == 1 ? (quick ? 200 : 500) : (quick ? 2048 : 8192);
    std::vector<double> rates;
    for (int r = 0; r < (quick ? 1 : kRuns); ++r) rates.push_back(run(writers, total));
    std::printf("  %-7s %2d writer%s  %8.0f objects/s  (median of %zu runs, "
                "%d writes each)\n",
                what, writers, writers == 1 ? " " : "s", Median(rates),
                rates.size(), total);
    std::fflush(stdout);
  }
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<int64_t>& values, double p) {
  if (values.empty()) return 0;
  size_t index = std::min(values.size() - 1, size_t(p * values.size()));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index] / 1e6;  // ms
}

// One delivery: the event's revision, when its write started, when the
// watcher received it.
struct Delivery {
  int64_t revision;
  int64_t sent_ns;
  int64_t received_ns;
};

// Consumes one watch until `expected` events arrived.
void ConsumeWatch(Watch& watch, int expected, std::vector<Delivery>* deliveries) {
  int seen = 0;
  while (seen < expected) {
    absl::StatusOr<std::vector<Event>> events = watch.Next(1s);
    if (!events.ok()) {
      std::fprintf(stderr, "watch: %s\n", events.status().ToString().c_str());
      std::exit(1);
    }
    int64_t now = NowNs();
    for (const Event& event : *events) {
      if (event.type == Event::Type::kBookmark) continue;
      deliveries->push_back(
          {event.revision, event.object["spec"]["sentNs"].get<int64_t>(), now});
      ++seen;
    }
  }
}

void PrintLatencies(int watchers, double rate,
                    const std::vector<std::vector<Delivery>>& deliveries,
                    const std::vector<std::atomic<int64_t>>& acked_ns) {
  std::vector<int64_t> from_write, from_ack;
  for (const auto& one : deliveries) {
    for (const Delivery& d : one) {
      from_write.push_back(d.received_ns - d.sent_ns);
      // The writer may learn of its acknowledgement after a watcher did.
      from_ack.push_back(std::max<int64_t>(0, d.received_ns - acked_ns[d.revision]));
    }
  }
  std::printf("  %3d watchers, 16 writers at %6.0f writes/s (%zu deliveries):\n"
              "      write start -> delivery  p50 %6.2f ms  p99 %6.2f ms\n"
              "      acknowledged -> delivery p50 %6.2f ms  p99 %6.2f ms\n",
              watchers, rate, from_write.size(), Percentile(from_write, 0.50),
              Percentile(from_write, 0.99), Percentile(from_ack, 0.50),
              Percentile(from_ack, 0.99));
  std::fflush(stdout);
}

// 16 writers at `rate` writes/s in total (0: as fast as they can) while
// `watchers` watches consume every event.
void FanOut(int watchers, int total, double rate) {
  ScratchDir dir;
  std::unique_ptr<Store> store = OpenOrDie(dir.path());
  std::vector<std::vector<Delivery>> deliveries(watchers);
  std::vector<std::thread> consumers;
  for (int w = 0; w < watchers; ++w) {
    std::shared_ptr<Watch> watch = *store->Watch("Component", 0);
    consumers.emplace_back([watch, total, &deliveries, w] {
      ConsumeWatch(*watch, total, &deliveries[w]);
    });
  }
  constexpr int kWriters = 16;
  std::vector<std::atomic<int64_t>> acked_ns(total + 1);
  const std::chrono::nanoseconds interval(
      rate > 0 ? int64_t(1e9 * kWriters / rate) : 0);
  Clock::time_point start = Clock::now();
  double achieved = Throughput(kWriters, total / kWriters, [&](int t, int i) {
    std::this_thread::sleep_until(start + interval * i + interval * t / kWriters);
    absl::StatusOr<Json> created = store->Create(Component(Name(t, i), NowNs()));
    Check(created);
    acked_ns[std::stoll((*created)["metadata"]["resourceVersion"].get<std::string>())] =
        NowNs();
  });
  for (std::thread& consumer : consumers) consumer.join();
  PrintLatencies(watchers, achieved, deliveries, acked_ns);
}

// The publishing cost alone: 16 unthrottled writers with `watchers` watches
// that buffer every event but are read only after the writes.
void PublishCost(int watchers, int total) {
  ScratchDir dir;
  std::unique_ptr<Store> store = OpenOrDie(dir.path());
  std::vector<std::unique_ptr<Watch>> watches;
  for (int w = 0; w < watchers; ++w) watches.push_back(*store->Watch("Component", 0));
  double rate = Throughput(16, total / 16, [&](int t, int i) {
    Check(store->Create(Component(Name(t, i))));
  });
  std::printf("  %3d idle watchers (buffering only), 16 writers: %8.0f writes/s\n",
              watchers, rate);
  std::fflush(stdout);
}

int64_t ResidentMegabytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) / 1024;
  }
  return -1;
}

void ReportMemory() {
  ScratchDir dir;
  RocksDbStoreOptions unsynced;
  unsynced.sync = false;
  int64_t before = ResidentMegabytes();
  std::unique_ptr<Store> store = OpenOrDie(dir.path(), unsynced);
  for (int i = 0; i < 10000; ++i) Check(store->Create(Component(Name(0, i))));
  std::printf("  resident memory: %lld MB before opening, %lld MB holding "
              "10,000 objects\n",
              static_cast<long long>(before),
              static_cast<long long>(ResidentMegabytes()));
}

}  // namespace
}  // namespace vigil::store

int main(int argc, char** argv) {
  using namespace vigil::store;
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  std::printf("command: %s%s\n", argv[0], quick ? " --quick" : "");
  std::printf("synced writes (sync=true, one fsync per group commit):\n");
  ReportThroughput("create", CreateRun, quick);
  ReportThroughput("update", UpdateRun, quick);
  std::printf("watch fan-out (Component watches, every event to every watcher):\n");
  PublishCost(0, quick ? 2048 : 8192);
  PublishCost(100, quick ? 2048 : 8192);
  FanOut(100, quick ? 800 : 3200, 1000);
  FanOut(100, quick ? 800 : 3200, 0);
  ReportMemory();
  return 0;
}
