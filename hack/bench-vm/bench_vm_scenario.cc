// VmScenario: see bench_vm_scenario.h.
#include "hack/bench-vm/bench_vm_scenario.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vigil::bench {
namespace {

using api::Json;

constexpr absl::Duration kStepTimeout = absl::Seconds(30);
// An active whose guest was not heard for this long is not serving (it
// ticks every millisecond).
constexpr absl::Duration kServingGap = absl::Milliseconds(100);
constexpr char kHypervisor[] = "qemu:///system";

Json Meta(const std::string& kind, const std::string& name) {
  return Json{{"apiVersion", "vigil.io/v1"},
              {"kind", kind},
              {"metadata",
               {{"name", name}, {"labels", {{"app.kubernetes.io/part-of", "vigil-bench-vm"}}}}}};
}

Json WithSpec(Json obj, Json spec) {
  obj["spec"] = std::move(spec);
  return obj;
}

// A hypervisor node; many unit failovers are expected on it, so its
// unit-failover limit (the recovery ladder's node rung) is set out of reach.
Json NodeObject(const std::string& name) {
  return WithSpec(Meta("Node", name), {{"hypervisor", kHypervisor}, {"unitFailoverMax", 100000}});
}

Json GroupObject(const std::string& name) {
  return WithSpec(Meta("ServiceGroup", name),
                  {{"redundancyModel", "2N"},
                   {"autoRepair", true},
                   {"recovery", {{"componentRestartMax", 100000}}}});
}

Json VmComponent(const std::string& name, const std::string& unit, const std::string& domain_xml,
                 const std::string& recovery) {
  return WithSpec(Meta("Component", name),
                  {{"serviceUnit", unit},
                   {"csTypes", {"vm"}},
                   {"recovery", recovery},
                   {"virtualMachine",
                    {{"domainXML", domain_xml},
                     {"shutdownTimeout", "500ms"},
                     {"startTimeout", "60s"}}}});
}

VmGroup MakeGroup(const std::string& tag, const std::string& prefix) {
  VmGroup g;
  g.group = "bench-" + tag;
  g.si = g.group + "-si";
  for (int i = 0; i < 2; ++i) {
    const std::string letter = i == 0 ? "a" : "b";
    g.units[i] = g.group + "-" + letter;
    g.components[i] = g.units[i] + "-vm";
    g.domains[i] = prefix + tag + "-" + letter;
  }
  return g;
}

std::optional<absl::Time> ParseRfc3339(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return time;
}

std::string StringAt(const Json& json, const std::string& pointer) {
  const Json::json_pointer at(pointer);
  if (!json.contains(at) || !json.at(at).is_string()) return "";
  return json.at(at).get<std::string>();
}

// The Assigned condition of an SI status: {status, lastTransitionTime}.
std::pair<std::string, std::string> AssignedCondition(const Json& status) {
  for (const Json& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == "Assigned") {
      return {c.value("status", ""), c.value("lastTransitionTime", "")};
    }
  }
  return {"", ""};
}

bool Confirmed(const Json& instance_status, const std::string& unit, const std::string& ha_state) {
  for (const Json& a : instance_status.value("assignments", Json::array())) {
    if (a.value("unit", "") == unit && a.value("haState", "") == ha_state &&
        a.value("confirmed", false)) {
      return true;
    }
  }
  return false;
}

bool Serving(TickProbe& ticks, const std::string& domain) {
  const std::optional<absl::Time> heard = ticks.LastHeard(domain);
  return heard && absl::Now() - *heard < kServingGap;
}

Sample Measured(const std::string& from, const std::string& to, absl::Time killed,
                absl::Time failed, absl::Time confirmed) {
  Sample s;
  s.from = from;
  s.to = to;
  s.reaction = failed - killed;
  s.recovery = confirmed - failed;
  s.outage = confirmed - killed;
  return s;
}

}  // namespace

// Status values read just before a kill; a run waits for each to change.
struct VmScenario::Before {
  std::string failure;   // the component's lastFailure.time
  std::string assigned;  // the SI's Assigned lastTransitionTime
  std::string repair;    // the unit's inServiceSince or the component's startTime
};

VmScenario::VmScenario(BenchCluster* cluster, LibvirtProbe* probe, std::string prefix,
                       GuestImage guest)
    : cluster_(cluster),
      probe_(probe),
      prefix_(std::move(prefix)),
      guest_(std::move(guest)),
      failover_(MakeGroup("fo", prefix_)),
      restart_(MakeGroup("rs", prefix_)) {}

std::vector<std::string> VmScenario::Domains() const {
  std::vector<std::string> names = {prefix_ + "probe"};
  for (const VmGroup* g : {&failover_, &restart_}) {
    names.push_back(g->domains[0]);
    names.push_back(g->domains[1]);
  }
  return names;
}

std::string VmScenario::DomainXml(const std::string& domain) const {
  return GuestDomainXml(domain, guest_, ticks_->Port(domain));
}

absl::Status VmScenario::Setup() {
  absl::StatusOr<std::unique_ptr<TickProbe>> ticks = TickProbe::Open(Domains());
  if (!ticks.ok()) return ticks.status();
  ticks_ = std::move(*ticks);
  for (const std::string node : {"hv1", "hv2"}) {
    if (absl::Status s = cluster_->Apply(NodeObject(node)); !s.ok()) return s;
  }
  if (absl::Status s = CreateGroup(failover_, "ComponentFailover"); !s.ok()) return s;
  if (absl::Status s = CreateGroup(restart_, "ComponentRestart"); !s.ok()) return s;
  for (const VmGroup* g : {&failover_, &restart_}) {
    absl::StatusOr<int> active = WaitSteady(*g, absl::Seconds(60));
    if (!active.ok()) return active.status();
  }
  return absl::OkStatus();
}

absl::Status VmScenario::CreateGroup(const VmGroup& g, const std::string& recovery) {
  std::vector<Json> objects = {GroupObject(g.group)};
  for (int i = 0; i < 2; ++i) {
    objects.push_back(WithSpec(Meta("ServiceUnit", g.units[i]),
                               {{"serviceGroup", g.group},
                                {"node", i == 0 ? "hv1" : "hv2"},
                                {"rank", i + 1}}));
    objects.push_back(VmComponent(g.components[i], g.units[i], DomainXml(g.domains[i]), recovery));
  }
  objects.push_back(WithSpec(Meta("ServiceInstance", g.si),
                             {{"serviceGroup", g.group},
                              {"csis", Json::array({{{"name", "vm"}, {"csType", "vm"}}})}}));
  for (const Json& obj : objects) {
    if (absl::Status s = cluster_->Apply(obj); !s.ok()) return s;
  }
  return absl::OkStatus();
}

Json VmScenario::StatusOf(const std::string& kind, const std::string& name) {
  absl::StatusOr<Json> obj = cluster_->client().Get(kind, name);
  if (!obj.ok()) return Json::object();
  return obj->value("status", Json::object());
}

// Waits until the SI has a confirmed active on one unit and a confirmed
// standby on the other, with the active's domain running and its guest
// ticking; returns the active unit's index.
absl::StatusOr<int> VmScenario::WaitSteady(const VmGroup& g, absl::Duration timeout) {
  int active = -1;
  const bool steady = WaitUntil(
      [&] {
        const Json si = StatusOf("ServiceInstance", g.si);
        for (int i = 0; i < 2; ++i) {
          if (Confirmed(si, g.units[i], "Active") && Confirmed(si, g.units[1 - i], "Standby") &&
              probe_->Running(g.domains[i]) && Serving(*ticks_, g.domains[i])) {
            active = i;
            return true;
          }
        }
        return false;
      },
      timeout, absl::Milliseconds(20));
  if (!steady) {
    return absl::DeadlineExceededError(absl::StrCat(
        g.si, " has no confirmed active and standby: ", StatusOf("ServiceInstance", g.si).dump()));
  }
  return active;
}

absl::StatusOr<absl::Time> VmScenario::Kill(const std::string& domain) {
  absl::StatusOr<pid_t> pid = probe_->QemuPid(domain);
  if (!pid.ok()) return pid.status();
  const absl::Time killed = absl::Now();
  if (kill(*pid, SIGKILL) != 0) {
    return absl::InternalError(absl::StrCat("kill ", *pid, ": ", std::strerror(errno)));
  }
  killed_.push_back(*pid);
  return killed;
}

absl::StatusOr<absl::Time> VmScenario::WaitStatusTime(const std::string& kind,
                                                      const std::string& name,
                                                      const std::string& field,
                                                      const std::string& previous) {
  std::optional<absl::Time> time;
  const bool changed = WaitUntil(
      [&] {
        const std::string value = StringAt(StatusOf(kind, name), field);
        if (value == previous) return false;
        time = ParseRfc3339(value);
        return time.has_value();
      },
      kStepTimeout);
  if (!changed) {
    return absl::DeadlineExceededError(
        absl::StrCat(kind, " ", name, ": status", field, " did not change from '", previous,
                     "': ", StatusOf(kind, name).dump()));
  }
  return *time;
}

// kill -> the first tick of a guest of `domain` started after the kill.
absl::StatusOr<absl::Duration> VmScenario::WaitServed(const std::string& domain,
                                                      absl::Time killed) {
  std::optional<absl::Time> served = ticks_->WaitStarted(domain, killed, kStepTimeout);
  if (!served) {
    return absl::DeadlineExceededError(
        absl::StrCat("no tick from a guest of ", domain, " started after the kill"));
  }
  return *served - killed;
}

absl::StatusOr<absl::Time> VmScenario::WaitFailure(const std::string& component,
                                                   const std::string& previous) {
  return WaitStatusTime("Component", component, "/lastFailure/time", previous);
}

// Waits until the SI's Assigned condition is True again (its transition time
// moved past `previous`) with a confirmed active on `unit`; returns the
// transition time.
absl::StatusOr<absl::Time> VmScenario::WaitConfirmed(const VmGroup& g, const std::string& unit,
                                                     const std::string& previous) {
  std::optional<absl::Time> time;
  const bool confirmed = WaitUntil(
      [&] {
        const Json si = StatusOf("ServiceInstance", g.si);
        auto [status, transition] = AssignedCondition(si);
        if (status != "True" || transition == previous || !Confirmed(si, unit, "Active")) {
          return false;
        }
        time = ParseRfc3339(transition);
        return time.has_value();
      },
      kStepTimeout);
  if (!confirmed) {
    return absl::DeadlineExceededError(absl::StrCat(g.si, ": no new active confirmed on ", unit,
                                                    ": ", StatusOf("ServiceInstance", g.si).dump()));
  }
  return *time;
}

void VmScenario::Breakdown(const VmGroup& g, int to, absl::Time killed, Sample& sample) {
  for (const Json& a : StatusOf("ServiceInstance", g.si).value("assignments", Json::array())) {
    if (a.value("unit", "") != g.units[to] || a.value("haState", "") != "Active") continue;
    if (std::optional<absl::Time> since = ParseRfc3339(a.value("since", ""))) {
      sample.decided = *since - killed;
    }
  }
  const std::string started = StringAt(StatusOf("Component", g.components[to]), "/startTime");
  if (std::optional<absl::Time> time = ParseRfc3339(started)) sample.running = *time - killed;
}

absl::Status VmScenario::FinishSample(const std::string& domain, absl::Time killed,
                                      Sample& sample) {
  // libvirt's own event is only a comparison: a missing one is reported, not fatal.
  if (std::optional<LibvirtProbe::StopEvent> event =
          probe_->WaitStopped(domain, killed, absl::Seconds(10))) {
    if (event->kind == virt::LifecycleEventKind::kStoppedFailed) {
      sample.libvirt_event = event->received - killed;
    } else {
      sample.libvirt_destroyed_first = true;
    }
  }
  const std::string plain = prefix_ + "probe";
  absl::StatusOr<LibvirtProbe::Started> start = probe_->StartDomain(plain, DomainXml(plain));
  if (!start.ok()) return start.status();
  std::optional<absl::Time> ticked = ticks_->WaitStarted(plain, start->requested, kStepTimeout);
  if (absl::Status destroyed = probe_->Destroy(plain); !destroyed.ok()) return destroyed;
  if (!ticked) return absl::DeadlineExceededError("no tick from the plain domain's guest");
  sample.domain_start = start->running - start->requested;
  sample.domain_ticking = *ticked - start->requested;
  return absl::OkStatus();
}

absl::StatusOr<Sample> VmScenario::FailoverRun() {
  const VmGroup& g = failover_;
  absl::StatusOr<int> from = WaitSteady(g, kStepTimeout);
  if (!from.ok()) return from.status();
  const int i = *from, j = 1 - *from;
  const Before before{StringAt(StatusOf("Component", g.components[i]), "/lastFailure/time"),
                      AssignedCondition(StatusOf("ServiceInstance", g.si)).second,
                      StringAt(StatusOf("ServiceUnit", g.units[i]), "/inServiceSince")};
  absl::StatusOr<absl::Time> killed = Kill(g.domains[i]);
  if (!killed.ok()) return killed.status();
  absl::StatusOr<absl::Time> failed = WaitFailure(g.components[i], before.failure);
  if (!failed.ok()) return failed.status();
  absl::StatusOr<absl::Time> confirmed = WaitConfirmed(g, g.units[j], before.assigned);
  if (!confirmed.ok()) return confirmed.status();
  absl::StatusOr<absl::Time> repaired =
      WaitStatusTime("ServiceUnit", g.units[i], "/inServiceSince", before.repair);
  if (!repaired.ok()) return repaired.status();
  absl::StatusOr<absl::Duration> served = WaitServed(g.domains[j], *killed);
  if (!served.ok()) return served.status();
  Sample s = Measured(g.units[i], g.units[j], *killed, *failed, *confirmed);
  s.repair = *repaired - *failed;
  s.served = *served;
  Breakdown(g, j, *killed, s);
  if (absl::Status done = FinishSample(g.domains[i], *killed, s); !done.ok()) return done;
  return s;
}

absl::StatusOr<Sample> VmScenario::RestartRun() {
  const VmGroup& g = restart_;
  absl::StatusOr<int> active = WaitSteady(g, kStepTimeout);
  if (!active.ok()) return active.status();
  const int i = *active;
  const Json component = StatusOf("Component", g.components[i]);
  const Before before{StringAt(component, "/lastFailure/time"),
                      AssignedCondition(StatusOf("ServiceInstance", g.si)).second,
                      StringAt(component, "/startTime")};
  absl::StatusOr<absl::Time> killed = Kill(g.domains[i]);
  if (!killed.ok()) return killed.status();
  absl::StatusOr<absl::Time> failed = WaitFailure(g.components[i], before.failure);
  if (!failed.ok()) return failed.status();
  absl::StatusOr<absl::Time> running =
      WaitStatusTime("Component", g.components[i], "/startTime", before.repair);
  if (!running.ok()) return running.status();
  absl::StatusOr<absl::Time> confirmed = WaitConfirmed(g, g.units[i], before.assigned);
  if (!confirmed.ok()) return confirmed.status();
  absl::StatusOr<absl::Duration> served = WaitServed(g.domains[i], *killed);
  if (!served.ok()) return served.status();
  Sample s = Measured(g.units[i], g.units[i], *killed, *failed, *confirmed);
  s.repair = *running - *failed;
  s.running = *running - *killed;
  s.served = *served;
  if (absl::Status done = FinishSample(g.domains[i], *killed, s); !done.ok()) return done;
  return s;
}

}  // namespace vigil::bench
