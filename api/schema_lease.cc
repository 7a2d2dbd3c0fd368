// The Lease schemas: a node agent's proof of life.
#include "api/schema_builder.h"

namespace vigil::api::schema_builder {

FieldSchema LeaseSpec() {
  return Object(
      "Held by the node agent of the Node this Lease is named after.",
      {P("holderIdentity", String("The agent holding the lease (node name and "
                                  "process).")),
       P("leaseDuration",
         Duration("How long after its last renewal the lease expires; the "
                  "node controller then marks the Node not Ready and its "
                  "units fail over.")
             .Default("600ms")),
       P("renewTime", DateTime("When the holder last renewed the lease (RFC "
                               "3339, milliseconds; informational: expiry is "
                               "timed by the node controller's own clock "
                               "from when it sees each renewal).")),
       P("acquireTime", DateTime("When the current holder acquired the "
                                 "lease (RFC 3339, milliseconds)."))});
}

FieldSchema LeaseStatus() {
  return Object("Leases have no status; everything is in spec.", {});
}

}  // namespace vigil::api::schema_builder
