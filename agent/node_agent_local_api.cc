// NodeAgent: saAware runners and the local API (to come).
#include "agent/node_agent.h"

namespace vigil::agent {

std::unique_ptr<ComponentRunner> NodeAgent::MakeSaAwareRunner(const RunnerContext&,
                                                              const ComponentIdentity&,
                                                              const api::SaAwareSpec&,
                                                              const RunnerCallbacks&) {
  return nullptr;
}

absl::Status NodeAgent::StartLocalApi() { return absl::OkStatus(); }

void NodeAgent::StopLocalApi() {}

}  // namespace vigil::agent
