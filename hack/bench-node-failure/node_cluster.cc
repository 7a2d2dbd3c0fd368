#include "hack/bench-node-failure/node_cluster.h"

#include <signal.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <thread>

#include "absl/time/time.h"
#include "api/assignments.h"
#include "hack/bench-failover/failover_service.h"
#include "tests/e2e/leftovers.h"

namespace vigil::bench {
namespace {

namespace fs = std::filesystem;
constexpr char kGroup[] = "nf";
constexpr char kInstance[] = "nf-1";

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

std::optional<Wall::time_point> ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return absl::ToChronoTime(time);
}

double MsBetween(Wall::time_point from, Wall::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

api::Json Object(const std::string& kind, const std::string& name, api::Json spec) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata",
           {{"name", name}, {"labels", {{"app.kubernetes.io/part-of", "bench-node-failure"}}}}},
          {"spec", std::move(spec)}};
}

// The Perl HTTP server of bench-failover, started when its unit is assigned
// active; readiness waits for its port.
api::Json ComponentSpec(const std::string& unit, int port) {
  api::Json spec = {{"serviceUnit", unit}, {"csTypes", {"svc"}}};
  spec["exec"] = {{"instantiate", {"/usr/bin/perl", "-e", std::string(kPerlHttpServer)}},
                  {"timeouts", {{"instantiate", "10s"}, {"cleanup", "5s"}}},
                  {"healthCheck",
                   {{"tcp", {{"port", port}}},
                    {"period", "1s"},
                    {"timeout", "500ms"},
                    {"failureThreshold", 3}}}};
  return spec;
}

}  // namespace

NodeCluster::NodeCluster(fs::path work, std::string bin_dir)
    : work_(std::move(work)), bin_dir_(std::move(bin_dir)) {}

NodeCluster::~NodeCluster() {
  for (auto& [node, agent] : agents_) {
    if (agent != nullptr) agent->Terminate();
  }
  if (vigild_ != nullptr) vigild_->Terminate();
  e2e::KillRecordedComponents(work_ / "server");
  for (const auto& [node, agent] : agents_) e2e::KillRecordedComponents(work_ / node);
}

absl::Status NodeCluster::StartVigild() {
  vigild_ = e2e::Subprocess::Start({bin_dir_ + "/vigild", "--data-dir", (work_ / "server").string(),
                                    "--listen", "127.0.0.1:0", "--node", "control"});
  if (vigild_ == nullptr || !vigild_->WaitForOutput("serving on ", std::chrono::seconds(30))) {
    return absl::UnavailableError("vigild did not start: " + (vigild_ ? vigild_->Output() : ""));
  }
  const std::string out = vigild_->Output();
  const size_t at = out.find("serving on ") + 11;
  url_ = out.substr(at, out.find(' ', at) - at);
  client::HttpClientOptions options;
  options.server = url_;
  http_ = std::make_unique<client::HttpClient>(options);
  return absl::OkStatus();
}

absl::Status NodeCluster::StartAgent(const std::string& node) {
  auto agent = e2e::Subprocess::Start({bin_dir_ + "/vigild", "agent", "--server", url_, "--node",
                                       node, "--data-dir", (work_ / node).string()});
  if (agent == nullptr || !agent->WaitForOutput("node agent for " + node)) {
    return absl::UnavailableError("the agent of " + node +
                                  " did not start: " + (agent ? agent->Output() : ""));
  }
  agents_[node] = std::move(agent);
  return absl::OkStatus();
}

absl::Status NodeCluster::CreateService() {
  std::vector<api::Json> objects = {Object("ServiceGroup", kGroup, {{"redundancyModel", "2N"}})};
  int rank = 1;
  for (const char* unit : {"nf-a", "nf-b"}) {
    objects.push_back(Object("ServiceUnit", unit,
                             {{"serviceGroup", kGroup}, {"node", NodeOf(unit)}, {"rank", rank++}}));
    objects.push_back(Object("Component", std::string(unit) + "-svc", ComponentSpec(unit, port_)));
  }
  objects.push_back(Object("ServiceInstance", kInstance,
                           {{"serviceGroup", kGroup},
                            {"csis", {{{"name", "svc"}, {"csType", "svc"},
                                       {"attributes", {{"PORT", std::to_string(port_)}}}}}}}));
  for (const api::Json& object : objects) {
    if (auto created = http_->Create(object); !created.ok()) {
      return absl::Status(created.status().code(),
                          "creating " + object["kind"].get<std::string>() + "/" +
                              object["metadata"]["name"].get<std::string>() + ": " +
                              std::string(created.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status NodeCluster::Start(int nodes, int port) {
  port_ = port;
  if (absl::Status s = StartVigild(); !s.ok()) return s;
  for (int k = 1; k <= nodes; ++k) {
    if (absl::Status s = StartAgent("n" + std::to_string(k)); !s.ok()) return s;
  }
  if (absl::Status s = CreateService(); !s.ok()) return s;
  if (!WaitSteady()) {
    return absl::UnavailableError("the service has no confirmed active and standby after 60 s");
  }
  return absl::OkStatus();
}

std::string NodeCluster::NodeOf(const std::string& unit) { return unit == "nf-a" ? "n1" : "n2"; }

std::string NodeCluster::ConfirmedUnit(const std::string& ha_state) {
  auto object = http_->Get("ServiceInstance", kInstance);
  return object.ok() ? api::ConfirmedUnitOf(*object, ha_state) : "";
}

std::string NodeCluster::ConditionSince(const std::string& kind, const std::string& name,
                                        const std::string& type, const std::string& status) {
  auto object = http_->Get(kind, name);
  if (!object.ok()) return "";
  for (const api::Json& c : object->value("status", api::Json::object())
                                .value("conditions", api::Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == status) {
      return c.value("lastTransitionTime", "");
    }
  }
  return "";
}

std::optional<NodeCluster::Steady2N> NodeCluster::WaitSteady() {
  Steady2N pair;
  const bool steady = WaitFor(
      [&] {
        pair.active = ConfirmedUnit("Active");
        pair.standby = ConfirmedUnit("Standby");
        return !pair.active.empty() && !pair.standby.empty() && Connects(port_);
      },
      std::chrono::seconds(60), std::chrono::milliseconds(10));
  if (!steady) return std::nullopt;
  return pair;
}

void NodeCluster::PowerOff(const std::string& node, pid_t service_pid) {
  agents_[node]->Signal(SIGKILL);
  kill(-service_pid, SIGKILL);
  kill(service_pid, SIGKILL);
}

std::optional<double> NodeCluster::Rejoin(const std::string& node, const std::string& unit) {
  agents_[node]->Wait();
  e2e::KillRecordedComponents(work_ / node);  // anything the crash missed
  const Steady::time_point restarted = Steady::now();
  if (absl::Status s = StartAgent(node); !s.ok()) {
    std::cerr << "  " << s << "\n";
    return std::nullopt;
  }
  if (!WaitFor([&] { return ConfirmedUnit("Standby") == unit; }, std::chrono::seconds(60),
               std::chrono::milliseconds(5))) {
    return std::nullopt;
  }
  return Ms(Steady::now() - restarted);
}

bool NodeCluster::CrashOnce(const Steady2N& pair, Prober& prober, NodeSamples& samples) {
  const std::string node = NodeOf(pair.active);
  auto component = http_->Get("Component", pair.active + "-svc");
  const pid_t pid = component.ok() ? component->value("status", api::Json::object()).value("pid", 0)
                                   : 0;
  if (pid <= 0) {
    std::cerr << "  no pid in the status of " << pair.active << "-svc\n";
    return false;
  }
  const Wall::time_point crashed_wall = Wall::now();
  const Steady::time_point crashed = Steady::now();
  PowerOff(node, pid);
  prober.Arm();
  // The API is polled only once the service answers again, so that the
  // benchmark's requests do not compete with the failover for the CPU.
  const bool served = WaitFor([&] { return prober.ServedAt().has_value(); },
                              std::chrono::seconds(15), std::chrono::milliseconds(1));
  const bool recovered =
      WaitFor([&] { return ConfirmedUnit("Active") == pair.standby; }, std::chrono::seconds(30));
  const std::string not_ready_text = ConditionSince("Node", node, "Ready", "False");
  const std::string assigned_text = ConditionSince("ServiceInstance", kInstance, "Assigned", "True");
  const std::optional<double> rejoin = Rejoin(node, pair.active);
  if (!served || !recovered || !rejoin) {
    std::cerr << "  crash of " << node << ": timed out (served " << served << ", recovered "
              << recovered << ", rejoined " << rejoin.has_value() << ")\n";
    return false;
  }
  const auto not_ready = ParseTime(not_ready_text);
  const auto active_since = ParseTime(assigned_text);
  const auto slack = std::chrono::milliseconds(1);  // Vigil's times are truncated to ms
  if (!not_ready || !active_since || *not_ready + slack < crashed_wall ||
      *active_since < *not_ready) {
    std::cerr << "  crash of " << node << ": inconsistent timestamps (not Ready " << not_ready_text
              << ", assigned " << assigned_text << ")\n";
    return false;
  }
  samples.reaction.push_back(std::max(0.0, MsBetween(crashed_wall, *not_ready)));
  samples.recovery.push_back(MsBetween(*not_ready, *active_since));
  samples.outage_vigil.push_back(std::max(0.0, MsBetween(crashed_wall, *active_since)));
  samples.outage_probe.push_back(Ms(*prober.ServedAt() - crashed));
  samples.rejoin.push_back(*rejoin);
  return true;
}

NodeSamples NodeCluster::CrashActiveNodeRepeatedly(int runs, std::chrono::microseconds probe) {
  NodeSamples samples;
  Prober prober(port_, probe);
  for (int i = 0; i < runs; ++i) {
    std::optional<Steady2N> pair = WaitSteady();
    if (!pair) {
      std::cerr << "  no confirmed active and standby after 60 s\n";
      samples.invalid += runs - i;
      break;
    }
    if (!CrashOnce(*pair, prober, samples)) ++samples.invalid;
  }
  return samples;
}

}  // namespace vigil::bench
