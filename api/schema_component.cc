// The Component schemas: the largest kind, kept apart from schema.cc.
#include "api/schema_builder.h"

namespace vigil::api::schema_builder {
namespace {

Field Argv(std::string description) {
  return Array(std::move(description), String("One argument."));
}

Field Environment() {
  return StringMap("Extra environment variables for the process.");
}

Field WorkingDir() { return String("Working directory of the process."); }

Field ExecTimeouts() {
  return Object(
      "Time limits of the lifecycle commands.",
      {P("instantiate", Duration("Time for instantiate to bring the component "
                                 "up (healthy).")
                            .Default("10s")),
       P("terminate", Duration("Time for terminate to stop the component.")
                          .Default("5s")),
       P("cleanup", Duration("Time for cleanup to remove what is left.")
                        .Default("5s"))})
      .Default(Json::object());
}

Field HealthCheckHost(std::string what) {
  return String("Host or address to " + what + ".").Default("127.0.0.1");
}

Field HealthCheckPort(std::string what) {
  return Integer("Port to " + what + ".").Min(1).Max(65535).Required();
}

Field ExecHealthCheck() {
  return Object(
      "How to tell the component is healthy: exactly one of exec, tcp, http.",
      {P("exec", Object("Run a command; exit status 0 means healthy.",
                        {P("command", Argv("The command (argv).")
                                          .MinItems(1)
                                          .Required())})),
       P("tcp", Object("Open a TCP connection; success means healthy.",
                       {P("host", HealthCheckHost("connect to")),
                        P("port", HealthCheckPort("connect to"))})),
       P("http", Object("Send an HTTP GET; a 2xx or 3xx status means healthy.",
                        {P("host", HealthCheckHost("send the request to")),
                         P("port", HealthCheckPort("send the request to")),
                         P("path", String("Request path.").Default("/")),
                         P("scheme", String("http or https.")
                                         .Enum({"http", "https"})
                                         .Default("http"))})),
       P("period", Duration("Time between two checks.").Default("1s")),
       P("timeout", Duration("Time limit of one check.").Default("500ms")),
       P("failureThreshold",
         Integer("Consecutive failed checks that make the component failed.")
             .Min(1)
             .Default(3))})
      .ExactlyOneOf({"exec", "tcp", "http"});
}

Field Exec() {
  return Object(
      "A process not aware of HA states: started when its CSI is assigned "
      "active, with the CSI attributes in its environment.",
      {P("instantiate",
         Argv("Command (argv) that starts the component.").MinItems(1).Required()),
       P("terminate", Argv("Command (argv) that stops the component; default: "
                           "SIGTERM to its process.")),
       P("cleanup", Argv("Command (argv) that removes what a failed instance "
                         "left; default: SIGKILL to its process group.")),
       P("env", Environment()),
       P("workingDir", WorkingDir()),
       P("timeouts", ExecTimeouts()),
       P("instantiation", Instantiation()),
       P("healthCheck", ExecHealthCheck())});
}

Field SaAwareTimeouts() {
  return Object(
      "Time limits of the lifecycle steps.",
      {P("instantiate", Duration("Time for the process to register with the "
                                 "agent.")
                            .Default("10s")),
       P("csiSet", Duration("Time to confirm an HA-state change.").Default("2s")),
       P("terminate", Duration("Time to stop after being asked to.")
                          .Default("5s")),
       P("cleanup", Duration("Time for cleanup to remove what is left.")
                        .Default("5s"))})
      .Default(Json::object());
}

Field SaAwareHealthCheck() {
  return Object(
      "Heartbeat monitoring through the agent's local API.",
      {P("invoker", String("Who starts each heartbeat: Component (the process "
                           "sends them) or Framework (the agent asks).")
                        .Enum({"Component", "Framework"})
                        .Default("Component")),
       P("period", Duration("Time between two heartbeats.").Default("100ms")),
       P("maxDuration", Duration("Time allowed past a missed heartbeat before "
                                 "the component is failed.")
                            .Default("50ms"))})
      .Default(Json::object());
}

Field SaAware() {
  return Object(
      "A process that takes HA-state changes through the node agent's local "
      "API; started on active and standby units.",
      {P("command", Argv("Command (argv) that starts the process.")
                        .MinItems(1)
                        .Required()),
       P("env", Environment()),
       P("workingDir", WorkingDir()),
       P("timeouts", SaAwareTimeouts()),
       P("instantiation", Instantiation()),
       P("healthCheck", SaAwareHealthCheck())});
}

Field VirtualMachine() {
  return Object(
      "A libvirt domain that runs while its CSI is active: exactly one of "
      "domainXML, domainName.",
      {P("domainXML", String("libvirt domain XML; Vigil defines the domain.")),
       P("domainName", String("Name of a domain already defined in libvirt.")),
       P("shutdownTimeout", Duration("Time for a graceful shutdown before the "
                                     "domain is destroyed.")
                                .Default("30s")),
       P("guestAgentPing", Duration("Period of QEMU guest agent pings used as "
                                    "a health check; unset: no pings.")),
       P("startTimeout", Duration("Time for the domain to start running.")
                             .Default("30s")),
       P("allowMigration",
         Boolean("Live-migrate the running domain to the unit taking over in a "
                 "graceful switchover, when that unit's node sets "
                 "liveMigration; otherwise (or if the migration fails) the "
                 "domain is shut down and started there. Needs storage both "
                 "nodes reach and, with domainXML, a <uuid> in it.")
             .Default(false)),
       P("migrationTimeout", Duration("Time for a live migration before it is "
                                      "aborted (the domain is then shut down "
                                      "and started on the new unit).")
                                 .Default("60s"))})
      .ExactlyOneOf({"domainXML", "domainName"});
}

}  // namespace

FieldSchema ComponentSpec() {
  return Object(
      "Desired state of a component: exactly one of exec, saAware, "
      "virtualMachine.",
      {P("serviceUnit",
         ObjectName("Name of the ServiceUnit this component belongs to.")
             .Required()),
       P("csTypes", StringList("Component-service types this component can "
                               "take (at least one).")
                        .MinItems(1)
                        .Required()),
       P("recovery", String("Recovery on failure: ComponentRestart, "
                            "ComponentFailover, UnitRestart, UnitFailover or "
                            "NodeFailover.")
                         .Enum({"ComponentRestart", "ComponentFailover",
                                "UnitRestart", "UnitFailover", "NodeFailover"})
                         .Default("ComponentRestart")),
       P("disableRestart", Boolean("Never restart in place; escalate at once.")
                               .Default(false)),
       P("exec", Exec()),
       P("saAware", SaAware()),
       P("virtualMachine", VirtualMachine())})
      .ExactlyOneOf({"exec", "saAware", "virtualMachine"});
}

FieldSchema ComponentStatus() {
  return Object(
      "Observed state of a component.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Ready")),
       P("presenceState", PresenceState("Whether the component runs.")),
       P("operState", OperState()),
       P("haState", String("HA state of the component's CSI assignment, or "
                           "empty when unassigned.")
                        .Enum({"", "Active", "Standby", "Quiescing", "Quiesced"})),
       P("pid", Integer("Process ID of the running process.").Min(0)),
       P("startTime", DateTime("When the current instance started (RFC 3339).")),
       P("restartCount", Integer("Restarts so far.").Min(0)),
       P("lastFailure",
         Object("The most recent failure.",
                {P("reason", String("Why it failed.")),
                 P("time", DateTime("When it failed (RFC 3339).")),
                 P("source", String("What detected it (e.g. pidfd, "
                                    "healthCheck, libvirt)."))})),
       P("domain", Object("The libvirt domain of a virtualMachine component.",
                          {P("id", Integer("libvirt domain ID (-1 when not "
                                           "running).")),
                           P("name", String("Domain name.")),
                           P("qemuPid", Integer("Process ID of the domain's "
                                                "qemu process.")
                                            .Min(0)),
                           P("state", String("libvirt domain state, e.g. "
                                             "running, shutoff."))}))});
}

}  // namespace vigil::api::schema_builder
