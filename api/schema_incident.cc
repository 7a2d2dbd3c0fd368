// The Incident schemas (one failure and its handling), and the incident and
// availability summaries on a ServiceInstance's status.
#include "api/schema_builder.h"

namespace vigil::api::schema_builder {
namespace {

Field Timestamp(std::string description) {
  return DateTime(std::move(description) + " (RFC 3339, microseconds).");
}

// A measured duration, Go-style with microseconds ("6.412ms", "1.5s").
Field Measured(std::string description) {
  return String(std::move(description) + ", e.g. \"6.412ms\".");
}

}  // namespace

FieldSchema IncidentSpec() {
  return Object(
      "What failed; written once by the incident recorder when it opens the incident.",
      {P("failedKind", String("Kind of the failed object.").Enum({"Component", "Node"})),
       P("failedName", String("Name of the failed Component or Node.")),
       P("serviceUnit", String("The failed component's ServiceUnit (empty for a node).")),
       P("node", String("The Node the failure happened on.")),
       P("source",
         String("What detected the failure: pidfd (process or qemu exit), healthCheck "
                "(a health check or SA-aware heartbeat), libvirt (a libvirt event), lease "
                "(the node agent stopped renewing its Lease) or agent (anything else the "
                "agent reported).")
             .Enum({"pidfd", "healthCheck", "libvirt", "lease", "agent"})),
       P("reason", String("The failure as reported (the component's lastFailure.reason or "
                          "the node's Ready condition).")),
       P("serviceInstances", StringList("ServiceInstances assigned to the failed unit(s) "
                                        "when it failed.")),
       P("serviceAffecting", Boolean("One of those instances was active on a failed unit: "
                                     "its service was interrupted."))});
}

FieldSchema IncidentStatus() {
  Field durations = Object(
      "The paper's four metrics.",
      {P("reaction", Measured("failureTime to reactionTime")),
       P("recovery", Measured("reactionTime to recoveredTime")),
       P("outage", Measured("failureTime to recoveredTime (0s if not service-affecting)")),
       P("repair", Measured("reactionTime to repairedTime"))});
  return Object(
      "How the failure was handled, with the timestamps of the paper's four metrics.",
      {P("phase", String("Open (service not yet recovered), Recovered (service back, the "
                         "failed unit not yet repaired) or Closed (both).")
                      .Enum({"Open", "Recovered", "Closed"})),
       P("recoveryAction",
         String("Failover (another unit took the active assignment), Restart (the failed "
                "unit became active again) or None (no service was interrupted).")
             .Enum({"Failover", "Restart", "None"})),
       P("recoveredBy", String("The unit holding the confirmed active assignment after "
                               "the recovery.")),
       P("failureTime", Timestamp("Best estimate of the failure: the process exit or event "
                                  "time the agent reported, or a node's last lease renewal")),
       P("detectionTime", Timestamp("When the recorder saw the failure reported")),
       P("reactionTime", Timestamp("First reaction: the first change of an affected "
                                   "instance's assignments, or the failed component's "
                                   "restart")),
       P("recoveredTime", Timestamp("Service recovered: every affected instance had a "
                                    "confirmed active assignment again")),
       P("repairedTime", Timestamp("The failed unit (or node) was back in service")),
       P("durations", durations),
       P("message", String("What happened, in words."))});
}

Field IncidentSummary() {
  return Object(
      "Incidents that touched this instance (written by the incident recorder).",
      {P("total", Integer("Incidents recorded for this instance.").Min(0)),
       P("open", Integer("Of those, not yet recovered.").Min(0)),
       P("last", String("Name of the latest Incident.")),
       P("lastFailureTime", DateTime("Its failure time (RFC 3339).")),
       P("lastOutage", String("Its outage, e.g. \"6.412ms\" (empty if it did not interrupt "
                              "this instance)."))});
}

Field InstanceAvailability() {
  return Object(
      "Availability accounting since `since` (written by the incident recorder).",
      {P("since", DateTime("When accounting began: the first time the recorder saw the "
                           "instance with a confirmed active assignment (RFC 3339).")),
       P("observed", String("Time watched since then (while vigild ran), e.g. \"26h3m0s\".")),
       P("unassigned", String("Of that, time without a confirmed active assignment while "
                              "unlocked.")),
       P("partiallyAssigned", String("Of that, time active but missing standbys.")),
       P("availability", String("1 - unassigned / observed, e.g. \"99.99950%\".")),
       P("target", String("The availability target (vigild --availability-target).")),
       P("downtimeBudget", String("Downtime per year allowed by the target, e.g. "
                                  "\"5m15.576s\" for 99.999%.")),
       P("budgetRemaining", String("downtimeBudget minus unassigned (negative once "
                                   "exceeded)."))});
}

}  // namespace vigil::api::schema_builder
