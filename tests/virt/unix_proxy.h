// UnixProxy: forwards connections from a Unix socket of its own to an
// upstream Unix socket, and can cut every forwarded connection at once --
// how tests make a libvirt connection drop without touching libvirtd.
//
// Thread safety: DropAll and the destructor may run while connections are
// being forwarded on the proxy's own threads.
#ifndef VIGIL_TESTS_VIRT_UNIX_PROXY_H_
#define VIGIL_TESTS_VIRT_UNIX_PROXY_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::virt {

class UnixProxy {
 public:
  // Listens on `path` and forwards to `upstream`. ok() says if it listens.
  UnixProxy(std::string path, std::string upstream)
      : path_(std::move(path)), upstream_(std::move(upstream)) {
    listener_ = Bind(path_);
    if (listener_ >= 0) acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~UnixProxy() {
    stopping_ = true;
    DropAll();
    if (acceptor_.joinable()) acceptor_.join();
    for (std::thread& pump : pumps_) pump.join();
    for (int fd : fds_) close(fd);
    if (listener_ >= 0) close(listener_);
    unlink(path_.c_str());
  }
  bool ok() const { return listener_ >= 0; }

  // Stops forwarding on the connections accepted so far (a hung daemon, as
  // their clients see it); later connections are forwarded normally.
  void FreezeExisting() {
    std::lock_guard<std::mutex> lock(mu_);
    frozen_below_ = static_cast<int>(pumps_.size());
  }

  // Shuts down every forwarded connection in both directions.
  void DropAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }

 private:
  static sockaddr_un Address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    return address;
  }
  static int Bind(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = Address(path);
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd, 8) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  static int Dial(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = Address(path);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
        0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  void AcceptLoop() {
    while (!stopping_) {
      pollfd waiting{listener_, POLLIN, 0};
      if (poll(&waiting, 1, 20) <= 0) continue;
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      int server = Dial(upstream_);
      if (server < 0) {
        close(client);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      fds_.insert(fds_.end(), {client, server});
      int index = static_cast<int>(pumps_.size());
      pumps_.emplace_back([=, this] { Pump(client, server, index); });
    }
  }

  // Copies bytes both ways until either side closes or the proxy stops.
  void Pump(int a, int b, int index) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buffer[65536];
    while (!stopping_) {
      if (index < frozen_below_) {
        usleep(10000);
        continue;
      }
      int ready = poll(fds, 2, 20);
      if (ready < 0) break;
      if (ready == 0) continue;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (fds[i].revents == 0) continue;
        ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        done = n <= 0 || write(fds[1 - i].fd, buffer, n) != n;
      }
      if (done) break;
    }
    shutdown(a, SHUT_RDWR);
    shutdown(b, SHUT_RDWR);
  }

  const std::string path_;
  const std::string upstream_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> frozen_below_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
};

}  // namespace vigil::virt

#endif  // VIGIL_TESTS_VIRT_UNIX_PROXY_H_
