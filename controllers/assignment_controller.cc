// AssignmentController: lifecycle, informer handlers (event -> keys) and the
// worker loop. The reconcile of one key is in assignment_controller_sync.cc.
#include "controllers/assignment_controller.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "controllers/assignment_controller_internal.h"

namespace vigil::controllers {

using internal::kOperationKeyPrefix;

absl::Duration AssignmentControllerStats::AverageTotalCpu() const {
  return reconciles == 0 ? absl::ZeroDuration() : sum_total_cpu / reconciles;
}

absl::Duration AssignmentControllerStats::AverageDecideCpu() const {
  return group_reconciles == 0 ? absl::ZeroDuration()
                               : sum_decide_cpu / group_reconciles;
}

AssignmentController::AssignmentController(client::Client* client,
                                           AssignmentControllerOptions options)
    : client_(client),
      options_(std::move(options)),
      queue_(options_.queue),
      groups_(client, "ServiceGroup"),
      units_(client, "ServiceUnit"),
      instances_(client, "ServiceInstance"),
      nodes_(client, "Node"),
      operations_(client, "Operation"),
      components_(client, "Component"),
      overlay_(std::make_unique<Overlay>()) {}

AssignmentController::~AssignmentController() { Stop(); }

absl::Status AssignmentController::Start() {
  AddHandlers();
  Informer* informers[] = {&groups_,     &units_,      &instances_,
                           &nodes_,      &operations_, &components_};
  for (Informer* informer : informers) informer->Start();
  const auto deadline = std::chrono::steady_clock::now() + options_.sync_timeout;
  for (Informer* informer : informers) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) {
      for (Informer* started : informers) started->Stop();
      return absl::DeadlineExceededError(
          absl::StrCat("assignment controller: the ", informer->kind(),
                        " informer did not sync within ",
                        options_.sync_timeout.count(), "ms"));
    }
  }
  running_ = true;
  for (int i = 0; i < std::max(options_.workers, 1); ++i) {
    workers_.emplace_back([this] { RunWorker(); });
  }
  return absl::OkStatus();
}

void AssignmentController::Stop() {
  queue_.ShutDown();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  for (Informer* informer : {&groups_, &units_, &instances_, &nodes_, &operations_,
                             &components_}) {
    informer->Stop();
  }
  running_ = false;
}

AssignmentControllerStats AssignmentController::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void AssignmentController::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "assignment-controller: " << line << std::endl;
  }
}

// ---- Event handlers: only index and enqueue. ----

void AssignmentController::AddHandlers() {
  using namespace std::placeholders;
  groups_.AddHandler(std::bind(&AssignmentController::OnGroup, this, _1, _2));
  units_.AddHandler(std::bind(&AssignmentController::OnUnit, this, _1, _2));
  instances_.AddHandler(std::bind(&AssignmentController::OnInstance, this, _1, _2));
  nodes_.AddHandler(std::bind(&AssignmentController::OnNode, this, _1, _2));
  operations_.AddHandler(std::bind(&AssignmentController::OnOperation, this, _1, _2));
  components_.AddHandler(std::bind(&AssignmentController::OnComponent, this, _1, _2));
}

void AssignmentController::OnGroup(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  queue_.Add(api::NameOf(new_obj ? *new_obj : *old_obj));
}

void AssignmentController::OnUnit(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const std::string name = api::NameOf(new_obj ? *new_obj : *old_obj);
  // Indexes first: the worker may take the key the moment it is added, and
  // gathers the group's members through them.
  unit_group_.Set(name, {new_obj ? internal::SpecString(*new_obj, "serviceGroup") : ""});
  unit_node_.Set(name, {new_obj ? internal::SpecString(*new_obj, "node") : ""});
  EnqueueGroupsOf(old_obj, new_obj);
  EnqueueOperationsOn(name);
  // A Repaired operation on the unit's node waits for its units too.
  if (new_obj) EnqueueOperationsOn(internal::SpecString(*new_obj, "node"));
}

void AssignmentController::OnInstance(const ObjectPtr& old_obj,
                                      const ObjectPtr& new_obj) {
  const std::string name = api::NameOf(new_obj ? *new_obj : *old_obj);
  instance_group_.Set(name,
                      {new_obj ? internal::SpecString(*new_obj, "serviceGroup") : ""});
  sponsors_.Set(name, new_obj ? internal::SponsorNames(*new_obj)
                              : std::vector<std::string>{});
  EnqueueGroupsOf(old_obj, new_obj);  // after the indexes, as for units
  // A sponsor's change matters to the groups of its dependents, and a VM's
  // SI to the groups with units on the nodes that VM hosts.
  for (const std::string& dependent : sponsors_.MembersOf(name)) {
    for (const std::string& group : instance_group_.KeysOf(dependent)) queue_.Add(group);
  }
  for (const std::string& hosted : node_host_.MembersOf(name)) {
    EnqueueGroupsOfUnits(unit_node_.MembersOf(hosted));
  }
  EnqueueOperationsOn(name);
}

void AssignmentController::OnNode(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  const std::string name = api::NameOf(new_obj ? *new_obj : *old_obj);
  node_host_.Set(name, {new_obj ? internal::SpecString(*new_obj, "hostedBy") : ""});
  // Heartbeats change nothing the core sees: only spec and Ready matter.
  if (old_obj && new_obj && !internal::NodeMatters(*old_obj, *new_obj)) return;
  EnqueueGroupsOfUnits(unit_node_.MembersOf(name));
  EnqueueOperationsOn(name);
}

void AssignmentController::OnOperation(const ObjectPtr& old_obj,
                                       const ObjectPtr& new_obj) {
  const std::string name = api::NameOf(new_obj ? *new_obj : *old_obj);
  targets_.Set(name, {new_obj ? internal::SpecString(*new_obj, "target") : ""});
  queue_.Add(std::string(kOperationKeyPrefix) + name);
}

void AssignmentController::OnComponent(const ObjectPtr& old_obj,
                                       const ObjectPtr& new_obj) {
  EnqueueOperationsOn(api::NameOf(new_obj ? *new_obj : *old_obj));
}

// The groups `spec.serviceGroup` named before and after a change.
void AssignmentController::EnqueueGroupsOf(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  for (const ObjectPtr& obj : {old_obj, new_obj}) {
    if (obj) queue_.Add(internal::SpecString(*obj, "serviceGroup"));
  }
}

void AssignmentController::EnqueueGroupsOfUnits(const std::vector<std::string>& units) {
  for (const std::string& unit : units) {
    for (const std::string& group : unit_group_.KeysOf(unit)) queue_.Add(group);
  }
}

void AssignmentController::EnqueueOperationsOn(const std::string& target) {
  for (const std::string& op : targets_.MembersOf(target)) {
    queue_.Add(std::string(kOperationKeyPrefix) + op);
  }
}

// ---- Worker ----

void AssignmentController::RunWorker() {
  while (std::optional<std::string> key = queue_.Get()) {
    Process(*key);
    queue_.Done(*key);
  }
}

void AssignmentController::Process(const std::string& key) {
  const absl::Duration cpu_start = internal::ThreadCpu();
  const absl::Time now = options_.clock();
  const bool is_operation = key.rfind(kOperationKeyPrefix, 0) == 0;
  const bool ok = is_operation
                      ? ReconcileOperationKey(key.substr(kOperationKeyPrefix.size()), now)
                      : ReconcileGroupKey(key, now);
  if (ok) {
    queue_.Forget(key);
  } else {
    queue_.AddRateLimited(key);
  }
  const absl::Duration cpu = internal::ThreadCpu() - cpu_start;
  std::lock_guard lock(stats_mu_);
  ++stats_.reconciles;
  if (!ok) ++stats_.errors;
  stats_.last_total_cpu = cpu;
  stats_.sum_total_cpu += cpu;
  stats_.max_total_cpu = std::max(stats_.max_total_cpu, cpu);
  if (options_.debug) {
    Log(absl::StrCat("reconciled ", key, " in ", absl::FormatDuration(cpu),
                     " CPU (decide ", absl::FormatDuration(stats_.last_decide_cpu),
                     "; average ", absl::FormatDuration(stats_.AverageTotalCpu()), ")"));
  }
}

}  // namespace vigil::controllers
