// An example SA-aware service: it serves "hello from <component>" over TCP
// on the port named by its CSI's PORT attribute, but only while it holds
// that CSI Active; as Standby (or quiesced, or with the CSI removed) the
// port is closed. Every HA-state change is confirmed once done, so the
// agent reports the new state only when it is true.
//
// Header-only so that tests can run it in-process too.
//
// Thread safety: Run() on one thread; Stop() from any.
#ifndef VIGIL_EXAMPLES_SA_AWARE_EXAMPLE_SERVICE_H_
#define VIGIL_EXAMPLES_SA_AWARE_EXAMPLE_SERVICE_H_

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "examples/sa-aware/vigil_saf.h"

namespace vigil::saf::example {

// Accepts connections on 127.0.0.1:port and answers each with one line.
class LineServer {
 public:
  ~LineServer() { Stop(); }
  bool Start(int port, std::string line) {
    Stop();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 128) != 0) {
      close(fd_);
      fd_ = -1;
      return false;
    }
    stopping_ = false;
    thread_ = std::thread([this, line = std::move(line)] { Serve(line); });
    return true;
  }
  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool running() const { return fd_ >= 0; }

 private:
  void Serve(const std::string& line) {
    const std::string reply = "HTTP/1.0 200 OK\r\n\r\n" + line + "\n";
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      (void)!write(client, reply.data(), reply.size());
      close(client);
    }
  }
  int fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class ExampleService {
 public:
  // Registers and handles events until terminated or Stop(). Returns the
  // process exit code.
  int Run() {
    std::string error;
    session_ = Session::Register({}, &error);
    if (session_ == nullptr) {
      std::fprintf(stderr, "vigil-sa-example: %s\n", error.c_str());
      return 1;
    }
    std::fprintf(stderr, "vigil-sa-example: registered as %s\n", session_->component().c_str());
    while (!stopping_ && !session_->closed()) {
      std::optional<Event> event = session_->Next(std::chrono::milliseconds(200));
      if (event && !Handle(*event)) break;
    }
    server_.Stop();
    return 0;
  }
  void Stop() {
    stopping_ = true;
    if (session_ != nullptr) session_->Close();
  }

 private:
  // Returns false on terminate.
  bool Handle(const Event& event) {
    if (event.type == Event::Type::kTerminate) return false;
    bool ok = true;
    if (event.type == Event::Type::kCsiSet && event.ha_state == "Active") {
      auto port = event.attributes.find("PORT");
      ok = port != event.attributes.end() && Serve(std::atoi(port->second.c_str()));
    } else {
      server_.Stop();  // standby, quiescing, quiesced, removed: no service
    }
    std::fprintf(stderr, "vigil-sa-example: %s %s %s -> %s\n", event.service_instance.c_str(),
                 event.csi.c_str(),
                 event.type == Event::Type::kCsiSet ? event.ha_state.c_str() : "removed",
                 ok ? "done" : "FAILED");
    session_->Confirm(event.seq, ok, ok ? "" : "cannot serve on the CSI's PORT");
    return true;
  }

  // A switchover's old active may still be closing the port: try a little.
  bool Serve(int port) {
    const std::string line = "hello from " + session_->component();
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (server_.Start(port, line)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  std::unique_ptr<Session> session_;
  LineServer server_;
  std::atomic<bool> stopping_{false};
};

}  // namespace vigil::saf::example

#endif  // VIGIL_EXAMPLES_SA_AWARE_EXAMPLE_SERVICE_H_
