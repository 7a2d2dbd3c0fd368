#include "controllers/node_fencer.h"

#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "controllers/snapshot.h"

namespace vigil::controllers {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr milliseconds kSyncTimeout{30000};
constexpr milliseconds kIdleWake{1000};

template <typename T>
std::optional<T> Read(const ObjectPtr& obj) {
  if (obj == nullptr) return std::nullopt;
  absl::StatusOr<T> typed = api::FromJson<T>(*obj);
  if (!typed.ok()) return std::nullopt;
  return *std::move(typed);
}

// A merge patch of the object that replaces every field of status.fencing.
api::Json FencingPatch(const api::FenceStatus& f) {
  auto or_null = [](const std::string& s) { return s.empty() ? api::Json() : api::Json(s); };
  return {{"status",
           {{"fencing",
             {{"phase", f.phase},
              {"outage", f.outage},
              {"method", or_null(f.method)},
              {"message", or_null(f.message)},
              {"time", f.time},
              {"attempts", f.attempts}}}}}};
}

}  // namespace

FenceAttempt AttemptFence(FenceMethods& methods, const FenceTarget& target) {
  const api::NodeFencing& fencing = target.fencing;
  std::vector<std::string> notes;
  if (!fencing.hypervisor.empty()) {
    absl::Status destroyed = methods.DestroyDomains(fencing.hypervisor, target.domains);
    const std::string what = target.domains.empty()
                                 ? "no domains"
                                 : absl::StrCat("domains ", absl::StrJoin(target.domains, ", "));
    if (!destroyed.ok()) {
      notes.push_back(absl::StrCat("hypervisor ", fencing.hypervisor, ": ", destroyed.message()));
    } else if (target.only_vms) {
      return {.confirmed = true,
              .method = "hypervisor",
              .message = absl::StrCat(what, " destroyed through ", fencing.hypervisor)};
    } else {
      notes.push_back(absl::StrCat(what, " destroyed through ", fencing.hypervisor,
                                   "; the node also runs other components"));
    }
  }
  if (!fencing.command.empty()) {
    absl::Status ran = methods.RunCommand(
        fencing.command, {{"VIGIL_NODE", target.node}, {"VIGIL_OUTAGE", target.outage}},
        fencing.timeout);
    if (ran.ok()) {
      notes.push_back("fence command succeeded");
      return {.confirmed = true, .method = "command", .message = absl::StrJoin(notes, "; ")};
    }
    notes.push_back(std::string(ran.message()));
  }
  return {.confirmed = false, .method = "", .message = absl::StrJoin(notes, "; ")};
}

FenceDecision DecideFence(const api::NodeFencing& fencing, const FenceAttempt& attempt,
                          int64_t attempts, milliseconds elapsed) {
  FenceDecision decision;
  decision.status.attempts = attempts;
  if (attempt.confirmed) {
    decision.status.phase = "Fenced";
    decision.status.method = attempt.method;
    decision.status.message = attempt.message;
    return decision;
  }
  if (fencing.policy == api::FencePolicy::kProceedAfterTimeout && elapsed >= fencing.timeout) {
    decision.status.phase = "ProceededUnfenced";
    decision.status.message =
        absl::StrCat("not confirmed within ", fencing.timeout.count(),
                     "ms (policy ProceedAfterTimeout): recovering without a fence; last attempt: ",
                     attempt.message);
    return decision;
  }
  decision.status.phase = "Fencing";
  decision.status.message = absl::StrCat(
      "attempt ", attempts, " not confirmed: ", attempt.message,
      fencing.policy == api::FencePolicy::kWaitForConfirmation
          ? " (policy WaitForConfirmation: recovery waits; retrying)"
          : absl::StrCat(" (retrying; recovery proceeds unfenced after ",
                         fencing.timeout.count(), "ms)"));
  decision.retry = true;
  return decision;
}

NodeFencer::NodeFencer(client::Client* client, NodeFencerOptions options)
    : client_(client),
      options_(std::move(options)),
      methods_(options_.methods != nullptr ? options_.methods
                                           : std::shared_ptr<FenceMethods>(MakeFenceMethods())),
      nodes_(client, "Node"),
      units_(client, "ServiceUnit"),
      components_(client, "Component") {
  nodes_.AddHandler([this](const ObjectPtr&, const ObjectPtr&) {
    {
      std::lock_guard lock(mu_);
      changed_ = true;
    }
    cv_.notify_all();
  });
}

NodeFencer::~NodeFencer() { Stop(); }

absl::Status NodeFencer::Start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
    changed_ = true;
  }
  if (absl::Status s = StartInformers({&units_, &components_, &nodes_}, kSyncTimeout); !s.ok()) {
    Stop();
    return s;
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void NodeFencer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::map<std::string, std::unique_ptr<Episode>> episodes;
  {
    std::lock_guard lock(mu_);
    episodes.swap(episodes_);
  }
  for (auto& [node, episode] : episodes) {
    if (episode->thread.joinable()) episode->thread.join();
  }
  nodes_.Stop();
  units_.Stop();
  components_.Stop();
}

void NodeFencer::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    changed_ = false;
    lock.unlock();
    Scan();
    lock.lock();
    cv_.wait_for(lock, kIdleWake, [this] { return stopping_ || changed_; });
  }
}

void NodeFencer::Scan() {
  for (const ObjectPtr& obj : nodes_.List()) {
    std::optional<api::Node> node = Read<api::Node>(obj);
    if (!node.has_value()) continue;
    const std::string outage = NodeOutage(*node);
    if (outage.empty()) continue;
    const std::string& name = node->metadata.name;
    if (!node->spec.fencing.Configured()) {
      {
        std::lock_guard lock(mu_);
        if (noted_[name] == outage || node->status.fencing.outage == outage) continue;
        noted_[name] = outage;
      }
      api::FenceStatus noted;
      noted.phase = "NotConfigured";
      noted.outage = outage;
      noted.message =
          "no spec.fencing: recovery relies on the agent's self-fencing (it stops its "
          "components when it cannot renew its lease); a dead agent's components may still run";
      Write(name, noted);
      continue;
    }
    if (!NodeAwaitsFence(*node)) continue;
    std::lock_guard lock(mu_);
    StartEpisode(name, outage);
  }
}

void NodeFencer::StartEpisode(const std::string& node, const std::string& outage) {
  auto found = episodes_.find(node);
  if (found != episodes_.end()) {
    Episode& episode = *found->second;
    // Being fenced, or fenced and the verdict not seen back yet: never twice.
    if (episode.outage == outage || !episode.done) return;
    if (episode.thread.joinable()) episode.thread.join();  // done: returns at once
  }
  auto episode = std::make_unique<Episode>();
  episode->outage = outage;
  Episode* raw = episode.get();
  episodes_[node] = std::move(episode);
  raw->thread = std::thread([this, node, outage, raw] {
    Fence(node, outage);
    std::lock_guard lock(mu_);
    raw->done = true;
  });
}

void NodeFencer::Fence(const std::string& node, const std::string& outage) {
  const Steady::time_point began = Steady::now();
  for (int64_t attempts = 1;; ++attempts) {
    std::optional<FenceTarget> target = TargetOf(node, outage);
    if (!target.has_value()) return;  // the node is back: nothing to fence
    api::FenceStatus progress;
    progress.phase = "Fencing";
    progress.outage = outage;
    progress.message = absl::StrCat("attempt ", attempts, " in progress");
    progress.attempts = attempts;
    Write(node, progress);
    const FenceAttempt attempt = AttemptFence(*methods_, *target);
    FenceDecision decision =
        DecideFence(target->fencing, attempt, attempts,
                    std::chrono::duration_cast<milliseconds>(Steady::now() - began));
    decision.status.outage = outage;
    Write(node, decision.status);
    Log(absl::StrCat("node ", node, ": ", decision.status.phase, ": ", decision.status.message));
    if (!decision.retry || !WaitToRetry(node, outage)) return;
  }
}

std::optional<FenceTarget> NodeFencer::TargetOf(const std::string& node,
                                                const std::string& outage) const {
  std::optional<api::Node> current = Read<api::Node>(nodes_.Get(node));
  if (!current.has_value() || NodeOutage(*current) != outage) return std::nullopt;
  FenceTarget target;
  target.node = node;
  target.outage = outage;
  target.fencing = current->spec.fencing;
  std::set<std::string> units;
  for (const ObjectPtr& obj : units_.List()) {
    std::optional<api::ServiceUnit> unit = Read<api::ServiceUnit>(obj);
    if (unit.has_value() && unit->spec.node == node) units.insert(unit->metadata.name);
  }
  target.only_vms = true;
  for (const ObjectPtr& obj : components_.List()) {
    std::optional<api::Component> component = Read<api::Component>(obj);
    if (!component.has_value() || !units.contains(component->spec.service_unit)) continue;
    const std::optional<api::VirtualMachineSpec>& vm = component->spec.virtual_machine;
    if (!vm.has_value()) {
      target.only_vms = false;
      continue;
    }
    const std::string domain = api::DomainNameOf(*vm);
    if (!domain.empty()) target.domains.push_back(domain);
  }
  return target;
}

bool NodeFencer::WaitToRetry(const std::string& node, const std::string& outage) {
  const Steady::time_point until = Steady::now() + options_.retry_interval;
  std::unique_lock lock(mu_);
  while (!stopping_ && Steady::now() < until) {
    cv_.wait_until(lock, until);
    lock.unlock();
    const bool over = !TargetOf(node, outage).has_value();
    lock.lock();
    if (over) return false;
  }
  return !stopping_;
}

bool NodeFencer::Write(const std::string& node, const api::FenceStatus& status) {
  api::FenceStatus stamped = status;
  stamped.time = Rfc3339Millis(absl::Now());
  client::WriteOptions write;
  write.user = options_.user;
  absl::StatusOr<api::Json> patched =
      client_->Patch("Node", node, FencingPatch(stamped), /*status=*/true, write);
  if (!patched.ok()) {
    if (!absl::IsNotFound(patched.status())) {
      Log("node " + node + ": writing status.fencing: " + patched.status().ToString());
    }
    return false;
  }
  return true;
}

void NodeFencer::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "node fencer: " << line << std::endl;
  }
}

}  // namespace vigil::controllers
