#include "agent/node_agent.h"

#include <filesystem>
#include <future>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "agent/local_api.h"
#include "agent/node_agent_internal.h"

namespace vigil::agent {

using api::Json;

namespace {

// Whether the node is marked not Ready (its lease expired, so its units were
// failed over): its units then come back into service with this agent.
bool NodeFailedOver(const NodeView& view) {
  if (!view.node.has_value()) return false;
  for (const api::Condition& c : view.node->status.conditions) {
    if (c.type == "Ready") return c.status == api::ConditionStatus::kFalse;
  }
  return false;
}

}  // namespace

std::string ComponentKind(const api::ComponentSpec& spec) {
  if (spec.exec.has_value()) return "exec";
  if (spec.sa_aware.has_value()) return "saAware";
  if (spec.virtual_machine.has_value()) return "virtualMachine";
  return "";
}

NodeAgent::NodeAgent(client::Client* client, NodeAgentOptions options)
    : client_(client),
      options_(std::move(options)),
      node_informer_(client, "Node"),
      group_informer_(client, "ServiceGroup"),
      unit_informer_(client, "ServiceUnit"),
      component_informer_(client, "Component"),
      instance_informer_(client, "ServiceInstance"),
      operation_informer_(client, "Operation"),
      writer_([this](const std::string& line) { Log(line); }) {
  if (options_.user.empty()) options_.user = "agent/" + options_.node;
}

NodeAgent::~NodeAgent() { Stop(); }

std::string NodeAgent::state_path() const {
  return AgentRecordPath(options_.data_dir, options_.node);
}

void NodeAgent::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "agent " << options_.node << ": " << line << std::endl;
  }
}

std::string NodeAgent::Now() const { return FormatTime(std::chrono::system_clock::now()); }

// Creates this node's Node object unless it exists (a remote agent's node
// may not be declared yet).
static absl::Status RegisterNode(client::Client* client, const std::string& node,
                                 const std::string& user) {
  Json obj = {{"apiVersion", std::string(api::kApiVersion)},
              {"kind", "Node"},
              {"metadata", {{"name", node}}},
              {"spec", Json::object()}};
  absl::StatusOr<Json> created = client->Create(obj, {.dry_run = false, .user = user});
  if (created.ok() || absl::IsAlreadyExists(created.status())) return absl::OkStatus();
  return created.status();
}

absl::Status NodeAgent::Start() {
  if (options_.node.empty() || options_.data_dir.empty()) {
    return absl::InvalidArgumentError("the node agent needs a node name and a data dir");
  }
  std::error_code error;
  std::filesystem::create_directories(log_dir(), error);
  if (error) {
    return absl::InternalError("cannot create " + log_dir() + ": " + error.message());
  }
  if (absl::Status s = RegisterNode(client_, options_.node, options_.user); !s.ok()) {
    return absl::Status(s.code(), "registering node: " + std::string(s.message()));
  }
  absl::StatusOr<AdoptionRecords> records = LoadAdoptionRecords(state_path());
  if (!records.ok()) Log(std::string(records.status().message()) + "; adopting nothing");
  adoption_ = records.value_or(AdoptionRecords{});
  saved_records_ = adoption_;
  KillUnrecorded();
  if (absl::Status s = monitor_.Start(); !s.ok()) return s;
  AddInformerHandlers();
  controllers::Informer* informers[] = {&node_informer_,     &group_informer_,
                                        &unit_informer_,     &component_informer_,
                                        &instance_informer_, &operation_informer_};
  for (controllers::Informer* informer : informers) informer->Start();
  for (controllers::Informer* informer : informers) {
    if (!informer->WaitForSync(options_.sync_timeout)) {
      Stop();
      return absl::DeadlineExceededError("informer for " + informer->kind() + " did not sync");
    }
  }
  writer_.Start();
  loop_.Start();
  started_ = true;
  if (absl::Status s = StartLease(); !s.ok()) {
    Stop();
    return s;
  }
  loop_.RunSync([this] {
    Reconcile();
    AdoptOrphans();
    Heartbeat();
  });
  // After the first reconcile: adopted components registering again find
  // their runners.
  if (absl::Status s = StartLocalApi(); !s.ok()) {
    Stop();
    return s;
  }
  Log(absl::StrCat("started (", components_by_name_.size(), " components, data dir ",
                   options_.data_dir, ")"));
  return absl::OkStatus();
}

void NodeAgent::Stop() {
  if (lease_ != nullptr) lease_->Stop();  // first: no self-fencing on the way out
  controllers::Informer* informers[] = {&node_informer_,     &group_informer_,
                                        &unit_informer_,     &component_informer_,
                                        &instance_informer_, &operation_informer_};
  for (controllers::Informer* informer : informers) informer->Stop();
  // Runners are detached (their timers cancelled) before the local API
  // goes: components whose sessions close must not be seen missing their
  // heartbeats by an agent on its way out. Registrations meanwhile are told
  // to retry, not refused.
  if (started_) {
    loop_.RunSync([this] {
      stopping_ = true;
      SaveAdoption();
      for (auto& [name, entry] : components_by_name_) entry->runner->Detach();
    });
  }
  StopLocalApi();
  if (started_) loop_.RunSync([this] { components_by_name_.clear(); });
  loop_.Stop();
  monitor_.Stop();
  writer_.Stop();
  started_ = false;
  stopping_ = false;
}

bool NodeAgent::StopAllComponents(std::chrono::milliseconds timeout) {
  loop_.RunSync([this] {
    stop_all_ = true;
    for (auto& [name, entry] : components_by_name_) entry->runner->SetEnabled(false);
  });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool stopped = true;
    loop_.RunSync([&] {
      for (auto& [name, entry] : components_by_name_) stopped &= entry->runner->Stopped();
      if (stopped) SaveAdoption();
    });
    if (stopped) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A reconcile reads the whole view, and in a large cluster most events
// concern other nodes: events of Nodes, ServiceUnits, Components and
// ServiceInstances schedule one only when they concern this node (its Node,
// its units, their components, SIs assigned to them), before or after the
// change. Skipping the others is safe: a unit that becomes local schedules a
// reconcile of its own, which reads every object from the (already updated)
// caches. Groups and Operations always do (few, and rarely written).
void NodeAgent::AddInformerHandlers() {
  auto changed = [this](const controllers::ObjectPtr&, const controllers::ObjectPtr&) {
    ScheduleReconcile();
  };
  group_informer_.AddHandler(changed);
  operation_informer_.AddHandler(changed);
  auto when = [this](bool (NodeAgent::*concerns)(const api::Json&) const) {
    return [this, concerns](const controllers::ObjectPtr& old_obj,
                            const controllers::ObjectPtr& new_obj) {
      if ((old_obj != nullptr && (this->*concerns)(*old_obj)) ||
          (new_obj != nullptr && (this->*concerns)(*new_obj))) {
        ScheduleReconcile();
      }
    };
  };
  node_informer_.AddHandler(when(&NodeAgent::IsThisNode));
  unit_informer_.AddHandler(when(&NodeAgent::IsLocalUnit));
  component_informer_.AddHandler(when(&NodeAgent::IsOfLocalUnit));
  instance_informer_.AddHandler(when(&NodeAgent::IsAssignedHere));
}

namespace {

// The string at obj[outer][inner], or "" if there is none.
const std::string& StringAt(const api::Json& obj, const char* outer, const char* inner) {
  static const std::string kNone;
  auto o = obj.find(outer);
  if (o == obj.end() || !o->is_object()) return kNone;
  auto i = o->find(inner);
  return i != o->end() && i->is_string() ? i->get_ref<const std::string&>() : kNone;
}

}  // namespace

bool NodeAgent::IsThisNode(const api::Json& node) const {
  return StringAt(node, "metadata", "name") == options_.node;
}

bool NodeAgent::IsLocalUnit(const api::Json& unit) const {
  return StringAt(unit, "spec", "node") == options_.node;
}

bool NodeAgent::IsLocalUnitName(const std::string& unit) const {
  controllers::ObjectPtr obj = unit_informer_.Get(unit);
  return obj != nullptr && IsLocalUnit(*obj);
}

bool NodeAgent::IsOfLocalUnit(const api::Json& component) const {
  return IsLocalUnitName(StringAt(component, "spec", "serviceUnit"));
}

bool NodeAgent::IsAssignedHere(const api::Json& instance) const {
  return AssignedToAny(instance, [this](const std::string& unit) { return IsLocalUnitName(unit); });
}

// Coalesces bursts of events into one reconcile on the loop. Under a
// sustained stream of events the next reconcile starts no sooner than the
// last one took after it ended, so reconciling uses at most half of a core
// (a reconcile reads the whole view: tens of ms with 10,000 SIs) and leaves
// the rest of the machine, the lease renewals included, room to run. An
// idle agent reconciles at once.
void NodeAgent::ScheduleReconcile() {
  if (reconcile_pending_.exchange(true)) return;
  loop_.Post([this] {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
        next_reconcile_ - std::chrono::steady_clock::now());
    if (wait.count() <= 0) return RunScheduledReconcile();
    loop_.PostAfter(wait, [this] { RunScheduledReconcile(); });
  });
}

void NodeAgent::RunScheduledReconcile() {
  reconcile_pending_ = false;
  const auto start = std::chrono::steady_clock::now();
  Reconcile();
  const auto end = std::chrono::steady_clock::now();
  next_reconcile_ = end + (end - start);
}

void NodeAgent::ScheduleStatus() {
  if (status_pending_.exchange(true)) return;
  loop_.Post([this] {
    status_pending_ = false;
    WriteStatuses();
  });
}

NodeView NodeAgent::ReadView() {
  NodeViewSources sources{.nodes = node_informer_.List(),
                          .groups = group_informer_.List(),
                          .units = unit_informer_.List(),
                          .components = component_informer_.List(),
                          .instances = instance_informer_.List(),
                          .operations = operation_informer_.List()};
  return ReadNodeView(options_.node, sources, view_cache_);
}

void NodeAgent::Reconcile() {
  view_ = ReadView();
  const bool returning = NodeFailedOver(view_);
  for (const auto& [name, unit] : view_.units) {
    auto [it, added] = unit_states_.try_emplace(name);
    if (!added) continue;
    it->second = std::make_unique<UnitState>();
    // Keep what an earlier agent reported, so probation does not restart;
    // unless the node was failed over meanwhile: then its units return to
    // service now, and auto-adjust's probation counts from now.
    it->second->in_service_since = unit.status.in_service_since;
    it->second->in_service =
        !returning && unit.status.readiness_state == api::ReadinessState::kInService;
    it->second->reached = unit.status.ha_states;
    it->second->restart_count = unit.status.restart_count;
    it->second->last_failure = unit.status.last_failure;
    if (controllers::ObjectPtr obj = unit_informer_.Get(name); obj && obj->contains("status")) {
      it->second->last_status = (*obj)["status"];
    }
  }
  std::erase_if(unit_states_,
                [&](const auto& entry) { return !view_.units.contains(entry.first); });
  EnsureRunners();
  ApplyDesired();
  HandleOperations();
  MaybeRepair();
  RetireRemovedRunners();
  WriteStatuses();
  SaveAdoption();
}

}  // namespace vigil::agent
