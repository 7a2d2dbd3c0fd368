#include "hack/bench-failover/measure.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>

#include "absl/time/time.h"
#include "api/assignments.h"

namespace vigil::bench {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// Polls `done` every `poll` until it is true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
             std::chrono::microseconds poll = std::chrono::milliseconds(2)) {
  const Steady::time_point deadline = Steady::now() + timeout;
  while (!done()) {
    if (Steady::now() > deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), '?' if gone.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

// An RFC 3339 time as written by Vigil; nullopt if empty or malformed.
std::optional<Wall::time_point> ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return absl::ToChronoTime(time);
}

client::HttpClientOptions Options(const std::string& url) {
  client::HttpClientOptions options;
  options.server = url;
  return options;
}

double MsBetween(Wall::time_point from, Wall::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double Quantile(const std::vector<double>& sorted, double q) {
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
}

}  // namespace

api::Json SamplesJson(const Samples& s) {
  return api::Json{{"reaction", s.reaction},
                   {"recovery", s.recovery},
                   {"outage", s.outage_vigil},
                   {"outage_probe", s.outage_probe},
                   {"repair", s.repair},
                   {"invalid", s.invalid}};
}

bool WriteJsonFile(const std::string& path, const api::Json& json) {
  std::ofstream out(path, std::ios::trunc);
  out << json.dump(2) << "\n";
  out.close();
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    return false;
  }
  return true;
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t length = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Connects(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in addr = Loopback(port);
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return Quantile(v, 0.5);
}

std::vector<double> Differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) out.push_back(a[i] - b[i]);
  return out;
}

void PrintHeader() {
  std::printf("  %-54s %8s %8s %8s %8s  (ms)\n", "", "min", "median", "p95", "max");
}

void PrintRow(const std::string& label, std::vector<double> v) {
  if (v.empty()) {
    std::printf("  %-54s %8s\n", label.c_str(), "n/a");
    return;
  }
  std::sort(v.begin(), v.end());
  std::printf("  %-54s %8.2f %8.2f %8.2f %8.2f\n", label.c_str(), v.front(), Quantile(v, 0.5),
              Quantile(v, 0.95), v.back());
}

Prober::Prober(int port, std::chrono::microseconds interval)
    : port_(port), interval_(interval), thread_([this] { Run(); }) {}

Prober::~Prober() {
  stop_ = true;
  thread_.join();
}

void Prober::Arm() {
  served_at_ = 0;
  seen_down_ = false;
  armed_ = true;
}

std::optional<Steady::time_point> Prober::ServedAt() const {
  const int64_t at = served_at_.load();
  if (at == 0) return std::nullopt;
  return Steady::time_point(Steady::duration(at));
}

void Prober::Run() {
  while (!stop_) {
    if (!armed_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    const Steady::time_point attempt = Steady::now();
    const bool up = Connects(port_);
    if (up && seen_down_) {
      served_at_ = attempt.time_since_epoch().count();
      armed_ = false;
      continue;
    }
    if (!up) seen_down_ = true;
    std::this_thread::sleep_until(attempt + interval_);
  }
}

Cluster::Cluster(const std::string& url) : http_(Options(url)) {}

bool Cluster::Create(const api::Json& object) {
  auto created = http_.Create(object);
  if (!created.ok()) {
    std::cerr << "bench_failover: creating " << object["kind"] << "/"
              << object["metadata"]["name"] << ": " << created.status() << "\n";
  }
  return created.ok();
}

std::string Cluster::ConfirmedUnit(const std::string& si, const std::string& ha_state) {
  auto object = http_.Get("ServiceInstance", si);
  return object.ok() ? api::ConfirmedUnitOf(*object, ha_state) : "";
}

std::string Cluster::StatusField(const std::string& kind, const std::string& name,
                                 const std::vector<std::string>& path) {
  auto object = http_.Get(kind, name);
  if (!object.ok()) return "";
  const api::Json* at = &(*object)["status"];
  for (const std::string& key : path) {
    if (!at->is_object() || !at->contains(key)) return "";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : at->dump();
}

std::string Cluster::AssignedSince(const std::string& si) {
  auto object = http_.Get("ServiceInstance", si);
  if (!object.ok()) return "";
  for (const api::Json& c : object->value("status", api::Json::object())
                                .value("conditions", api::Json::array())) {
    if (c.value("type", "") == "Assigned" && c.value("status", "") == "True") {
      return c.value("lastTransitionTime", "");
    }
  }
  return "";
}

std::optional<Cluster::Pair> Cluster::WaitSteady(const FailoverService& service) {
  Pair pair;
  const bool steady = WaitFor(
      [&] {
        pair.active = ConfirmedUnit(service.instance(), "Active");
        pair.standby = ConfirmedUnit(service.instance(), "Standby");
        return !pair.active.empty() && !pair.standby.empty() && Connects(service.port);
      },
      std::chrono::seconds(60), std::chrono::milliseconds(10));
  if (!steady) return std::nullopt;
  return pair;
}

bool Cluster::KillOnce(const FailoverService& service, const Pair& pair, Prober& prober,
                       Samples& samples) {
  const std::string component = FailoverService::ComponentOf(pair.active);
  const pid_t pid = std::atoi(StatusField("Component", component, {"pid"}).c_str());
  if (pid <= 0) {
    std::cerr << "  no pid in the status of " << component << "\n";
    return false;
  }
  const Wall::time_point killed_wall = Wall::now();
  const Steady::time_point killed = Steady::now();
  kill(pid, SIGKILL);
  prober.Arm();
  // The API is polled only once the service answers again, so that the
  // benchmark's own requests do not compete with the failover for the CPU.
  const bool served = WaitFor([&] { return prober.ServedAt().has_value(); },
                              std::chrono::seconds(10), std::chrono::milliseconds(1));
  const bool recovered = WaitFor(
      [&] { return ConfirmedUnit(service.instance(), "Active") == pair.standby; },
      std::chrono::seconds(30));
  const bool repaired = WaitFor(
      [&] { return ConfirmedUnit(service.instance(), "Standby") == pair.active; },
      std::chrono::seconds(60), std::chrono::milliseconds(5));
  if (!recovered || !served || !repaired) {
    std::cerr << "  kill of " << component << ": timed out (recovered " << recovered
              << ", served " << served << ", repaired " << repaired << ")\n";
    return false;
  }
  auto detected = ParseTime(StatusField("Component", component, {"lastFailure", "time"}));
  auto active_since = ParseTime(AssignedSince(service.instance()));
  auto in_service = ParseTime(StatusField("ServiceUnit", pair.active, {"inServiceSince"}));
  const auto slack = std::chrono::milliseconds(1);  // Vigil's times are truncated to ms
  if (!detected || !active_since || !in_service || *detected + slack < killed_wall ||
      *active_since < *detected || *in_service < *detected) {
    std::cerr << "  kill of " << component << ": inconsistent timestamps (failure "
              << StatusField("Component", component, {"lastFailure", "time"}) << ", assigned "
              << AssignedSince(service.instance()) << ")\n";
    return false;
  }
  samples.reaction.push_back(std::max(0.0, MsBetween(killed_wall, *detected)));
  samples.recovery.push_back(MsBetween(*detected, *active_since));
  samples.outage_vigil.push_back(std::max(0.0, MsBetween(killed_wall, *active_since)));
  samples.outage_probe.push_back(Ms(*prober.ServedAt() - killed));
  samples.repair.push_back(MsBetween(*detected, *in_service));
  return true;
}

bool Cluster::Remove(const FailoverService& service, const std::vector<api::Json>& objects) {
  std::vector<pid_t> pids;
  for (char which : {'a', 'b'}) {
    const std::string component = FailoverService::ComponentOf(service.unit(which));
    const pid_t pid = std::atoi(StatusField("Component", component, {"pid"}).c_str());
    if (pid > 0) pids.push_back(pid);
  }
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) {
    (void)http_.Delete((*it)["kind"], (*it)["metadata"]["name"]);
  }
  return WaitFor(
      [&] {
        return std::all_of(pids.begin(), pids.end(),
                           [](pid_t pid) { return ProcessState(pid) == '?'; });
      },
      std::chrono::seconds(30), std::chrono::milliseconds(20));
}

Samples Cluster::KillActiveRepeatedly(const FailoverService& service, int runs,
                                      std::chrono::microseconds probe) {
  Samples samples;
  Prober prober(service.port, probe);
  for (int i = 0; i < runs; ++i) {
    std::optional<Pair> pair = WaitSteady(service);
    if (!pair) {
      std::cerr << "  " << service.kind << ": no confirmed active and standby after 60 s\n";
      samples.invalid += runs - i;
      break;
    }
    if (!KillOnce(service, *pair, prober, samples)) ++samples.invalid;
  }
  return samples;
}

}  // namespace vigil::bench
