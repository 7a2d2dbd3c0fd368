#include "api/schema.h"

#include <map>

#include "api/schema_builder.h"

namespace vigil::api {

std::string_view OpenApiTypeName(SchemaType type) {
  switch (type) {
    case SchemaType::kString: return "string";
    case SchemaType::kInteger: return "integer";
    case SchemaType::kBoolean: return "boolean";
    case SchemaType::kArray: return "array";
    case SchemaType::kObject:
    case SchemaType::kStringMap: return "object";
  }
  return "object";
}

const FieldSchema* FieldSchema::FindProperty(std::string_view name) const {
  for (const Property& property : properties) {
    if (property.name == name) return &property.schema;
  }
  return nullptr;
}

namespace schema_builder {

Field AdminState(std::string description) {
  return String(std::move(description))
      .Enum({"Unlocked", "Locked", "LockedInstantiation", "ShuttingDown"})
      .Default("Unlocked");
}

Field OperState() {
  return String("Operational state: Enabled, or Disabled after a failure "
                "that needs repair.")
      .Enum({"Enabled", "Disabled"});
}

Field PresenceState(std::string description) {
  return String(std::move(description))
      .Enum({"Uninstantiated", "Instantiating", "Instantiated", "Terminating",
             "Restarting", "InstantiationFailed", "TerminationFailed"});
}

Field HaState(std::string description) {
  return String(std::move(description))
      .Enum({"Active", "Standby", "Quiescing", "Quiesced"});
}

Field ObservedGeneration() {
  return Integer("The metadata.generation of the spec this status reflects.")
      .Min(0);
}

Field Conditions(std::string types) {
  Field condition = Object(
      "One aspect of the object's state.",
      {P("type", String("Condition type, e.g. " + types + ".").Required()),
       P("status", String("True, False or Unknown.")
                       .Enum({"True", "False", "Unknown"})
                       .Required()),
       P("observedGeneration",
         Integer("The metadata.generation this condition was computed from.")
             .Min(0)),
       P("lastTransitionTime",
         DateTime("When the condition last changed status (RFC 3339).")),
       P("reason", String("One-word CamelCase reason for the last transition.")),
       P("message", String("Human-readable details about the transition."))});
  return Array("Latest observations of the object's state (" + types + ").",
               condition)
      .ListMapKey("type");
}

Field Instantiation() {
  return Object("How often and how fast to retry a failed instantiation.",
                {P("attempts", Integer("Instantiation attempts before the "
                                       "component is declared failed.")
                                   .Min(1)
                                   .Default(2)),
                 P("delay", Duration("Delay between instantiation attempts.")
                                .Default("1s"))})
      .Default(Json::object());
}

namespace {

Field LastFailure() {
  return Object("The most recent failure.",
                {P("reason", String("Why it failed.")),
                 P("time", DateTime("When it failed (RFC 3339)."))});
}

Field NodeFencing() {
  return Object(
      "How the node is fenced when it stops answering (its lease expires), "
      "before the service instances its units held are recovered elsewhere. "
      "Without command or hypervisor, only the agent's own self-fencing "
      "protects against two actives (a dead agent's processes may still run).",
      {P("command", Array("Fence command run by vigild (e.g. an IPMI power-off); "
                          "exit status 0 confirms the node is off. Gets "
                          "VIGIL_NODE and VIGIL_OUTAGE in its environment.",
                          String("One argument."))),
       P("hypervisor", String("libvirt URI through which the domains of the "
                              "node's virtualMachine components are destroyed; "
                              "confirms the fence when every component of the "
                              "node is a virtual machine.")),
       P("timeout", Duration("Time limit of one fencing attempt, and how long "
                             "ProceedAfterTimeout waits for a confirmation.")
                        .Default("10s")),
       P("policy", String("What recovery does while no fence is confirmed: "
                          "ProceedAfterTimeout (recover once timeout has passed, "
                          "saying so in status.fencing) or WaitForConfirmation "
                          "(keep retrying; recover only once fenced).")
                       .Enum({"ProceedAfterTimeout", "WaitForConfirmation"})
                       .Default("ProceedAfterTimeout"))});
}

Field LiveMigration() {
  return Object(
      "Where the node takes live-migrated virtual machines. Set: a graceful "
      "switchover (lock, drain, swap, switchback) to a unit on this node "
      "live-migrates the running domains of virtualMachine components that "
      "allow it, instead of shutting them down and starting them again.",
      {P("hypervisor", String("libvirt URI of this node's hypervisor as the "
                              "other nodes' agents reach it (e.g. "
                              "qemu+tls://n2.example/system).")),
       P("address", String("Migration data URI (e.g. tcp://10.0.0.2); unset: "
                           "libvirt's default (the destination's hostname)."))});
}

FieldSchema NodeSpec() {
  return Object(
      "Desired state of a node.",
      {P("adminState", AdminState("Administrative state: Unlocked, Locked (no "
                                  "assignments), LockedInstantiation (no "
                                  "components run) or ShuttingDown.")),
       P("hypervisor", String("libvirt URI of the hypervisor that runs this "
                              "node's virtual machines.")
                           .Default("qemu:///system")),
       P("liveMigration", LiveMigration()),
       P("hostedBy", ObjectName("Name of the ServiceInstance whose virtual "
                                "machine hosts this node (a nested node).")),
       P("unitFailoverMax",
         Integer("Unit failovers on this node within unitFailoverProbation "
                 "before the node itself is failed over.")
             .Min(0)
             .Default(3)),
       P("unitFailoverProbation",
         Duration("Window in which unit failovers are counted towards "
                  "unitFailoverMax.")
             .Default("10m")),
       P("autoRepair", Boolean("Repair (restart) the node's failed units "
                               "automatically.")
                           .Default(true)),
       P("fencing", NodeFencing())});
}

FieldSchema NodeStatus() {
  return Object(
      "Observed state of a node.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Ready")),
       P("operState", OperState()),
       P("readiness", String("Readiness of the node for assignments, in words.")),
       P("agent", Object("The node agent.",
                         {P("version", String("Version of the node agent.")),
                          P("lastHeartbeat",
                            DateTime("When the agent last renewed its lease "
                                     "(RFC 3339)."))})),
       P("fencing",
         Object("The fencing of the node's latest outage.",
                {P("phase", String("Fencing (in progress or retrying), Fenced "
                                   "(confirmed), ProceededUnfenced (timeout "
                                   "passed, recovered without confirmation) or "
                                   "NotConfigured.")
                                .Enum({"Fencing", "Fenced", "ProceededUnfenced",
                                       "NotConfigured"})),
                 P("outage", DateTime("The lastTransitionTime of the Ready=False "
                                      "condition this fencing is for.")),
                 P("method", String("The method that confirmed the fence: "
                                    "command or hypervisor.")),
                 P("message", String("What happened, with the last error.")),
                 P("time", DateTime("When the phase last changed.")),
                 P("attempts", Integer("Fencing attempts so far.").Min(0))}))});
}

Field AutoAdjust() {
  return Object(
      "Switch service instances back to the best-ranked units once they are "
      "healthy again.",
      {P("enabled", Boolean("Switch back automatically.").Default(false)),
       P("probation", Duration("How long a better-ranked unit must stay in "
                               "service before switching back to it.")
                          .Default("10s")),
       P("minInterval", Duration("Least time between two switchbacks of this "
                                 "group (rate limit).")
                            .Default("30s"))})
      .Default(Json::object());
}

Field GroupRecovery() {
  return Object(
      "Limits of the recovery ladder: component restart, unit restart, unit "
      "failover.",
      {P("componentRestartMax",
         Integer("Component restarts within componentRestartProbation before "
                 "escalating to a unit restart.")
             .Min(0)
             .Default(3)),
       P("componentRestartProbation",
         Duration("Window in which component restarts are counted.")
             .Default("60s")),
       P("unitRestartMax", Integer("Unit restarts within unitRestartProbation "
                                   "before escalating to a unit failover.")
                               .Min(0)
                               .Default(2)),
       P("unitRestartProbation",
         Duration("Window in which unit restarts are counted.").Default("10m"))})
      .Default(Json::object());
}

FieldSchema ServiceGroupSpec() {
  return Object(
      "Desired state of a service group.",
      {P("redundancyModel",
         String("How service instances are spread over the units: 2N, N+M, "
                "N-Way, N-Way-Active or No-Redundancy.")
             .Enum({"2N", "N+M", "N-Way", "N-Way-Active", "No-Redundancy"})
             .Required()),
       P("adminState", AdminState("Administrative state: Unlocked, Locked, "
                                  "LockedInstantiation or ShuttingDown.")),
       P("preferredActiveUnits",
         Integer("Units assigned active (N of N+M; active units of "
                 "N-Way-Active).")
             .Min(1)
             .Default(1)),
       P("preferredStandbyUnits",
         Integer("Units assigned standby (M of N+M).").Min(0).Default(1)),
       P("preferredInServiceUnits",
         Integer("Units kept instantiated and in service; 0 means all units.")
             .Min(0)
             .Default(0)),
       P("maxActiveInstancesPerUnit",
         Integer("Most active assignments one unit takes; 0 means unlimited.")
             .Min(0)
             .Default(0)),
       P("maxStandbyInstancesPerUnit",
         Integer("Most standby assignments one unit takes; 0 means unlimited.")
             .Min(0)
             .Default(0)),
       P("autoRepair", Boolean("Restart failed units automatically so they "
                               "serve again as standby.")
                           .Default(true)),
       P("autoAdjust", AutoAdjust()),
       P("recovery", GroupRecovery())});
}

FieldSchema ServiceGroupStatus() {
  return Object(
      "Observed state of a service group.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Available, Progressing, Degraded")),
       P("assignedUnits", Integer("Units holding at least one assignment.").Min(0)),
       P("activeUnits", Integer("Units holding an active assignment.").Min(0)),
       P("standbyUnits", Integer("Units holding a standby assignment.").Min(0)),
       P("spareUnits", Integer("In-service units holding no assignment.").Min(0)),
       P("assignedInstances",
         Integer("Service instances with an active assignment.").Min(0)),
       P("totalInstances", Integer("Service instances of this group.").Min(0)),
       P("lastAdjustment",
         DateTime("When the last switchback or SI swap of this group started "
                  "(RFC 3339, milliseconds); rate-limits auto-adjust.")),
       P("message", String("Summary of the group's state, in words."))});
}

FieldSchema ServiceUnitSpec() {
  return Object(
      "Desired state of a service unit.",
      {P("serviceGroup",
         ObjectName("Name of the ServiceGroup this unit belongs to.").Required()),
       P("node", ObjectName("Name of the Node this unit runs on.").Required()),
       P("rank", Integer("Preference among the group's units: 1 is the most "
                         "preferred; 0 means unranked (after every ranked unit).")
                     .Min(0)
                     .Default(0)),
       P("adminState", AdminState("Administrative state: Unlocked, Locked, "
                                  "LockedInstantiation or ShuttingDown.")),
       P("failover", Boolean("Escalate a component failover to a failover of "
                             "the whole unit (AMF saAmfSUFailover).")
                         .Default(false))});
}

Field ReachedHaStates() {
  Field reached = Object(
      "The HA state the unit's components reached for one service instance.",
      {P("serviceInstance", ObjectName("Name of the ServiceInstance.").Required()),
       P("haState", HaState("HA state every component of the unit reached for "
                            "the instance's CSIs.")
                        .Required())});
  return Array("HA states the unit reached, per assigned service instance "
               "(written by the node agent; the controller confirms "
               "assignments against it).",
               reached)
      .ListMapKey("serviceInstance");
}

FieldSchema ServiceUnitStatus() {
  return Object(
      "Observed state of a service unit.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Ready")),
       P("presenceState", PresenceState("Whether the unit's components run.")),
       P("operState", OperState()),
       P("readinessState", String("Whether the unit can take assignments.")
                               .Enum({"InService", "OutOfService", "Stopping"})),
       P("activeAssignments", Integer("Active assignments held.").Min(0)),
       P("standbyAssignments", Integer("Standby assignments held.").Min(0)),
       P("restartCount", Integer("Unit restarts so far.").Min(0)),
       P("lastFailure", LastFailure()),
       P("inServiceSince",
         DateTime("When readinessState last became InService (RFC 3339, "
                  "milliseconds); auto-adjust probation starts here.")),
       P("haStates", ReachedHaStates()),
       P("preInstantiable",
         Boolean("All its components are SA-aware: its standbys already run "
                 "and are promoted without waiting for a node's fencing."))});
}

Field ComponentServiceInstances() {
  Field csi = Object(
      "One component-service instance: the work one component takes on.",
      {P("name", String("Name, unique within the service instance.").Required()),
       P("csType", String("Component-service type; assigned to a component "
                          "listing it in csTypes.")
                       .Required()),
       P("attributes", StringMap("Attributes passed to the component (as "
                                 "environment variables for exec components).")),
       P("dependsOn", StringList("Names of CSIs of this instance that must be "
                                 "assigned before this one."))});
  return Array("The component-service instances (at least one).", csi)
      .MinItems(1)
      .Required()
      .ListMapKey("name");
}

Field InstanceDependencies() {
  Field dependency = Object(
      "A sponsor service instance.",
      {P("serviceInstance",
         ObjectName("Name of the sponsor ServiceInstance.").Required()),
       P("toleranceTime", Duration("How long this instance stays active after "
                                   "its sponsor loses its active assignment.")
                              .Min(0)
                              .Default("0s"))});
  return Array("Service instances that must be active before this one.",
               dependency)
      .ListMapKey("serviceInstance");
}

Field RankedUnits() {
  Field ranked = Object(
      "A preferred unit for this instance.",
      {P("unit", ObjectName("Name of the ServiceUnit.").Required()),
       P("rank", Integer("Preference: 1 is the most preferred.").Min(1).Required())});
  return Array("Preferred units for this instance, overriding the units' "
               "ranks.",
               ranked)
      .ListMapKey("unit");
}

FieldSchema ServiceInstanceSpec() {
  return Object(
      "Desired state of a service instance.",
      {P("serviceGroup",
         ObjectName("Name of the ServiceGroup protecting this instance.")
             .Required()),
       P("rank", Integer("Priority when capacity is short: 1 is assigned "
                         "first; 0 means unranked (after every ranked one).")
                     .Min(0)
                     .Default(0)),
       P("adminState", String("Administrative state: Unlocked or Locked (no "
                              "assignments).")
                           .Enum({"Unlocked", "Locked"})
                           .Default("Unlocked")),
       P("preferredActiveAssignments",
         Integer("Active assignments wanted (N-Way-Active).").Min(1).Default(1)),
       P("preferredStandbyAssignments",
         Integer("Standby assignments wanted (N-Way).").Min(0).Default(1)),
       P("csis", ComponentServiceInstances()),
       P("dependsOn", InstanceDependencies()),
       P("rankedUnits", RankedUnits())});
}

FieldSchema ServiceInstanceStatus() {
  Field assignment = Object(
      "The assignment of this instance to one unit.",
      {P("unit", String("Name of the ServiceUnit.")),
       P("node", String("Name of the unit's Node.")),
       P("haState", HaState("HA state of the assignment.")),
       P("since", DateTime("When the assignment took this HA state (RFC 3339, "
                           "milliseconds).")),
       P("confirmed", Boolean("The components confirmed the HA state.")),
       P("successor",
         Object("On a Quiesced assignment of a graceful switchover: the unit "
                "taking the instance over. Its node's liveMigration, when set, "
                "is where virtual machines that allow it are live-migrated.",
                {P("unit", String("Name of the ServiceUnit taking over.")),
                 P("node", String("Name of its Node.")),
                 P("liveMigration", LiveMigration())}))});
  return Object(
      "Observed state of a service instance.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Assigned")),
       P("assignmentState",
         String("Unassigned, PartiallyAssigned or FullyAssigned.")
             .Enum({"Unassigned", "PartiallyAssigned", "FullyAssigned"})),
       P("assignments", Array("Current assignments to units.", assignment)
                            .ListMapKey("unit")),
       P("activeUnits", StringList("Units holding the active assignment.")),
       P("standbyUnits", StringList("Units holding a standby assignment.")),
       P("message", String("Summary of the instance's state, in words.")),
       P("incidents", IncidentSummary()),
       P("availability", InstanceAvailability())});
}

FieldSchema BuildObjectMeta() {
  return Object(
      "Standard object metadata.",
      {P("name", String("Name, unique per kind; a DNS-1123 subdomain.")),
       P("generateName", String("Prefix for a server-generated name.")),
       P("namespace", String("Unused: every Vigil kind is cluster-scoped.")),
       P("uid", String("Unique identifier set by the server.")),
       P("resourceVersion", String("Store revision of the last change; used "
                                   "for optimistic concurrency and watches.")),
       P("generation", Integer("Sequence number of the desired state (spec).")),
       P("creationTimestamp", DateTime("When the object was created (RFC 3339).")),
       P("deletionTimestamp",
         DateTime("When deletion was requested (RFC 3339).")),
       P("labels", StringMap("Labels for selecting objects.")),
       P("annotations", StringMap("Non-identifying metadata.")),
       P("finalizers", StringList("Must be empty before the object is deleted."))})
      .PreserveUnknownFields();
}

struct KindSchemas {
  FieldSchema spec;
  FieldSchema status;
};

const std::map<std::string, KindSchemas>& AllSchemas() {
  static const auto* const schemas = new std::map<std::string, KindSchemas>{
      {"Node", {NodeSpec(), NodeStatus()}},
      {"ServiceGroup", {ServiceGroupSpec(), ServiceGroupStatus()}},
      {"ServiceUnit", {ServiceUnitSpec(), ServiceUnitStatus()}},
      {"Component", {ComponentSpec(), ComponentStatus()}},
      {"ServiceInstance", {ServiceInstanceSpec(), ServiceInstanceStatus()}},
      {"Operation", {OperationSpec(), OperationStatus()}},
      {"Lease", {LeaseSpec(), LeaseStatus()}},
      {"Incident", {IncidentSpec(), IncidentStatus()}},
  };
  return *schemas;
}

const KindSchemas* FindSchemas(std::string_view kind) {
  const KindInfo* info = FindKind(kind);
  if (info == nullptr) return nullptr;
  auto it = AllSchemas().find(info->kind);
  return it == AllSchemas().end() ? nullptr : &it->second;
}

}  // namespace
}  // namespace schema_builder

const FieldSchema* SpecSchema(std::string_view kind) {
  const auto* schemas = schema_builder::FindSchemas(kind);
  return schemas == nullptr ? nullptr : &schemas->spec;
}

const FieldSchema* StatusSchema(std::string_view kind) {
  const auto* schemas = schema_builder::FindSchemas(kind);
  return schemas == nullptr ? nullptr : &schemas->status;
}

const FieldSchema& ObjectMetaSchema() {
  static const auto* const schema =
      new FieldSchema(schema_builder::BuildObjectMeta());
  return *schema;
}

}  // namespace vigil::api
