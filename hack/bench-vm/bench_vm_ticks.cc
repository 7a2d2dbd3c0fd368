// TickProbe: see bench_vm_ticks.h.
#include "hack/bench-vm/bench_vm_ticks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vigil::bench {
namespace {

constexpr char kBootByte = 'B';
constexpr int kReceiveBuffer = 1 << 20;  // holds seconds of ticks should the thread lag

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A non-blocking UDP socket on 127.0.0.1 that stamps what it receives;
// returns it and its port.
absl::StatusOr<std::pair<int, int>> BindLoopback() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  const int on = 1;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof(kReceiveBuffer)) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status error = Errno("tick probe socket");
    close(fd);
    return error;
  }
  return std::make_pair(fd, static_cast<int>(ntohs(address.sin_port)));
}

// The kernel's receive stamp of a datagram read by recvmsg; now if absent.
absl::Time ReceivedAt(msghdr& message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec stamp;
      std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
      return absl::TimeFromTimespec(stamp);
    }
  }
  return absl::Now();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TickProbe>> TickProbe::Open(
    const std::vector<std::string>& domains) {
  std::vector<Channel> channels;
  for (const std::string& domain : domains) {
    absl::StatusOr<std::pair<int, int>> bound = BindLoopback();
    if (!bound.ok()) {
      for (const Channel& c : channels) close(c.fd);
      return bound.status();
    }
    channels.push_back({bound->first, bound->second, domain});
  }
  return std::unique_ptr<TickProbe>(new TickProbe(std::move(channels)));
}

TickProbe::TickProbe(std::vector<Channel> channels)
    : channels_(std::move(channels)), thread_([this] { Receive(); }) {}

TickProbe::~TickProbe() {
  stop_ = true;
  thread_.join();
  for (const Channel& c : channels_) close(c.fd);
}

int TickProbe::Port(const std::string& domain) const {
  for (const Channel& c : channels_) {
    if (c.domain == domain) return c.port;
  }
  return 0;
}

void TickProbe::Receive() {
  std::vector<pollfd> fds;
  for (const Channel& c : channels_) fds.push_back({c.fd, POLLIN, 0});
  while (!stop_) {
    // A bounded wait, so the destructor's stop is seen soon.
    if (poll(fds.data(), fds.size(), /*timeout_ms=*/50) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) Drain(channels_[i]);
    }
  }
}

// Reads every datagram waiting on `channel` and records them at once.
void TickProbe::Drain(const Channel& channel) {
  std::vector<absl::Time> started;
  std::optional<absl::Time> last;
  while (true) {
    char byte = 0;
    iovec data = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr message = {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    if (recvmsg(channel.fd, &message, 0) < 1) break;  // EAGAIN: all read
    last = ReceivedAt(message);
    if (byte == kBootByte) started.push_back(*last);
  }
  if (!last) return;
  std::lock_guard<std::mutex> lock(mu_);
  Heard& heard = heard_[channel.domain];
  heard.started.insert(heard.started.end(), started.begin(), started.end());
  heard.last = last;
  cv_.notify_all();
}

std::optional<absl::Time> TickProbe::WaitStarted(const std::string& domain, absl::Time after,
                                                 absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<absl::Time> found;
  auto arrived = [&] {
    for (absl::Time t : heard_[domain].started) {
      if (t >= after) {
        found = t;
        return true;
      }
    }
    return false;
  };
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), arrived);
  return found;
}

std::optional<absl::Time> TickProbe::LastHeard(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  return heard_[domain].last;
}

}  // namespace vigil::bench
