#include "hack/bench-scale/scale_cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/assignments.h"
#include "absl/time/time.h"
#include "tests/e2e/leftovers.h"

namespace vigil::bench {

std::atomic<bool> g_interrupted{false};

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;

constexpr char kVictim[] = "n1";
constexpr char kPartOf[] = "bench-scale";

// Polls `done` every `poll` until it is true, `timeout` passes or the run is
// interrupted; true only in the first case.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll) {
  const Steady::time_point deadline = Steady::now() + timeout;
  while (!done()) {
    if (Steady::now() > deadline || g_interrupted) return false;
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

api::Json Object(const std::string& kind, const std::string& name, api::Json spec,
                 bool victim = false) {
  api::Json labels = {{"app.kubernetes.io/part-of", kPartOf}};
  if (victim) labels["victim"] = "yes";
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", std::move(spec)}};
}

std::string GroupName(int g) { return absl::StrFormat("g%05d", g); }

// lastTransitionTime of condition `type` of `object` when it is `status`.
std::string ConditionSince(const api::Json& object, const std::string& type,
                           const std::string& status) {
  for (const api::Json& c : object.value("status", api::Json::object())
                                .value("conditions", api::Json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == status) {
      return c.value("lastTransitionTime", "");
    }
  }
  return "";
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr char kMarker[] = "VIGIL_BENCH_SCALE_RUN";

// SIGKILLs (with its process group) every process whose environment holds
// kMarker=`value`: components inherit their agent's environment, and only
// this run's agents have that value.
void KillMarkedProcesses(const std::string& value) {
  const std::string needle = std::string(kMarker) + "=" + value;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    for (std::string var; std::getline(in, var, '\0');) {
      if (var != needle) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(name));
      if (pid == getpid()) break;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
  }
}

Memory ReadMemory(pid_t pid) {
  Memory memory;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) memory.rss_kb = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) memory.hwm_kb = std::atol(line.c_str() + 6);
  }
  return memory;
}

client::HttpClientOptions ClientOptions(const std::string& url) {
  client::HttpClientOptions options;
  options.server = url;
  options.timeout = std::chrono::seconds(60);
  return options;
}

}  // namespace

ScaleCluster::ScaleCluster(fs::path work, std::string bin_dir, ScaleLayout layout)
    : work_(std::move(work)), bin_dir_(std::move(bin_dir)), layout_(layout) {}

ScaleCluster::~ScaleCluster() {
  // SIGTERM to all first so that they stop in parallel, then wait for each.
  for (auto& [node, agent] : agents_) {
    if (agent != nullptr) agent->Signal(SIGTERM);
  }
  for (auto& [node, agent] : agents_) {
    if (agent != nullptr) agent->Terminate();
  }
  if (vigild_ != nullptr) vigild_->Terminate();
  SaveLogs();
  e2e::KillRecordedComponents(work_ / "server");
  for (const auto& [node, agent] : agents_) e2e::KillRecordedComponents(work_ / node);
  // An agent stopping while it starts a component may not have recorded it:
  // those carry this run's marker in their environment.
  KillMarkedProcesses(work_.string());
}

void ScaleCluster::SaveLogs() const {
  if (layout_.logs_dir.empty()) return;
  std::error_code error;
  fs::create_directories(layout_.logs_dir, error);
  if (vigild_ != nullptr) std::ofstream(layout_.logs_dir / "vigild.log") << vigild_->Output();
  for (const auto& [node, agent] : agents_) {
    if (agent != nullptr) std::ofstream(layout_.logs_dir / (node + ".log")) << agent->Output();
  }
}

absl::Status ScaleCluster::StartVigild() {
  std::vector<std::string> argv = {bin_dir_ + "/vigild", "--data-dir", (work_ / "server").string(),
                                   "--listen", "127.0.0.1:0", "--node", "control"};
  argv.insert(argv.end(), layout_.lease_flags.begin(), layout_.lease_flags.end());
  vigild_ = e2e::Subprocess::Start(argv);
  if (vigild_ == nullptr || !vigild_->WaitForOutput("serving on ", std::chrono::seconds(30))) {
    return absl::UnavailableError("vigild did not start: " + (vigild_ ? vigild_->Output() : ""));
  }
  const std::string out = vigild_->Output();
  const size_t at = out.find("serving on ") + 11;
  url_ = out.substr(at, out.find_first_of(" \n", at) - at);
  http_ = std::make_unique<client::HttpClient>(ClientOptions(url_));
  return absl::OkStatus();
}

absl::Status ScaleCluster::StartAgent(const std::string& node) {
  std::vector<std::string> argv = {bin_dir_ + "/vigild", "agent", "--server", url_, "--node",
                                   node, "--data-dir", (work_ / node).string()};
  argv.insert(argv.end(), layout_.lease_flags.begin(), layout_.lease_flags.end());
  auto agent = e2e::Subprocess::Start(argv);
  if (agent == nullptr || !agent->WaitForOutput("node agent for " + node)) {
    return absl::UnavailableError("the agent of " + node +
                                  " did not start: " + (agent ? agent->Output() : ""));
  }
  agents_[node] = std::move(agent);
  return absl::OkStatus();
}

absl::Status ScaleCluster::Start() {
  // Inherited by vigild, the agents and their components (see the destructor).
  setenv(kMarker, work_.c_str(), 1);
  if (absl::Status s = StartVigild(); !s.ok()) return s;
  for (int k = 1; k <= layout_.nodes; ++k) {
    if (absl::Status s = StartAgent("n" + std::to_string(k)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Groups first, then units, components and instances, so that every
// reference exists when the controllers first see an object.
std::vector<api::Json> ScaleCluster::Objects() const {
  const int groups = layout_.sis / layout_.sis_per_group;
  const int victim_groups = layout_.active_on_victim / layout_.sis_per_group;
  const int others = layout_.nodes - 1;  // n2..n<nodes>
  std::vector<api::Json> sgs, sus, comps, sis;
  for (int g = 0; g < groups; ++g) {
    const std::string sg = GroupName(g);
    const bool victim = g < victim_groups;
    // Victim groups: standby round-robin over n2..; other groups: both
    // units on distinct nodes of n2.., rotating over the ordered pairs.
    // REQUIRES: others >= 2 (checked by the caller).
    const int h = victim ? g : g - victim_groups;
    const int a_node = victim ? 1 : 2 + h % others;
    const int b_node = victim ? 2 + h % others
                              : 2 + (h % others + 1 + (h / others) % (others - 1)) % others;
    sgs.push_back(Object("ServiceGroup", sg, {{"redundancyModel", "2N"}}));
    for (const auto& [suffix, node, rank] :
         {std::tuple{"-a", a_node, 1}, std::tuple{"-b", b_node, 2}}) {
      const std::string su = sg + suffix;
      sus.push_back(Object("ServiceUnit", su,
                           {{"serviceGroup", sg}, {"node", "n" + std::to_string(node)},
                            {"rank", rank}}));
      comps.push_back(Object("Component", su + "-app",
                             {{"serviceUnit", su},
                              {"csTypes", {"app"}},
                              {"exec", {{"instantiate", {"/usr/bin/sleep", "infinity"}}}}}));
    }
    for (int i = 1; i <= layout_.sis_per_group; ++i) {
      sis.push_back(Object("ServiceInstance", absl::StrFormat("%s-si%02d", sg, i),
                           {{"serviceGroup", sg},
                            {"rank", i},
                            {"csis", {{{"name", "app"}, {"csType", "app"}}}}},
                           victim));
    }
  }
  std::vector<api::Json> all;
  for (auto* part : {&sgs, &sus, &comps, &sis}) {
    for (api::Json& o : *part) all.push_back(std::move(o));
  }
  return all;
}

std::vector<std::string> ScaleCluster::VictimNames() const {
  std::vector<std::string> names;
  for (int g = 0; g < layout_.active_on_victim / layout_.sis_per_group; ++g) {
    for (int i = 1; i <= layout_.sis_per_group; ++i) {
      names.push_back(absl::StrFormat("%s-si%02d", GroupName(g), i));
    }
  }
  return names;
}

absl::Status ScaleCluster::Create(int workers) {
  const std::vector<api::Json> objects = Objects();
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  absl::Status first_error;
  auto work = [&] {
    client::HttpClient http(ClientOptions(url_));
    for (size_t i = next++; i < objects.size() && !g_interrupted; i = next++) {
      if (auto created = http.Create(objects[i]); !created.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) {
          first_error = absl::Status(
              created.status().code(),
              absl::StrCat("creating ", objects[i]["kind"].get<std::string>(), "/",
                           objects[i]["metadata"]["name"].get<std::string>(), ": ",
                           created.status().message()));
        }
        next = objects.size();
        return;
      }
      ++done;
    }
  };
  const Steady::time_point start = Steady::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (size_t reported = 0; reported < objects.size() && first_error.ok() && !g_interrupted;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (done - reported >= 2000 || done == objects.size()) {
      reported = done;
      std::printf("  created %zu/%zu objects (%.1f s)\n", reported, objects.size(),
                  std::chrono::duration<double>(Steady::now() - start).count());
      std::fflush(stdout);
    }
    std::lock_guard<std::mutex> lock(mu);
    if (!first_error.ok()) break;
  }
  for (std::thread& t : threads) t.join();
  if (g_interrupted) return absl::CancelledError("interrupted");
  return first_error;
}

absl::StatusOr<ScaleCluster::Counts> ScaleCluster::Count() {
  auto list = http_->List("ServiceInstance");
  if (!list.ok()) return list.status();
  Counts counts;
  for (const api::Json& si : list->items) {
    const std::string active = api::ConfirmedUnitOf(si, "Active");
    if (active.empty() || api::ConfirmedUnitOf(si, "Standby").empty()) continue;
    ++counts.assigned;
    const bool victim = si["metadata"].value("labels", api::Json::object()).contains("victim");
    if (victim && EndsWith(active, "-a")) ++counts.victim_on_n1;
  }
  return counts;
}

absl::Status ScaleCluster::WaitAllAssigned(std::chrono::seconds timeout) {
  const Steady::time_point start = Steady::now();
  Counts counts;
  const bool all = WaitFor(
      [&] {
        auto c = Count();
        if (!c.ok()) return false;
        counts = *c;
        std::printf("  assigned (active + standby confirmed) %d/%d SIs, %d/%d victim SIs active "
                    "on n1 (%.1f s)\n",
                    counts.assigned, layout_.sis, counts.victim_on_n1, layout_.active_on_victim,
                    std::chrono::duration<double>(Steady::now() - start).count());
        std::fflush(stdout);
        return counts.assigned == layout_.sis &&
               counts.victim_on_n1 == layout_.active_on_victim;
      },
      timeout, std::chrono::seconds(5));
  if (all) return absl::OkStatus();
  if (g_interrupted) return absl::CancelledError("interrupted");
  return absl::DeadlineExceededError(absl::StrCat(
      "after ", timeout.count(), " s only ", counts.assigned, "/", layout_.sis,
      " SIs are assigned and ", counts.victim_on_n1, " victim SIs active on n1"));
}

// GETs each victim SI not yet seen back: a label-selected list would make
// vigild parse all 10,000 SIs per poll (the server filters labels on parsed
// objects), loading the system under test more than the failover does.
absl::Status ScaleCluster::PollVictims(std::set<std::string>& pending,
                                       std::vector<std::string>& since) {
  for (auto it = pending.begin(); it != pending.end();) {
    auto si = http_->Get("ServiceInstance", *it);
    if (!si.ok()) return si.status();
    const std::string active = api::ConfirmedUnitOf(*si, "Active");
    if (active.empty() || EndsWith(active, "-a")) {
      ++it;
      continue;
    }
    since.push_back(ConditionSince(*si, "Assigned", "True"));
    it = pending.erase(it);
  }
  return absl::OkStatus();
}

std::string ScaleCluster::NodeReadySince(const std::string& node, const std::string& status) {
  auto object = http_->Get("Node", node);
  return object.ok() ? ConditionSince(*object, "Ready", status) : "";
}

absl::StatusOr<CrashFigures> ScaleCluster::CrashVictim(std::chrono::seconds timeout) {
  const Wall::time_point crashed_wall = Wall::now();
  const Steady::time_point crashed = Steady::now();
  agents_[kVictim]->Signal(SIGKILL);
  e2e::KillRecordedComponents(work_ / kVictim);
  std::set<std::string> pending;
  for (const std::string& name : VictimNames()) pending.insert(name);
  std::vector<std::string> since;
  const bool back = WaitFor(
      [&] { return PollVictims(pending, since).ok() && pending.empty(); }, timeout,
      std::chrono::milliseconds(250));
  CrashFigures figures;
  figures.last_seen_ms = std::chrono::duration<double, std::milli>(Steady::now() - crashed).count();
  agents_[kVictim]->Wait();
  if (g_interrupted) return absl::CancelledError("interrupted");
  if (!back) {
    return absl::DeadlineExceededError(
        absl::StrCat("after ", timeout.count(), " s only ", since.size(), "/",
                     layout_.active_on_victim, " victim SIs have a confirmed active elsewhere"));
  }
  if (auto not_ready = ParseTime(NodeReadySince(kVictim, "False"))) {
    figures.reaction_ms = MsBetween(crashed_wall, *not_ready);
  }
  const auto slack = std::chrono::milliseconds(1);  // Vigil's times are truncated to ms
  for (const std::string& text : since) {
    const auto at = ParseTime(text);
    if (!at || *at + slack < crashed_wall) {
      ++figures.invalid;
      continue;
    }
    figures.outage_ms.push_back(std::max(0.0, MsBetween(crashed_wall, *at)));
  }
  return figures;
}

Memory ScaleCluster::VigildMemory() const { return ReadMemory(vigild_->pid()); }

Memory ScaleCluster::AgentMemory(const std::string& node) const {
  auto it = agents_.find(node);
  return it == agents_.end() ? Memory{} : ReadMemory(it->second->pid());
}

long long ScaleCluster::StoreBytes() const {
  long long bytes = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(work_ / "server", error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (it->is_regular_file(error)) bytes += static_cast<long long>(it->file_size(error));
  }
  return bytes;
}

int ScaleCluster::RunningComponents() const {
  int running = 0;
  std::error_code error;
  for (const auto& [node, agent] : agents_) {
    const fs::path dir = work_ / node / "agent";
    if (!fs::is_directory(dir, error)) continue;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() != ".json") continue;
      api::Json records = api::Json::parse(std::ifstream(entry.path()), nullptr, false);
      if (!records.is_object() || !records.contains("components")) continue;
      for (const auto& [name, record] : records["components"].items()) {
        const int64_t pid = record.value("pid", int64_t{0});
        const uint64_t ticks = record.value("startTicks", uint64_t{0});
        if (pid > 1 && ticks != 0 && e2e::StartTicks(pid) == ticks) ++running;
      }
    }
  }
  return running;
}

}  // namespace vigil::bench
