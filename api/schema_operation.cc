// The Operation schemas: one-shot operator requests and their progress.
#include "api/schema_builder.h"

namespace vigil::api::schema_builder {

FieldSchema OperationSpec() {
  return Object(
      "A one-shot request to the assignment controller.",
      {P("action",
         String("What to do: SwapServiceInstance (swap the active and standby "
                "of an SI), RestartUnit, RestartComponent, or Repaired (a "
                "failed unit or node was repaired by hand).")
             .Enum({"SwapServiceInstance", "RestartUnit", "RestartComponent",
                    "Repaired"})
             .Required()),
       P("target",
         ObjectName("What to act on, according to the action: a "
                    "ServiceInstance (SwapServiceInstance), a ServiceUnit "
                    "(RestartUnit, Repaired), a Component (RestartComponent) "
                    "or a Node (Repaired).")
             .Required())});
}

FieldSchema OperationStatus() {
  return Object(
      "Progress of an operation.",
      {P("observedGeneration", ObservedGeneration()),
       P("conditions", Conditions("Complete")),
       P("phase", String("Pending, Running, Succeeded or Failed.")
                      .Enum({"Pending", "Running", "Succeeded", "Failed"})),
       P("message", String("Progress or outcome, in words.")),
       P("startTime", DateTime("When the operation started running (RFC 3339, "
                               "milliseconds).")),
       P("completionTime", DateTime("When the operation succeeded or failed "
                                    "(RFC 3339, milliseconds).")),
       P("fromUnit", String("SwapServiceInstance: the unit that held the "
                            "active assignment when the swap started."))});
}

}  // namespace vigil::api::schema_builder
