// AssignmentController: the reconcile of one key (a group or an operation),
// reading the informer caches and writing statuses through the Client.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/types.h"
#include "controllers/assignment_controller.h"
#include "controllers/assignment_controller_internal.h"
#include "controllers/group_status.h"
#include "controllers/operation_progress.h"

namespace vigil::controllers {
namespace internal {

std::string SpecString(const api::Json& obj, const char* field) {
  auto spec = obj.find("spec");
  if (spec == obj.end() || !spec->is_object()) return "";
  auto value = spec->find(field);
  return value != spec->end() && value->is_string() ? value->get<std::string>() : "";
}

std::vector<std::string> SponsorNames(const api::Json& obj) {
  std::vector<std::string> names;
  auto spec = obj.find("spec");
  if (spec == obj.end() || !spec->is_object()) return names;
  auto depends = spec->find("dependsOn");
  if (depends == spec->end() || !depends->is_array()) return names;
  for (const api::Json& entry : *depends) {
    if (!entry.is_object()) continue;
    auto name = entry.find("serviceInstance");
    if (name != entry.end() && name->is_string()) names.push_back(name->get<std::string>());
  }
  return names;
}

namespace {

std::string ReadyStatus(const api::Json& node) {
  auto status = node.find("status");
  if (status == node.end() || !status->is_object()) return "";
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return "";
  for (const api::Json& c : *conditions) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "");
  }
  return "";
}

}  // namespace

bool NodeMatters(const api::Json& old_obj, const api::Json& new_obj) {
  auto fencing = [](const api::Json& node) {
    const api::Json f =
        node.value("status", api::Json::object()).value("fencing", api::Json::object());
    return f.value("phase", "") + "/" + f.value("outage", "");
  };
  return old_obj.value("spec", api::Json()) != new_obj.value("spec", api::Json()) ||
         old_obj["metadata"].value("deletionTimestamp", "") !=
             new_obj["metadata"].value("deletionTimestamp", "") ||
         ReadyStatus(old_obj) != ReadyStatus(new_obj) ||
         fencing(old_obj) != fencing(new_obj);
}

absl::Duration ThreadCpu() {
  // Same account as getrusage(RUSAGE_THREAD) (user + system), but with
  // nanosecond resolution instead of scheduler ticks.
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  return absl::DurationFromTimespec(cpu);
}

int64_t RevisionOf(const api::Json& obj) {
  int64_t revision = 0;
  return absl::SimpleAtoi(api::ResourceVersionOf(obj), &revision) ? revision : 0;
}

}  // namespace internal

namespace {

bool IsSwap(const api::Json& op) {
  return internal::SpecString(op, "action") == "SwapServiceInstance";
}

// Time until `at`, rounded up, plus a millisecond so the key comes back
// after (not just before) the core's deadline.
std::chrono::milliseconds DelayUntil(absl::Time at, absl::Time now) {
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(at - now, absl::Milliseconds(1)));
  return std::chrono::milliseconds(std::max<int64_t>(ms, 0) + 1);
}

}  // namespace

ObjectPtr AssignmentController::Fetch(Informer& informer, const std::string& name) {
  ObjectPtr cached = informer.Get(name);
  const std::string key = absl::StrCat(informer.kind(), "/", name);
  auto it = overlay_->written.find(key);
  if (it == overlay_->written.end()) return cached;
  if (cached != nullptr &&
      internal::RevisionOf(*it->second) > internal::RevisionOf(*cached)) {
    return it->second;
  }
  overlay_->written.erase(it);  // the informer caught up (or it was deleted)
  return cached;
}

GroupObjects AssignmentController::Gather(const ObjectPtr& group) {
  GroupObjects objects;
  objects.group = group;
  const std::string name = api::NameOf(*group);
  std::set<std::string> node_names, sponsor_names;
  for (const std::string& unit : unit_group_.MembersOf(name)) {
    ObjectPtr obj = units_.Get(unit);
    if (obj == nullptr) continue;
    objects.units.push_back(obj);
    node_names.insert(internal::SpecString(*obj, "node"));
  }
  const std::vector<std::string> members = instance_group_.MembersOf(name);
  const std::set<std::string> own(members.begin(), members.end());
  for (const std::string& si : members) {
    ObjectPtr obj = Fetch(instances_, si);
    if (obj == nullptr) continue;
    objects.instances.push_back(obj);
    for (const std::string& sponsor : internal::SponsorNames(*obj)) {
      if (!own.count(sponsor)) sponsor_names.insert(sponsor);
    }
    for (const std::string& op : targets_.MembersOf(si)) {
      ObjectPtr op_obj = Fetch(operations_, op);
      if (op_obj != nullptr && IsSwap(*op_obj)) objects.operations.push_back(op_obj);
    }
  }
  for (const std::string& node : node_names) {
    ObjectPtr obj = nodes_.Get(node);
    if (obj == nullptr) continue;
    objects.nodes.push_back(obj);
    const std::string host = internal::SpecString(*obj, "hostedBy");
    if (host.empty()) continue;
    if (ObjectPtr host_obj = Fetch(instances_, host)) objects.hosts.push_back(host_obj);
  }
  for (const std::string& sponsor : sponsor_names) {
    if (ObjectPtr obj = Fetch(instances_, sponsor)) objects.sponsors.push_back(obj);
  }
  return objects;
}

bool AssignmentController::WriteStatus(const api::Json& obj) {
  client::WriteOptions write;
  write.user = options_.user;
  return RecordWrite(obj, client_->UpdateStatus(obj, write));
}

// The writes go out from up to kConcurrentStatusWrites threads: the store
// commits concurrent writes together, in one disk sync, where one after the
// other each waited for its own (a 2N group failing over writes all its SIs
// at once). Each write is a compare-and-swap of its own object, so their
// order does not matter.
bool AssignmentController::WriteStatuses(const std::vector<api::Json>& objs) {
  if (objs.size() <= 1) return objs.empty() || WriteStatus(objs.front());
  client::WriteOptions write;
  write.user = options_.user;
  std::vector<absl::StatusOr<api::Json>> written(objs.size(), absl::UnknownError("not sent"));
  std::atomic<size_t> next{0};
  auto send = [&] {
    for (size_t i = next++; i < objs.size(); i = next++) {
      written[i] = client_->UpdateStatus(objs[i], write);
    }
  };
  std::vector<std::thread> senders;
  const size_t threads = std::min(objs.size(), kConcurrentStatusWrites);
  for (size_t t = 1; t < threads; ++t) senders.emplace_back(send);
  send();
  for (std::thread& sender : senders) sender.join();
  bool ok = true;
  for (size_t i = 0; i < objs.size(); ++i) ok = RecordWrite(objs[i], std::move(written[i])) && ok;
  return ok;
}

bool AssignmentController::RecordWrite(const api::Json& obj, absl::StatusOr<api::Json> written) {
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.writes;
    if (!written.ok() && absl::IsAborted(written.status())) ++stats_.conflicts;
  }
  if (!written.ok()) {
    if (!absl::IsAborted(written.status()) && !absl::IsNotFound(written.status())) {
      Log(absl::StrCat("writing the status of ", api::KindOf(obj), " ",
                       api::NameOf(obj), ": ", written.status().ToString()));
    }
    return false;
  }
  // The key first: the right side of `=` is evaluated (and moved) first.
  const std::string key = absl::StrCat(api::KindOf(*written), "/", api::NameOf(*written));
  std::lock_guard lock(decide_mu_);
  overlay_->written[key] = std::make_shared<const api::Json>(*std::move(written));
  return true;
}

void AssignmentController::LogChanges(const std::string& group,
                                      const GroupReconcile& result) {
  for (const AppliedChange& change : result.changes) {
    Log(absl::StrCat("group ", group, ": ", DescribeChange(change)));
  }
  for (const core::SwapProgress& swap : result.swaps) {
    if (swap.phase == core::SwapPhase::kDone || swap.phase == core::SwapPhase::kRejected) {
      Log(absl::StrCat("group ", group, ": swap of ", swap.instance, " ",
                       core::ToString(swap.phase), ": ", swap.message));
    }
  }
}

absl::StatusOr<GroupReconcile> AssignmentController::Decide(const ObjectPtr& group,
                                                             absl::Time now) {
  const absl::Duration cpu_start = internal::ThreadCpu();
  absl::StatusOr<GroupReconcile> result = ReconcileGroup(Gather(group), now, &overlay_->views);
  std::lock_guard lock(stats_mu_);
  stats_.last_decide_cpu = internal::ThreadCpu() - cpu_start;
  stats_.sum_decide_cpu += stats_.last_decide_cpu;
  ++stats_.group_reconciles;
  if (result.ok()) stats_.changes += static_cast<int64_t>(result->changes.size());
  return result;
}

bool AssignmentController::ReconcileGroupKey(const std::string& name, absl::Time now) {
  std::unique_lock lock(decide_mu_);
  ObjectPtr group = Fetch(groups_, name);
  if (group == nullptr) {
    std::vector<api::Json> releases = OrphanReleases(name, now);
    lock.unlock();
    return WriteStatuses(releases);
  }
  absl::StatusOr<GroupReconcile> result = Decide(group, now);
  lock.unlock();
  if (!result.ok()) {
    Log(absl::StrCat("group ", name, " unreadable: ", result.status().ToString()));
    return true;  // retrying cannot help; the next change of it will
  }
  if (options_.debug) {
    for (const std::string& problem : result->unreadable) {
      Log(absl::StrCat("group ", name, ": skipped unreadable ", problem));
    }
  }
  // Operations' progress (what a swap has started) first, then the
  // assignments agents act on, then the group's summary: a failover's
  // promotion must not wait behind the summary for the store's disk sync.
  bool ok = true;
  for (const api::Json& op : result->operation_writes) ok = ok && WriteStatus(op);
  if (ok) ok = WriteStatuses(result->instance_writes);
  if (ok && result->group_write) ok = WriteStatus(*result->group_write);
  if (!ok) return false;
  LogChanges(name, *result);
  if (result->requeue_at != absl::InfiniteFuture()) {
    queue_.AddAfter(name, DelayUntil(result->requeue_at, now));
  }
  return true;
}

std::vector<api::Json> AssignmentController::OrphanReleases(const std::string& group,
                                                            absl::Time now) {
  std::vector<api::Json> releases;
  for (const std::string& name : instance_group_.MembersOf(group)) {
    ObjectPtr obj = Fetch(instances_, name);
    if (obj == nullptr) continue;
    absl::StatusOr<api::ServiceInstance> si = api::FromJson<api::ServiceInstance>(*obj);
    if (!si.ok()) continue;
    api::Json status = api::ToJson(OrphanInstanceStatus(*si, now));
    if (obj->value("status", api::Json()) == status) continue;
    api::Json copy = *obj;
    copy["status"] = std::move(status);
    if (!si->status.assignments.empty()) {
      Log(absl::StrCat("group ", group, " not found: releasing ", name));
    }
    releases.push_back(std::move(copy));
  }
  return releases;
}

namespace {

// Typed copies of the objects an operation may name.
struct TypedTargets {
  std::optional<api::ServiceInstance> instance;
  std::optional<api::ServiceUnit> unit;
  std::optional<api::Component> component;
  std::optional<api::Node> node;
  std::vector<api::ServiceUnit> node_units;

  OperationTargets Pointers() const {
    OperationTargets pointers;
    pointers.instance = instance ? &*instance : nullptr;
    pointers.unit = unit ? &*unit : nullptr;
    pointers.component = component ? &*component : nullptr;
    pointers.node = node ? &*node : nullptr;
    for (const api::ServiceUnit& u : node_units) pointers.node_units.push_back(&u);
    return pointers;
  }
};

template <typename T>
std::optional<T> ReadOptional(const ObjectPtr& obj) {
  if (obj == nullptr) return std::nullopt;
  absl::StatusOr<T> typed = api::FromJson<T>(*obj);
  if (!typed.ok()) return std::nullopt;
  return *std::move(typed);
}

}  // namespace

bool AssignmentController::ReconcileOperationKey(const std::string& name,
                                                 absl::Time now) {
  std::unique_lock lock(decide_mu_);
  ObjectPtr obj = Fetch(operations_, name);
  if (obj == nullptr) return true;
  absl::StatusOr<api::Operation> op = api::FromJson<api::Operation>(*obj);
  if (!op.ok() || OperationFinished(*op)) return true;
  const std::string& target = op->spec.target;
  TypedTargets typed;
  typed.instance = ReadOptional<api::ServiceInstance>(Fetch(instances_, target));
  typed.unit = ReadOptional<api::ServiceUnit>(units_.Get(target));
  typed.component = ReadOptional<api::Component>(components_.Get(target));
  typed.node = ReadOptional<api::Node>(nodes_.Get(target));
  if (typed.node) {
    for (const std::string& name : unit_node_.MembersOf(target)) {
      std::optional<api::ServiceUnit> unit = ReadOptional<api::ServiceUnit>(units_.Get(name));
      if (unit) typed.node_units.push_back(*std::move(unit));
    }
  }
  if (op->spec.action == api::OperationAction::kSwapServiceInstance && typed.instance) {
    queue_.Add(typed.instance->spec.service_group);  // the group's core runs swaps
    return true;
  }
  std::optional<api::OperationStatus> next =
      NextOperationStatus(*op, typed.Pointers(), now);
  if (!next) return true;
  api::Json status = api::ToJson(*next);
  if (obj->value("status", api::Json()) == status) return true;
  api::Json copy = *obj;
  copy["status"] = std::move(status);
  lock.unlock();
  return WriteStatus(copy);
}

}  // namespace vigil::controllers
