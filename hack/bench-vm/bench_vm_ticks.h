// TickProbe: the VM benchmark's external client. Every domain of the
// benchmark boots the tick guest (guest/tick_guest.s), which writes 'B' to
// its serial port once it runs and '.' every millisecond after; qemu sends
// each byte as a UDP datagram to 127.0.0.1 (GuestDomainXml), one port of
// this probe per domain. Like a client of the VM's service, the probe knows
// nothing of Vigil or libvirt: it only sees when a guest serves. Datagrams
// are stamped with the kernel's receive time (SO_TIMESTAMPNS), so how soon
// the receiving thread reads them does not move the figures.
//
// Thread safety: thread-safe; one internal thread receives.
#ifndef VIGIL_HACK_BENCH_VM_BENCH_VM_TICKS_H_
#define VIGIL_HACK_BENCH_VM_BENCH_VM_TICKS_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::bench {

class TickProbe {
 public:
  // Binds one UDP socket on 127.0.0.1 (an ephemeral port) per domain name
  // and starts receiving. Internal if a socket cannot be set up.
  static absl::StatusOr<std::unique_ptr<TickProbe>> Open(
      const std::vector<std::string>& domains);
  // Stops the receiving thread and closes the sockets.
  ~TickProbe();

  // The port `domain`'s guest sends to. REQUIRES: `domain` was given to Open.
  int Port(const std::string& domain) const;

  // When the first boot byte ('B') of `domain` that arrived at or after
  // `after` arrived: the moment a guest started at or after `after` served.
  // Waits up to `timeout`; nullopt if none came.
  std::optional<absl::Time> WaitStarted(const std::string& domain, absl::Time after,
                                        absl::Duration timeout);

  // When the latest byte of `domain` arrived; nullopt if none ever did.
  std::optional<absl::Time> LastHeard(const std::string& domain);

 private:
  struct Channel {
    int fd = -1;
    int port = 0;
    std::string domain;
  };
  struct Heard {
    std::vector<absl::Time> started;  // arrivals of 'B'
    std::optional<absl::Time> last;   // arrival of the latest byte
  };

  explicit TickProbe(std::vector<Channel> channels);
  void Receive();
  void Drain(const Channel& channel);

  const std::vector<Channel> channels_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Heard> heard_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace vigil::bench

#endif  // VIGIL_HACK_BENCH_VM_BENCH_VM_TICKS_H_
