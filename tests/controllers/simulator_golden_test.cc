// Simulator golden tests: the full timeline of well-known scenarios, and
// determinism.
#include "controllers/simulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace vigil::controllers {
namespace {

using Verb = SimulationEvent::Verb;

constexpr char kTwoN[] = R"yaml(
apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vlc}
spec: {redundancyModel: 2N}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: vlc-a}
spec: {serviceGroup: vlc, node: node-1, rank: 1}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: vlc-b}
spec: {serviceGroup: vlc, node: node-2, rank: 2}
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: stream-1}
spec:
  serviceGroup: vlc
  csis: [{name: stream, csType: stream}]
)yaml";

constexpr char kNPlusM[] = R"yaml(
apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: db}
spec: {redundancyModel: N+M, preferredActiveUnits: 2, preferredStandbyUnits: 1,
       maxActiveInstancesPerUnit: 1, maxStandbyInstancesPerUnit: 2}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: db-1}
spec: {serviceGroup: db, node: node-1, rank: 1}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: db-2}
spec: {serviceGroup: db, node: node-2, rank: 2}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: db-3}
spec: {serviceGroup: db, node: node-3, rank: 3}
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: shard-a}
spec: {serviceGroup: db, rank: 1, csis: [{name: shard, csType: shard}]}
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: shard-b}
spec: {serviceGroup: db, rank: 2, csis: [{name: shard, csType: shard}]}
)yaml";

struct Result {
  std::vector<std::string> timeline;
  std::string table;
};

Result Simulate(const char* yaml, const std::vector<SimulationEvent>& events,
                absl::Duration until, SimulationOptions options = {}) {
  options.until = until;
  Simulator sim(options);
  absl::Status added = sim.AddYaml(yaml);
  EXPECT_TRUE(added.ok()) << added;
  for (const SimulationEvent& event : events) {
    absl::Status status = sim.AddEvent(event);
    EXPECT_TRUE(status.ok()) << status;
  }
  sim.Run();
  return {sim.timeline(), sim.FinalTable()};
}

SimulationEvent Event(Verb verb, const std::string& kind, const std::string& name,
                      absl::Duration at) {
  return {verb, kind, name, at};
}

std::string Joined(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\n") + "\n";
}

TEST(SimulatorGolden, TwoNFailoverAndAutoRepair) {
  Result r = Simulate(kTwoN, {Event(Verb::kFail, "unit", "vlc-a", absl::Seconds(5))},
                      absl::Seconds(10));
  EXPECT_EQ(Joined(r.timeline), R"(t=+0.000s  start: 2 nodes ready, 2 of 2 units in service
t=+0.000s  assign stream-1 -> vlc-a Active (initial assignment)
t=+0.000s  assign stream-1 -> vlc-b Standby (standby assignment)
t=+5.000s  unit vlc-a failed (simulated failure)
t=+5.000s  remove stream-1 from vlc-a (failover: unit vlc-a failed)
t=+5.000s  promote stream-1 on vlc-b to Active (failover: standby vlc-b promoted (unit vlc-a failed))
t=+6.000s  instantiate unit vlc-a (auto-repair)
t=+6.500s  unit vlc-a in service
t=+6.500s  assign stream-1 -> vlc-a Standby (standby assignment)
)");
  EXPECT_EQ(r.table, R"(INSTANCE  GROUP  STATE          ACTIVE  STANDBY  OTHER
stream-1  vlc    FullyAssigned  vlc-b   vlc-a
)");
}

TEST(SimulatorGolden, NPlusMLockOfAnActiveUnit) {
  Result r = Simulate(kNPlusM, {Event(Verb::kLock, "su", "db-1", absl::Seconds(5))},
                      absl::Seconds(10));
  // Two units left for N=2 actives: the lock costs the standbys.
  EXPECT_EQ(Joined(r.timeline), R"(t=+0.000s  start: 3 nodes ready, 3 of 3 units in service
t=+0.000s  assign shard-a -> db-1 Active (initial assignment)
t=+0.000s  assign shard-a -> db-3 Standby (standby assignment)
t=+0.000s  assign shard-b -> db-2 Active (initial assignment)
t=+0.000s  assign shard-b -> db-3 Standby (standby assignment)
t=+5.000s  unit db-1 adminState Unlocked -> Locked
t=+5.000s  set shard-a on db-1 to Quiesced (admin lock of unit db-1)
t=+5.000s  remove shard-b from db-3 (db-3 no longer selected for shard-b (unit roles or capacity))
t=+5.010s  promote shard-a on db-3 to Active (switchover: db-3 takes over from db-1)
t=+5.020s  remove shard-a from db-1 (switchover done: db-1 released)
)");
  EXPECT_EQ(r.table, R"(INSTANCE  GROUP  STATE              ACTIVE  STANDBY  OTHER
shard-a   db     PartiallyAssigned  db-3
shard-b   db     PartiallyAssigned  db-2
)");
}

constexpr char kComponent[] = R"yaml(
apiVersion: vigil.io/v1
kind: Component
metadata: {name: vlc-a-player}
spec:
  serviceUnit: vlc-a
  csTypes: [stream]
  exec: {instantiate: [/bin/true]}
)yaml";

TEST(SimulatorGolden, ComponentLadderThenSwap) {
  std::string yaml = std::string(kTwoN) + "---" + kComponent;
  // One component restart allowed per minute, then a unit restart (which
  // resets the component count), then (unitRestartMax 1) a unit failover.
  const std::string limits = "spec: {redundancyModel: 2N}";
  yaml.replace(yaml.find(limits), limits.size(),
               "spec: {redundancyModel: 2N, recovery: {componentRestartMax: 1, "
               "unitRestartMax: 1}}");
  const std::vector<SimulationEvent> events = {
      Event(Verb::kFail, "comp", "vlc-a-player", absl::Seconds(1)),
      Event(Verb::kFail, "comp", "vlc-a-player", absl::Seconds(2)),
      Event(Verb::kFail, "comp", "vlc-a-player", absl::Seconds(3)),
      Event(Verb::kFail, "comp", "vlc-a-player", absl::Seconds(4)),
      Event(Verb::kSwap, "si", "stream-1", absl::Seconds(10))};
  Result r = Simulate(yaml.c_str(), events, absl::Seconds(12));
  EXPECT_EQ(Joined(r.timeline), R"(t=+0.000s  start: 2 nodes ready, 2 of 2 units in service
t=+0.000s  assign stream-1 -> vlc-a Active (initial assignment)
t=+0.000s  assign stream-1 -> vlc-b Standby (standby assignment)
t=+1.000s  component vlc-a-player failed: ComponentRestart: component restart 1/1 within 1m
t=+1.000s  unit vlc-a restarting (component restart)
t=+1.200s  unit vlc-a restarted
t=+2.000s  component vlc-a-player failed: UnitRestart: unit restart 1/1 within 10m (after 1 component restarts (max 1) within 1m)
t=+2.000s  unit vlc-a restarting (unit restart)
t=+2.200s  unit vlc-a restarted
t=+3.000s  component vlc-a-player failed: ComponentRestart: component restart 1/1 within 1m
t=+3.000s  unit vlc-a restarting (component restart)
t=+3.200s  unit vlc-a restarted
t=+4.000s  component vlc-a-player failed: UnitFailover: unit failover 1/3 within 10m (after 1 component restarts (max 1) within 1m; after 1 unit restarts (max 1) within 10m)
t=+4.000s  unit vlc-a failed (component vlc-a-player failed)
t=+4.000s  remove stream-1 from vlc-a (failover: unit vlc-a failed)
t=+4.000s  promote stream-1 on vlc-b to Active (failover: standby vlc-b promoted (unit vlc-a failed))
t=+5.000s  instantiate unit vlc-a (auto-repair)
t=+5.500s  unit vlc-a in service
t=+5.500s  assign stream-1 -> vlc-a Standby (standby assignment)
t=+10.000s  swap si stream-1 requested (operation swap-stream-1-1)
t=+10.000s  set stream-1 on vlc-b to Quiesced (SI swap of stream-1: vlc-a takes over from vlc-b)
t=+10.000s  swap stream-1 Running: switchover under way
t=+10.010s  promote stream-1 on vlc-a to Active (switchover: vlc-a takes over from vlc-b)
t=+10.020s  set stream-1 on vlc-b to Standby (switchover done: vlc-b becomes standby)
t=+10.030s  swap stream-1 Succeeded: active on vlc-a
)");
  EXPECT_THAT(r.table, ::testing::HasSubstr("stream-1  vlc    FullyAssigned  vlc-a   vlc-b"));
}

// The paper's two-layer architecture: node guest-1 runs inside the VM of SI
// vm-1. web-1 starts on web-b (the guest is not up until its VM is active),
// switches back to web-a on the guest after the probation; when the VM's
// unit fails, web-1 fails over from the guest at the same instant, and
// switches back once the VM is active again and the probation has passed.
constexpr char kNested[] = R"yaml(
apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: vms}
spec: {redundancyModel: No-Redundancy}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: vm-a}
spec: {serviceGroup: vms, node: host-1, rank: 1}
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: vm-1}
spec: {serviceGroup: vms, csis: [{name: vm, csType: vm}]}
---
apiVersion: vigil.io/v1
kind: Node
metadata: {name: guest-1}
spec: {hostedBy: vm-1}
---
apiVersion: vigil.io/v1
kind: ServiceGroup
metadata: {name: web}
spec: {redundancyModel: 2N, autoAdjust: {enabled: true, probation: 1s, minInterval: 1s}}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: web-a}
spec: {serviceGroup: web, node: guest-1, rank: 1}
---
apiVersion: vigil.io/v1
kind: ServiceUnit
metadata: {name: web-b}
spec: {serviceGroup: web, node: host-2, rank: 2}
---
apiVersion: vigil.io/v1
kind: ServiceInstance
metadata: {name: web-1}
spec: {serviceGroup: web, csis: [{name: http, csType: http}]}
)yaml";

TEST(SimulatorGolden, NestedNodeFailsWithItsVm) {
  Result r = Simulate(kNested, {Event(Verb::kFail, "unit", "vm-a", absl::Seconds(5))},
                      absl::Seconds(10));
  EXPECT_EQ(Joined(r.timeline), R"(t=+0.000s  start: 3 nodes ready, 3 of 3 units in service
t=+0.000s  assign vm-1 -> vm-a Active (initial assignment)
t=+0.000s  assign web-1 -> web-b Active (initial assignment)
t=+0.010s  assign web-1 -> web-a Standby (standby assignment)
t=+1.010s  set web-1 on web-b to Quiesced (switchback: web-a (rank 1) in service for 1s)
t=+1.020s  promote web-1 on web-a to Active (switchover: web-a takes over from web-b)
t=+1.030s  set web-1 on web-b to Standby (switchover done: web-b becomes standby)
t=+5.000s  unit vm-a failed (simulated failure)
t=+5.000s  remove vm-1 from vm-a (failover: unit vm-a failed)
t=+5.000s  remove web-1 from web-a (failover: unit web-a out of service)
t=+5.000s  promote web-1 on web-b to Active (failover: standby web-b promoted (unit web-a out of service))
t=+6.000s  instantiate unit vm-a (auto-repair)
t=+6.500s  unit vm-a in service
t=+6.500s  assign vm-1 -> vm-a Active (initial assignment)
t=+6.510s  assign web-1 -> web-a Standby (standby assignment)
t=+7.510s  set web-1 on web-b to Quiesced (switchback: web-a (rank 1) in service for 1s)
t=+7.520s  promote web-1 on web-a to Active (switchover: web-a takes over from web-b)
t=+7.530s  set web-1 on web-b to Standby (switchover done: web-b becomes standby)
)");
}

TEST(SimulatorGolden, SameInputSameOutput) {
  const std::vector<SimulationEvent> events = {
      Event(Verb::kFail, "node", "node-1", absl::Seconds(2)),
      Event(Verb::kRepair, "node", "node-1", absl::Seconds(4)),
      Event(Verb::kSwap, "si", "shard-b", absl::Seconds(8)),
      Event(Verb::kFail, "unit", "db-3", absl::Milliseconds(8005))};
  Result first = Simulate(kNPlusM, events, absl::Seconds(20));
  Result second = Simulate(kNPlusM, events, absl::Seconds(20));
  EXPECT_EQ(first.timeline, second.timeline);
  EXPECT_EQ(first.table, second.table);
  EXPECT_GT(first.timeline.size(), 5u);
}

TEST(SimulatorEvents, ParseAndCheck) {
  absl::StatusOr<SimulationEvent> e =
      ParseSimulationEvent(Verb::kFail, "unit/vlc-a@5.5s", absl::Seconds(1));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->kind, "unit");
  EXPECT_EQ(e->name, "vlc-a");
  EXPECT_EQ(e->at, absl::Milliseconds(5500));
  e = ParseSimulationEvent(Verb::kFail, "unit/vlc-a", absl::Seconds(1));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->at, absl::Seconds(1));
  EXPECT_FALSE(ParseSimulationEvent(Verb::kFail, "vlc-a", absl::Seconds(1)).ok());
  EXPECT_FALSE(ParseSimulationEvent(Verb::kFail, "unit/", absl::Seconds(1)).ok());
  EXPECT_FALSE(ParseSimulationEvent(Verb::kFail, "unit/a@soon", absl::Seconds(1)).ok());

  Simulator sim;
  ASSERT_TRUE(sim.AddYaml(kTwoN).ok());
  EXPECT_TRUE(sim.AddEvent(Event(Verb::kFail, "node", "node-2", absl::Seconds(1))).ok());
  EXPECT_THAT(std::string(sim.AddEvent(Event(Verb::kFail, "unit", "nope", {})).message()),
              ::testing::HasSubstr("no ServiceUnit named nope"));
  EXPECT_THAT(std::string(sim.AddEvent(Event(Verb::kSwap, "unit", "vlc-a", {})).message()),
              ::testing::HasSubstr("cannot swap a ServiceUnit"));
  EXPECT_THAT(std::string(sim.AddEvent(Event(Verb::kLock, "pod", "x", {})).message()),
              ::testing::HasSubstr("unknown kind"));
  EXPECT_FALSE(sim.AddYaml("kind: ServiceGroup\nmetadata: {name: bad}\nspec: {}\n").ok());
}

}  // namespace
}  // namespace vigil::controllers
