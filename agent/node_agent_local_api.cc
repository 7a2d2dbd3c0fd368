// NodeAgent: saAware runners and the local API they are reached through.
// Requests arrive on the API server's threads and are handed to the loop,
// where the runners live.
#include <future>

#include "absl/strings/str_cat.h"
#include "agent/local_api.h"
#include "agent/node_agent.h"
#include "agent/node_agent_internal.h"
#include "agent/sa_aware_runner.h"

namespace vigil::agent {

absl::StatusOr<api::Json> NodeAgent::LocalApiAdapter::Register(const std::string& component,
                                                               const std::string& token,
                                                               std::shared_ptr<SaSession> session) {
  // Shared: the loop may answer after this call gave up waiting.
  auto result = std::make_shared<std::promise<absl::StatusOr<api::Json>>>();
  auto future = result->get_future();
  agent_->loop_.Post([agent = agent_, result, component, token, session] {
    SaAwareRunner* runner = agent->FindSaAwareRunner(component);
    if (agent->stopping_) {
      result->set_value(absl::UnavailableError("the node agent is stopping"));
    } else if (runner == nullptr) {
      result->set_value(absl::NotFoundError(
          absl::StrCat("no saAware component \"", component, "\" on node ", agent->options_.node)));
    } else if (!runner->Attach(session, token)) {
      result->set_value(absl::FailedPreconditionError(absl::StrCat(
          "component \"", component,
          "\" is not being started by this agent, or the registration token is not the one "
          "it was started with")));
    } else {
      result->set_value(runner->RegistrationReply());
    }
  });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    return absl::UnavailableError("the node agent is busy or stopping");
  }
  return future.get();
}
void NodeAgent::LocalApiAdapter::Confirm(const std::string& component, const std::string& token,
                                         int64_t seq, bool ok, const std::string& message) {
  OnRunner(component, [=](SaAwareRunner& r) { r.OnConfirm(token, seq, ok, message); });
}
void NodeAgent::LocalApiAdapter::Heartbeat(const std::string& component, const std::string& token) {
  OnRunner(component, [=](SaAwareRunner& r) { r.OnHeartbeat(token); });
}
void NodeAgent::LocalApiAdapter::HealthCheckAnswer(const std::string& component,
                                                   const std::string& token, int64_t seq) {
  OnRunner(component, [=](SaAwareRunner& r) { r.OnHealthCheckAnswer(token, seq); });
}
void NodeAgent::LocalApiAdapter::ReportError(const std::string& component, const std::string& token,
                                             std::optional<api::RecoveryAction> recovery,
                                             const std::string& reason) {
  OnRunner(component, [=](SaAwareRunner& r) { r.OnErrorReport(token, recovery, reason); });
}

void NodeAgent::LocalApiAdapter::OnRunner(const std::string& component,
                                          std::function<void(SaAwareRunner&)> action) {
  agent_->loop_.Post([this, component, action] {
    SaAwareRunner* runner = agent_->FindSaAwareRunner(component);
    if (runner != nullptr && !agent_->stopping_) action(*runner);
  });
}

SaAwareRunner* NodeAgent::FindSaAwareRunner(const std::string& component) {
  auto it = components_by_name_.find(component);
  if (it == components_by_name_.end() || it->second->kind != "saAware") return nullptr;
  return static_cast<SaAwareRunner*>(it->second->runner.get());
}

std::unique_ptr<ComponentRunner> NodeAgent::MakeSaAwareRunner(const RunnerContext& context,
                                                              const ComponentIdentity& who,
                                                              const api::SaAwareSpec& spec,
                                                              const RunnerCallbacks& callbacks) {
  return std::make_unique<SaAwareRunner>(context, who, spec, callbacks);
}

absl::Status NodeAgent::StartLocalApi() {
  if (!options_.serve_local_api) return absl::OkStatus();
  local_api_adapter_ = std::make_unique<LocalApiAdapter>(this);
  local_api_ = std::make_unique<LocalApiServer>(socket_path(), local_api_adapter_.get());
  return local_api_->Start();
}

void NodeAgent::StopLocalApi() {
  if (local_api_ != nullptr) local_api_->Stop();
  local_api_.reset();
  local_api_adapter_.reset();
}

}  // namespace vigil::agent
