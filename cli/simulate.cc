#include "cli/simulate.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/duration.h"
#include "cli/manifest.h"
#include "controllers/simulator.h"

namespace vigil::cli {
namespace {

using controllers::SimulationEvent;
using Verb = SimulationEvent::Verb;

constexpr char kUsage[] =
    "Usage: vigil simulate -f FILE|DIR [-f ...] [--fail KIND/NAME[@T]] "
    "[--repair KIND/NAME[@T]]\n"
    "         [--lock|--unlock|--shutdown|--lock-instantiation KIND/NAME[@T]] "
    "[--swap si/NAME[@T]]\n"
    "         [--at T] [--until T] [-v] [--confirm-delay T] [--repair-delay T]\n"
    "         [--instantiate-delay T] [--restart-delay T]\n\n"
    "Runs the assignment controller's real logic against a fake clock and fake node\n"
    "agents and prints what would happen: every assignment change, with its reason,\n"
    "then the final assignments. Nothing is sent to a server.\n\n"
    "  -f, --filename     manifests (files or directories), as for apply\n"
    "  --fail             unit/NAME, node/NAME or comp/NAME fails (components climb\n"
    "                     the recovery ladder)\n"
    "  --repair           unit/NAME or node/NAME is repaired\n"
    "  --lock, --unlock, --shutdown, --lock-instantiation\n"
    "                     admin state of unit/, node/, sg/ (and si/ for lock, unlock)\n"
    "  --swap             si/NAME: swap its active and standby (an Operation)\n"
    "  --at T             time of events without @T: those after it if --at comes\n"
    "                     first, else those before it (default 5s)\n"
    "  --until T          end of the simulation (default: 30s after the last event)\n"
    "  -v, --verbose      also print each HA state the agents reach\n"
    "  --confirm-delay T  how long agents take to reach an HA state (default 10ms)\n"
    "  --repair-delay T   failure to auto-repair (default 1s)\n"
    "  --instantiate-delay T, --restart-delay T (defaults 500ms, 200ms)\n";

const std::map<std::string, Verb>& EventFlags() {
  static const auto* const flags = new std::map<std::string, Verb>{
      {"--fail", Verb::kFail},         {"--repair", Verb::kRepair},
      {"--lock", Verb::kLock},         {"--unlock", Verb::kUnlock},
      {"--shutdown", Verb::kShutdown}, {"--lock-instantiation", Verb::kLockInstantiation},
      {"--swap", Verb::kSwap}};
  return *flags;
}

struct Flag {
  std::string name;
  std::string value;
};

// Splits args (after "simulate") into flags with their values, in order.
absl::StatusOr<std::vector<Flag>> SplitFlags(const std::vector<std::string>& args) {
  std::vector<Flag> flags;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    if (name == "-h" || name == "--help" || name == "-v" || name == "--verbose") {
      flags.push_back({name, ""});
      continue;
    }
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name.empty() || name[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", name, "\""));
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      value = args[++i];
    }
    flags.push_back({name, *value});
  }
  return flags;
}

absl::StatusOr<absl::Duration> Duration(const Flag& flag) {
  absl::StatusOr<std::chrono::milliseconds> d = api::ParseDuration(flag.value);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag.name, " ", flag.value, ": ", d.status().message()));
  }
  return absl::FromChrono(*d);
}

struct Plan {
  std::vector<std::string> files;
  std::vector<SimulationEvent> events;
  controllers::SimulationOptions options;
  bool help = false;
};

absl::Status ApplyOption(const Flag& flag, Plan& plan) {
  std::map<std::string, absl::Duration*> durations = {
      {"--until", &plan.options.until},
      {"--confirm-delay", &plan.options.confirm_delay},
      {"--repair-delay", &plan.options.repair_delay},
      {"--instantiate-delay", &plan.options.instantiate_delay},
      {"--restart-delay", &plan.options.restart_delay}};
  if (flag.name == "-f" || flag.name == "--filename") {
    plan.files.push_back(flag.value);
  } else if (flag.name == "-h" || flag.name == "--help") {
    plan.help = true;
  } else if (flag.name == "-v" || flag.name == "--verbose") {
    plan.options.verbose = true;
  } else if (auto it = durations.find(flag.name); it != durations.end()) {
    absl::StatusOr<absl::Duration> d = Duration(flag);
    if (!d.ok()) return d.status();
    *it->second = *d;
  } else if (flag.name != "--at" && !EventFlags().count(flag.name)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag.name));
  }
  return absl::OkStatus();
}

// Whether --at comes before the first event (then each --at times the
// events after it) or after it (then each --at times the events before it
// that have no time yet).
bool AtPrecedesEvents(const std::vector<Flag>& flags) {
  for (const Flag& flag : flags) {
    if (flag.name == "--at") return true;
    if (EventFlags().count(flag.name)) return false;
  }
  return true;
}

// Gives every event without an @TIME suffix its time from the --at flags.
absl::Status TimeEvents(const std::vector<Flag>& flags, Plan& plan) {
  const bool prefix = AtPrecedesEvents(flags);
  absl::Duration at = absl::Seconds(5);
  std::vector<size_t> untimed;  // suffix style: events waiting for an --at
  std::vector<std::pair<size_t, SimulationEvent>> timed;  // by flag position
  auto add = [&](size_t i) -> absl::Status {
    absl::StatusOr<SimulationEvent> event =
        controllers::ParseSimulationEvent(EventFlags().at(flags[i].name), flags[i].value, at);
    if (!event.ok()) return event.status();
    timed.push_back({i, *std::move(event)});
    return absl::OkStatus();
  };
  for (size_t i = 0; i < flags.size(); ++i) {
    if (flags[i].name == "--at") {
      absl::StatusOr<absl::Duration> d = Duration(flags[i]);
      if (!d.ok()) return d.status();
      at = *d;
      for (size_t waiting : untimed) {
        if (absl::Status s = add(waiting); !s.ok()) return s;
      }
      untimed.clear();
    } else if (EventFlags().count(flags[i].name)) {
      if (!prefix && flags[i].value.find('@') == std::string::npos) {
        untimed.push_back(i);
      } else if (absl::Status s = add(i); !s.ok()) {
        return s;
      }
    }
  }
  for (size_t waiting : untimed) {
    if (absl::Status s = add(waiting); !s.ok()) return s;
  }
  // By time; at the same time in command-line order.
  std::sort(timed.begin(), timed.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.at, a.first) < std::tie(b.second.at, b.first);
  });
  for (auto& [i, event] : timed) plan.events.push_back(std::move(event));
  return absl::OkStatus();
}

absl::StatusOr<Plan> MakePlan(const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<Flag>> flags = SplitFlags(args);
  if (!flags.ok()) return flags.status();
  Plan plan;
  for (const Flag& flag : *flags) {
    if (absl::Status s = ApplyOption(flag, plan); !s.ok()) return s;
  }
  if (absl::Status s = TimeEvents(*flags, plan); !s.ok()) return s;
  if (plan.files.empty() && !plan.help) {
    return absl::InvalidArgumentError("-f FILE|DIR is required");
  }
  return plan;
}

// Loads the manifests and events into `sim`; false (problems printed) on error.
bool Load(const Plan& plan, const Streams& io, controllers::Simulator& sim) {
  ManifestSet set = LoadManifests(plan.files, *io.in, Checks::kValidate);
  for (const std::string& problem : set.problems) *io.err << "error: " << problem << "\n";
  if (!set.problems.empty()) return false;
  std::vector<api::Json> objects;
  for (const ManifestObject& m : set.objects) objects.push_back(m.object);
  absl::Status status = sim.AddObjects(objects);
  for (const SimulationEvent& event : plan.events) {
    if (status.ok()) status = sim.AddEvent(event);
  }
  if (!status.ok()) *io.err << "error: " << status.message() << "\n";
  return status.ok();
}

}  // namespace

int RunSimulate(const std::vector<std::string>& args, const Streams& io) {
  absl::StatusOr<Plan> plan = MakePlan(args);
  if (!plan.ok()) {
    *io.err << "error: " << plan.status().message() << "\n\n" << kUsage;
    return 1;
  }
  if (plan->help) {
    *io.out << kUsage;
    return 0;
  }
  controllers::Simulator sim(plan->options);
  if (!Load(*plan, io, sim)) return 1;
  sim.Run();
  for (const std::string& line : sim.timeline()) *io.out << line << "\n";
  *io.out << "\n" << sim.FinalTable();
  return 0;
}

}  // namespace vigil::cli
