// Helpers for end-to-end failover tests that prove ordering, not just the
// end state:
//
//  - ExitWatch: the wall-clock moment a process exits, seen through a pidfd
//    (the kernel wakes the watcher when the process dies, so the time is
//    exact to a scheduling delay);
//  - StartStamps: the moments a component's process started, which the
//    component itself appends to a file (`StampingCommand`);
//  - History: every version of an object since revision 1, replayed from the
//    store's event log (a watch from revision 1);
//  - ParseTime: Vigil's RFC 3339 times (millisecond precision, truncated).
//
// Thread safety: an ExitWatch may be read from any thread; the rest are
// plain functions.
#ifndef VIGIL_TESTS_E2E_FAILOVER_CHECKS_H_
#define VIGIL_TESTS_E2E_FAILOVER_CHECKS_H_

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/object.h"
#include "client/http_client.h"

namespace vigil::e2e {

using Wall = std::chrono::system_clock;

// Milliseconds from `from` to `to` (negative if `to` is earlier).
inline double MsBetween(Wall::time_point from, Wall::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A time as Vigil writes it ("2026-12-06T03:00:00.123Z"); nullopt if empty
// or malformed.
inline std::optional<Wall::time_point> ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return absl::ToChronoTime(time);
}

class ExitWatch {
 public:
  // Watches `pid` (which must be running) until it exits or the watch is
  // destroyed. Errors: NotFound if the process is already gone, Internal if
  // pidfd_open fails otherwise.
  static absl::StatusOr<std::unique_ptr<ExitWatch>> Start(pid_t pid) {
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
      const std::string why = "pidfd_open(" + std::to_string(pid) + "): " + std::strerror(errno);
      return errno == ESRCH ? absl::NotFoundError(why) : absl::InternalError(why);
    }
    return std::unique_ptr<ExitWatch>(new ExitWatch(fd));
  }
  ~ExitWatch() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }

  // When the process exited, or nullopt while it runs.
  std::optional<Wall::time_point> exited_at() const {
    const int64_t at = exited_at_.load();
    if (at == 0) return std::nullopt;
    return Wall::time_point(Wall::duration(at));
  }

 private:
  explicit ExitWatch(int fd) : fd_(fd), thread_([this] { Watch(); }) {}

  void Watch() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) == 1) {
        exited_at_ = Wall::now().time_since_epoch().count();
        return;
      }
    }
  }

  const int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> exited_at_{0};
  std::thread thread_;
};

// An exec component's argv that appends its start time (ns since the epoch)
// to `stamps_dir`/$VIGIL_COMPONENT, then becomes `sleep 600` (same PID).
inline std::vector<std::string> StampingCommand(const std::filesystem::path& stamps_dir) {
  return {"/bin/sh", "-c",
          "date +%s%N >> '" + stamps_dir.string() + "'/\"$VIGIL_COMPONENT\"; exec sleep 600"};
}

// The start times `component` stamped (see StampingCommand), oldest first.
inline std::vector<Wall::time_point> StartStamps(const std::filesystem::path& stamps_dir,
                                                 const std::string& component) {
  std::vector<Wall::time_point> stamps;
  std::ifstream in(stamps_dir / component);
  for (int64_t ns = 0; in >> ns;) {
    stamps.push_back(Wall::time_point(std::chrono::duration_cast<Wall::duration>(
        std::chrono::nanoseconds(ns))));
  }
  return stamps;
}

// The PID the node agent recorded for `component` in its adoption file
// (`data_dir`/agent/`node`.json, agent/adoption_store.h), or 0.
inline int64_t RecordedPid(const std::filesystem::path& data_dir, const std::string& node,
                           const std::string& component) {
  std::ifstream in(data_dir / "agent" / (node + ".json"));
  const api::Json records = api::Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!records.is_object() || !records.contains("components")) return 0;
  const api::Json& components = records["components"];
  if (!components.is_object() || !components.contains(component)) return 0;
  return components[component].value("pid", int64_t{0});
}

// Every stored version of `kind`/`name` from revision 1 to now, oldest
// first, replayed from the store's event log; empty if it cannot be read.
inline std::vector<api::Json> History(client::HttpClient& http, const std::string& kind,
                                      const std::string& name) {
  std::vector<api::Json> versions;
  absl::StatusOr<client::ObjectList> now = http.List(kind);
  if (!now.ok()) return versions;
  client::ListOptions from;
  from.resource_version = 1;
  absl::StatusOr<std::unique_ptr<client::WatchStream>> watch = http.Watch(kind, from);
  if (!watch.ok()) return versions;
  for (;;) {
    auto event = (*watch)->Next(std::chrono::milliseconds(2000));
    if (!event.ok() || !event->has_value()) break;
    const api::Json& obj = (*event)->object;
    if (obj["metadata"].value("name", "") == name) versions.push_back(obj);
    if (std::stoll(api::ResourceVersionOf(obj)) >= now->resource_version) break;
  }
  (*watch)->Cancel();
  return versions;
}

// The assignment of `unit` in `ha_state` in an SI version, or null.
inline api::Json AssignmentOf(const api::Json& si, const std::string& unit,
                              const std::string& ha_state) {
  for (const api::Json& a :
       si.value("status", api::Json::object()).value("assignments", api::Json::array())) {
    if (a.value("unit", "") == unit && a.value("haState", "") == ha_state) return a;
  }
  return nullptr;
}

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_FAILOVER_CHECKS_H_
