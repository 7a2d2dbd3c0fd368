// BenchCluster: see bench_vm_cluster.h.
#include "hack/bench-vm/bench_vm_cluster.h"

#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace vigil::bench {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted = true; }

// The URL in vigild's "serving on URL (...)" line.
std::string ServedUrl(const std::string& output) {
  const std::string marker = "serving on ";
  const size_t at = output.find(marker);
  if (at == std::string::npos) return "";
  const size_t from = at + marker.size();
  return output.substr(from, output.find(' ', from) - from);
}

// Whether `pid` (our child) has exited: a zombie, or gone already.
bool Exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(stat >> pid_field >> comm >> state)) return true;
  return state == "Z";
}

// SIGTERM, up to 10 s to exit, then SIGKILL. False when it had to be killed.
bool StopProcess(e2e::Subprocess& process) {
  process.Signal(SIGTERM);
  const bool exited = WaitUntil([&] { return Exited(process.pid()); }, absl::Seconds(10),
                                absl::Milliseconds(10), /*interruptible=*/false);
  if (!exited) process.Signal(SIGKILL);
  process.Wait();
  return exited;
}

std::string Tail(const std::string& output, size_t max_lines) {
  size_t at = output.size();
  for (size_t lines = 0; at > 0 && lines <= max_lines; ++lines) {
    at = output.rfind('\n', at - 1);
    if (at == std::string::npos) return output;
  }
  return output.substr(at + 1);
}

}  // namespace

void InstallInterruptHandler() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool Interrupted() { return interrupted; }

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout,
               absl::Duration period, bool interruptible) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!interruptible || !interrupted) {
    if (done()) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(period);
  }
  return false;
}

BenchCluster::BenchCluster(std::string bin_dir, fs::path work_dir)
    : bin_dir_(std::move(bin_dir)), work_dir_(std::move(work_dir)) {}

BenchCluster::~BenchCluster() = default;  // a Subprocess SIGKILLs its own PID

absl::Status BenchCluster::Start() {
  const std::string vigild = bin_dir_ + "/vigild";
  vigild_ = e2e::Subprocess::Start({vigild, "--data-dir", (work_dir_ / "vigild").string(),
                                    "--listen", "127.0.0.1:0", "--node", "hv1"});
  if (vigild_ == nullptr || !vigild_->WaitForOutput("serving on ")) {
    return absl::InternalError(
        absl::StrCat("vigild did not start: ", vigild_ ? vigild_->Output() : vigild));
  }
  url_ = ServedUrl(vigild_->Output());
  agent_ = e2e::Subprocess::Start({vigild, "agent", "--server", url_, "--node", "hv2",
                                   "--data-dir", (work_dir_ / "agent-hv2").string()});
  if (agent_ == nullptr || !agent_->WaitForOutput("node agent for hv2")) {
    return absl::InternalError(
        absl::StrCat("vigild agent did not start: ", agent_ ? agent_->Output() : vigild));
  }
  client::HttpClientOptions options;
  options.server = url_;
  client_ = std::make_unique<client::HttpClient>(options);
  return absl::OkStatus();
}

absl::Status BenchCluster::Apply(const api::Json& obj) {
  const std::string kind = obj.at("kind");
  const std::string name = obj.at("metadata").at("name");
  absl::StatusOr<api::Json> created = client_->Create(obj);
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    created = client_->Patch(kind, name, api::Json{{"spec", obj.value("spec", api::Json::object())}});
  }
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat(kind, " ", name, ": ", created.status().message()));
  }
  created_.emplace_back(kind, name);
  return absl::OkStatus();
}

absl::Status BenchCluster::DeleteAll() {
  absl::Status result;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    absl::StatusOr<api::Json> deleted = client_->Delete(it->first, it->second);
    if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kNotFound) {
      result.Update(deleted.status());
    }
  }
  created_.clear();
  return result;
}

absl::Status BenchCluster::Stop() {
  bool clean = true;
  client_.reset();
  if (agent_ != nullptr) clean = StopProcess(*agent_) && clean;
  if (vigild_ != nullptr) clean = StopProcess(*vigild_) && clean;
  if (!clean) return absl::InternalError("a vigild process ignored SIGTERM and was killed");
  return absl::OkStatus();
}

std::string BenchCluster::Logs() const {
  std::string logs;
  if (vigild_ != nullptr) absl::StrAppend(&logs, "--- vigild:\n", Tail(vigild_->Output(), 40));
  if (agent_ != nullptr) absl::StrAppend(&logs, "--- vigild agent:\n", Tail(agent_->Output(), 40));
  return logs;
}

}  // namespace vigil::bench
