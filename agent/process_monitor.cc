#include "agent/process_monitor.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace vigil::agent {
namespace {
constexpr ProcessMonitor::WatchId kWakeId = 0;
}  // namespace

ProcessMonitor::~ProcessMonitor() { Stop(); }

absl::Status ProcessMonitor::Start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("epoll/eventfd: ", strerror(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void ProcessMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) return;
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  std::lock_guard lock(mu_);
  entries_.clear();
  close(epoll_fd_);
  close(wake_fd_);
}

absl::StatusOr<ProcessMonitor::WatchId> ProcessMonitor::Watch(std::shared_ptr<Process> process,
                                                              ExitCallback on_exit) {
  std::lock_guard lock(mu_);
  const WatchId id = next_id_++;
  epoll_event event{};
  // One-shot: a pidfd stays readable after the exit; one wake-up is enough.
  event.events = EPOLLIN | EPOLLONESHOT;
  event.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, process->pidfd(), &event) != 0) {
    return absl::InternalError(
        absl::StrCat("epoll_ctl(pidfd of ", process->pid(), "): ", strerror(errno)));
  }
  entries_.emplace(id, Entry{std::move(process), std::move(on_exit)});
  return id;
}

void ProcessMonitor::Unwatch(WatchId id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.process->pidfd(), nullptr);
  entries_.erase(it);
}

size_t ProcessMonitor::Size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void ProcessMonitor::Run() {
  epoll_event events[32];
  for (;;) {
    int count = epoll_wait(epoll_fd_, events, 32, -1);
    if (count < 0 && errno != EINTR) return;
    for (int i = 0; i < count; ++i) {
      if (events[i].data.u64 == kWakeId) return;
      HandleReady(events[i].data.u64);
    }
  }
}

void ProcessMonitor::HandleReady(WatchId id) {
  Entry entry;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || stopping_) return;
    entry = std::move(it->second);
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, entry.process->pidfd(), nullptr);
    entries_.erase(it);
  }
  std::optional<ExitInfo> exit = entry.process->TryReap();
  entry.on_exit(exit.value_or(ExitInfo{}));
}

}  // namespace vigil::agent
