// bench_watch: watch fan-out latency through the HTTP API.
//
// Starts a RocksDbStore (synced writes) + Registry + ApiServer in-process on a
// free port, opens W HTTP watch streams on ServiceGroups (raw sockets, one
// reader thread each), performs N paced writes over HTTP (HttpClient, 4
// writer threads), and reports the latency from write to delivery over every
// (write, watcher) pair, measured from the start of the write and from its
// acknowledgement. A prober times ordinary GETs meanwhile.
//
//   bench_watch [--smoke] [--writes N] [--watchers W] [--rate WRITES_PER_S]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/http_client.h"
#include "server/api_server.h"
#include "server/registry.h"
#include "store/store.h"

namespace vigil::bench {
namespace {

using Clock = std::chrono::steady_clock;
using api::Json;

struct Options {
  int writes = 2000;
  int watchers = 100;
  double rate = 200;  // writes per second, all writers together
};

constexpr int kWriters = 4;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_watch: %s\n", what.c_str());
  std::exit(1);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--smoke") {
      options.writes = 200;
    } else if (arg == "--writes" && has_value) {
      options.writes = std::atoi(argv[++i]);
    } else if (arg == "--watchers" && has_value) {
      options.watchers = std::atoi(argv[++i]);
    } else if (arg == "--rate" && has_value) {
      options.rate = std::atof(argv[++i]);
    } else {
      Die("usage: bench_watch [--smoke] [--writes N] [--watchers W] [--rate R]");
    }
  }
  if (options.writes <= 0 || options.watchers <= 0 || options.rate <= 0) Die("bad option");
  return options;
}

// Where the received events of one watcher go: revision -> receive time.
class DeliveryLog {
 public:
  explicit DeliveryLog(int expected) : expected_(expected) {}

  // Scans a chunk of the stream for resourceVersions (cheaper than parsing
  // every event, so the watchers do not compete with the server for CPU).
  void OnData(const char* data, size_t size) {
    const int64_t now = NowNs();
    std::lock_guard<std::mutex> lock(mu_);
    partial_.append(data, size);
    size_t newline;
    while ((newline = partial_.find('\n')) != std::string::npos) {
      int64_t revision = RevisionIn(partial_.substr(0, newline));
      if (revision > 0) received_.push_back({revision, now});
      partial_.erase(0, newline + 1);
    }
  }

  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(received_.size()) >= expected_;
  }

  std::vector<std::pair<int64_t, int64_t>> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  static int64_t RevisionIn(const std::string& line) {
    static const std::string kKey = "\"resourceVersion\":\"";
    size_t at = line.rfind(kKey);
    return at == std::string::npos ? 0 : std::atoll(line.c_str() + at + kKey.size());
  }

  const int expected_;
  std::mutex mu_;
  std::string partial_;
  std::vector<std::pair<int64_t, int64_t>> received_;  // (revision, ns)
};

// One HTTP watch stream on a raw socket, read with blocking recv() on its
// own thread: the cheapest possible client, so the watchers take as little
// CPU as possible from the server being measured.
class Watcher {
 public:
  Watcher(int port, int expected) : log_(expected) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Die("cannot connect a watcher");
    }
    const std::string request =
        "GET /apis/vigil.io/v1/servicegroups?watch=true&sendInitialEvents=false "
        "HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";
    if (send(fd_, request.data(), request.size(), MSG_NOSIGNAL) < 0) Die("send failed");
    thread_ = std::thread([this] { Read(); });
  }
  ~Watcher() {
    shutdown(fd_, SHUT_RDWR);  // unblocks recv()
    thread_.join();
    close(fd_);
  }
  bool started() { return started_; }
  DeliveryLog& log() { return log_; }

 private:
  void Read() {
    pthread_setname_np(pthread_self(), "bench-watcher");
    char buffer[16384];
    ssize_t n;
    while ((n = recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
      // The status line and headers arrive first; chunk-size lines carry no
      // resourceVersion and are skipped by the log.
      if (!started_ && std::string_view(buffer, n).find("200 OK") != std::string_view::npos) {
        started_ = true;
      }
      log_.OnData(buffer, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  DeliveryLog log_;
  std::atomic<bool> started_{false};
  std::thread thread_;
};

struct WriteTimes {
  std::vector<std::atomic<int64_t>> start_ns, ack_ns;  // indexed by revision
  explicit WriteTimes(int n) : start_ns(n + 2), ack_ns(n + 2) {}
};

Json Group(int i) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceGroup"},
          {"metadata", {{"name", "sg-" + std::to_string(i)}}},
          {"spec", {{"redundancyModel", "2N"}}}};
}

// kWriters threads create `writes` ServiceGroups over HTTP at `rate` in all.
// Returns the achieved writes per second.
double RunWriters(const std::string& url, const Options& options, WriteTimes& times) {
  const auto interval = std::chrono::nanoseconds(int64_t(1e9 / options.rate));
  const Clock::time_point begin = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      client::HttpClient http({url, "", std::chrono::seconds(10)});
      for (int i = w; i < options.writes; i += kWriters) {
        std::this_thread::sleep_until(begin + interval * i);
        const int64_t start = NowNs();
        absl::StatusOr<Json> created = http.Create(Group(i));
        if (!created.ok()) Die(created.status().ToString());
        const int64_t revision = std::stoll(api::ResourceVersionOf(*created));
        if (revision >= static_cast<int64_t>(times.start_ns.size())) Die("revision out of range");
        times.start_ns[revision] = start;
        times.ack_ns[revision] = NowNs();
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  return options.writes / seconds;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

void Report(const std::string& label, std::vector<double> ms) {
  std::printf("  %-28s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms\n",
              label.c_str(), Percentile(ms, 0.50), Percentile(ms, 0.90),
              Percentile(ms, 0.99), Percentile(ms, 1.0));
}

void ReportDeliveries(std::vector<std::unique_ptr<Watcher>>& watchers,
                      const WriteTimes& times, const Options& options) {
  std::vector<double> from_start, from_ack;
  size_t missing = 0;
  for (auto& watcher : watchers) {
    auto received = watcher->log().received();
    missing += options.writes - std::min<size_t>(options.writes, received.size());
    for (const auto& [revision, ns] : received) {
      if (revision >= static_cast<int64_t>(times.start_ns.size())) continue;
      from_start.push_back((ns - times.start_ns[revision]) / 1e6);
      // A watcher may see the event before the writer sees its response.
      from_ack.push_back(std::max<int64_t>(0, ns - times.ack_ns[revision]) / 1e6);
    }
  }
  std::vector<double> writes;
  for (size_t rv = 0; rv < times.start_ns.size(); ++rv) {
    if (times.ack_ns[rv] > 0) writes.push_back((times.ack_ns[rv] - times.start_ns[rv]) / 1e6);
  }
  std::printf("deliveries: %zu (missing %zu)\n", from_start.size(), missing);
  Report("write (HTTP create, synced)", writes);
  Report("write start -> delivery", from_start);
  Report("acknowledged -> delivery", from_ack);
}

// Times a GET every 10 ms until `stop`, to show watches do not starve it.
std::vector<double> ProbeGets(const std::string& url, const std::atomic<bool>& stop) {
  std::vector<double> ms;
  client::HttpClient http({url, "", std::chrono::seconds(10)});
  while (!stop) {
    const int64_t start = NowNs();
    if (!http.GetPath("/apis/vigil.io/v1").ok()) Die("probe GET failed");
    ms.push_back((NowNs() - start) / 1e6);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ms;
}

std::vector<std::unique_ptr<Watcher>> OpenWatchers(int port, const Options& options) {
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < options.watchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(port, options.writes));
  }
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  for (auto& watcher : watchers) {
    while (!watcher->started()) {
      if (Clock::now() > deadline) Die("watch streams did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return watchers;
}

void WaitForDeliveries(std::vector<std::unique_ptr<Watcher>>& watchers) {
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
  for (auto& watcher : watchers) {
    while (!watcher->log().done() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void Run(const Options& options, const std::string& data_dir) {
  auto store = store::OpenRocksDbStore(data_dir);  // synced writes
  if (!store.ok()) Die(store.status().ToString());
  server::Registry registry(std::shared_ptr<store::Store>(std::move(*store)));
  registry.SetAuditSink([](const std::string&) {});  // not what is measured
  server::ApiServer server(&registry, {"127.0.0.1", 0});
  absl::StatusOr<int> port = server.Start();
  if (!port.ok()) Die(port.status().ToString());
  const std::string url = "http://127.0.0.1:" + std::to_string(*port);

  auto watchers = OpenWatchers(*port, options);
  WriteTimes times(options.writes);
  std::atomic<bool> stop_probe{false};
  std::vector<double> probe_ms;
  std::thread prober([&] { probe_ms = ProbeGets(url, stop_probe); });
  const double achieved = RunWriters(url, options, times);
  WaitForDeliveries(watchers);
  stop_probe = true;
  prober.join();

  std::printf("%d watchers, %d writes over HTTP by %d writers at %.0f writes/s "
              "(target %.0f), synced store\n",
              options.watchers, options.writes, kWriters, achieved, options.rate);
  ReportDeliveries(watchers, times, options);
  Report("GET during the run", probe_ms);
  watchers.clear();
  server.Stop();
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) {
  using namespace vigil::bench;
  const Options options = ParseOptions(argc, argv);
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  std::printf("command: %s\n", command.c_str());
  char pattern[] = "/tmp/vigil-bench-watch-XXXXXX";
  if (mkdtemp(pattern) == nullptr) Die("cannot create a temp dir");
  Run(options, std::string(pattern) + "/store");
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  return 0;
}
