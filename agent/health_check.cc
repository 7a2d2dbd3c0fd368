#include "agent/health_check.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "agent/process.h"

namespace vigil::agent {
namespace {

using Steady = std::chrono::steady_clock;

int MillisInt(Millis m) { return static_cast<int>(std::max<int64_t>(0, m.count())); }

// Waits for a non-blocking connect on `fd` to finish within `timeout`.
absl::Status FinishConnect(int fd, Millis timeout, const std::string& target) {
  pollfd p{fd, POLLOUT, 0};
  int ready = poll(&p, 1, MillisInt(timeout));
  if (ready == 0) return absl::DeadlineExceededError("no answer from " + target);
  int error = 0;
  socklen_t length = sizeof(error);
  if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
    error = errno;
  }
  if (error != 0) {
    return absl::UnavailableError(absl::StrCat("connect to ", target, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

class TcpProbe : public Probe {
 public:
  TcpProbe(std::string host, int port) : host_(std::move(host)), port_(port) {}

  absl::Status Check(Millis timeout) override {
    const std::string target = absl::StrCat(host_, ":", port_);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return absl::UnavailableError("cannot resolve " + host_);
    }
    int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    absl::Status status = absl::UnavailableError("socket: " + std::string(strerror(errno)));
    if (fd >= 0) {
      if (connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
        status = absl::OkStatus();
      } else if (errno == EINPROGRESS) {
        status = FinishConnect(fd, timeout, target);
      } else {
        status = absl::UnavailableError(absl::StrCat("connect to ", target, ": ", strerror(errno)));
      }
      close(fd);
    }
    freeaddrinfo(found);
    return status;
  }

 private:
  const std::string host_;
  const int port_;
};

class HttpProbe : public Probe {
 public:
  HttpProbe(std::string scheme, std::string host, int port, std::string path)
      : url_(absl::StrCat(scheme, "://", host, ":", port)), path_(std::move(path)) {}

  absl::Status Check(Millis timeout) override {
    httplib::Client client(url_);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    client.enable_server_certificate_verification(false);
    httplib::Result result = client.Get(path_.c_str());
    if (!result) {
      const bool timed_out = result.error() == httplib::Error::ConnectionTimeout ||
                             result.error() == httplib::Error::Read;
      std::string why = absl::StrCat("GET ", url_, path_, ": ", httplib::to_string(result.error()));
      return timed_out ? absl::DeadlineExceededError(why) : absl::UnavailableError(why);
    }
    if (result->status < 200 || result->status >= 400) {
      return absl::UnavailableError(
          absl::StrCat("GET ", url_, path_, " answered ", result->status));
    }
    return absl::OkStatus();
  }

 private:
  const std::string url_;
  const std::string path_;
};

class ExecProbe : public Probe {
 public:
  ExecProbe(std::vector<std::string> argv, std::map<std::string, std::string> env) {
    options_.argv = std::move(argv);
    options_.env = std::move(env);
  }

  absl::Status Check(Millis timeout) override {
    auto process = spawner_.Spawn(options_);
    if (!process.ok()) return absl::UnavailableError(process.status().message());
    pollfd p{(*process)->pidfd(), POLLIN, 0};
    if (poll(&p, 1, MillisInt(timeout)) <= 0) {
      (void)(*process)->SignalGroup(SIGKILL);
      poll(&p, 1, -1);
      (*process)->TryReap();
      return absl::DeadlineExceededError(
          absl::StrCat("\"", options_.argv[0], "\" did not finish within ", timeout.count(), "ms"));
    }
    ExitInfo exit = (*process)->TryReap().value_or(ExitInfo{});
    (void)(*process)->SignalGroup(SIGKILL);  // leftovers of the check
    if (exit.known && exit.signal == 0 && exit.exit_code == 0) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("\"", options_.argv[0], "\" ", exit.Describe()));
  }

 private:
  SpawnOptions options_;
  PosixSpawner spawner_;
};

}  // namespace

std::unique_ptr<Probe> MakeTcpProbe(std::string host, int port) {
  return std::make_unique<TcpProbe>(std::move(host), port);
}

std::unique_ptr<Probe> MakeHttpProbe(std::string scheme, std::string host, int port,
                                     std::string path) {
  return std::make_unique<HttpProbe>(std::move(scheme), std::move(host), port, std::move(path));
}

std::unique_ptr<Probe> MakeExecProbe(std::vector<std::string> argv,
                                     std::map<std::string, std::string> env) {
  return std::make_unique<ExecProbe>(std::move(argv), std::move(env));
}

std::unique_ptr<Probe> MakeProbe(const api::ExecHealthCheck& spec,
                                 const std::map<std::string, std::string>& env) {
  using Kind = api::ExecHealthCheck::Kind;
  const std::string host = spec.host.empty() ? "127.0.0.1" : ExpandVariables(spec.host, env);
  const int port = static_cast<int>(spec.port);
  switch (spec.kind) {
    case Kind::kTcp:
      return MakeTcpProbe(host, port);
    case Kind::kHttp:
      return MakeHttpProbe(spec.scheme.empty() ? "http" : spec.scheme, host, port,
                           spec.path.empty() ? "/" : ExpandVariables(spec.path, env));
    case Kind::kExec:
      break;
  }
  std::vector<std::string> argv;
  for (const std::string& arg : spec.command) argv.push_back(ExpandVariables(arg, env));
  return MakeExecProbe(std::move(argv), env);
}

HealthChecker::HealthChecker(std::unique_ptr<Probe> probe, HealthCheckSettings settings,
                             Callbacks callbacks)
    : probe_(std::move(probe)), settings_(settings), callbacks_(std::move(callbacks)) {}

HealthChecker::~HealthChecker() { Stop(); }

void HealthChecker::Start(bool wait_for_pass) {
  finished_ = false;
  thread_ = std::thread([this, wait_for_pass] {
    Run(wait_for_pass);
    finished_ = true;
  });
}

void HealthChecker::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void HealthChecker::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

bool HealthChecker::SleepUntil(Steady::time_point deadline) {
  std::unique_lock lock(mu_);
  return !cv_.wait_until(lock, deadline, [this] { return stopping_; });
}

void HealthChecker::Run(bool wait_for_pass) {
  bool passed = !wait_for_pass;
  int failures = 0;
  Steady::time_point next = Steady::now();
  while (SleepUntil(next)) {
    absl::Status result = probe_->Check(settings_.timeout);
    const Millis interval = passed ? settings_.period : settings_.startup_interval;
    // Fixed rate: the next probe starts one interval after this one started,
    // so a slow (timing-out) probe does not stretch the detection time.
    next = std::max(next + interval, Steady::now());
    if (result.ok()) {
      failures = 0;
      if (!passed && callbacks_.on_first_pass) callbacks_.on_first_pass();
      passed = true;
      continue;
    }
    if (!passed) continue;
    if (++failures >= settings_.failure_threshold) {
      if (callbacks_.on_unhealthy) {
        callbacks_.on_unhealthy(
            absl::StrCat("health check failed ", failures, " times: ", result.message()));
      }
      return;
    }
  }
}

HealthCheckSlot::~HealthCheckSlot() {
  Stop();
  retired_.clear();  // joins
}

void HealthCheckSlot::Start(std::unique_ptr<Probe> probe, HealthCheckSettings settings,
                            bool wait_for_pass, std::function<void()> on_first_pass,
                            std::function<void(const std::string& reason)> on_unhealthy) {
  Stop();
  const uint64_t serial = ++serial_;
  std::weak_ptr<int> life = life_;
  EventLoop* loop = loop_;
  // Runs `task` on the loop if this slot still exists and `serial` is current.
  auto on_loop = [this, loop, life, serial](std::function<void()> task) {
    loop->Post([this, life, serial, task = std::move(task)] {
      if (life.lock() && serial == serial_) task();
    });
  };
  current_ = std::make_unique<HealthChecker>(
      std::move(probe), settings,
      HealthChecker::Callbacks{
          .on_first_pass = [on_loop, on_first_pass] { on_loop(on_first_pass); },
          .on_unhealthy =
              [on_loop, on_unhealthy](const std::string& why) {
                on_loop([on_unhealthy, why] { on_unhealthy(why); });
              }});
  current_->Start(wait_for_pass);
}

void HealthCheckSlot::Stop() {
  ++serial_;
  if (current_ != nullptr) {
    current_->RequestStop();
    retired_.push_back(std::move(current_));
  }
  std::erase_if(retired_, [](const auto& checker) { return checker->Finished(); });
}

}  // namespace vigil::agent
