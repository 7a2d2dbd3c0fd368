// LocalApiServer: the node agent's local HTTP API for saAware components
// (docs/agent-api.md), on a Unix socket.
#ifndef VIGIL_AGENT_LOCAL_API_H_
#define VIGIL_AGENT_LOCAL_API_H_

namespace vigil::agent {

class LocalApiServer {
 public:
  virtual ~LocalApiServer() = default;
};

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_LOCAL_API_H_
