// vigild: the Vigil daemon. Runs the Kubernetes-compatible API server over a
// RocksDB store in a local data directory, registers its own Node, writes a
// kubeconfig for kubectl, and (in later issues) runs the controllers and the
// embedded node agent. Stops cleanly on SIGTERM or SIGINT.
//
// With no flags it serves the embedded single-node case:
//   data dir ./.vigil/data, listening on 127.0.0.1:8443, node = hostname.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/component_log.h"
#include "agent/node_agent.h"
#include "api/duration.h"
#include "api/object.h"
#include "client/http_client.h"
#include "controllers/assignment_controller.h"
#include "controllers/node_lease_controller.h"
#include "server/api_server.h"
#include "server/kubeconfig.h"
#include "server/registry.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using vigil::api::Json;

// A node agent's lease timing (agent/lease_keeper.h), as duration flags.
struct LeaseFlags {
  std::string duration = "800ms";
  std::string renew_interval = "200ms";
  std::string self_fence_after = "500ms";
};

struct Flags {
  std::string data_dir = ".vigil/data";
  std::string listen = "127.0.0.1:8443";
  std::string node;  // default: the host name
  LeaseFlags lease;  // of the embedded node agent
};

// A part of vigild with a lifetime: started in order after the API server is
// up, stopped in reverse order before it goes down. The controllers and the
// embedded node agent (later issues) are added in StartComponents.
struct Component {
  std::string name;
  std::function<absl::Status()> start;
  std::function<void()> stop;
};

void Log(const std::string& line) { std::cerr << "vigild: " << line << std::endl; }

std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "local";
  std::string name(host);
  name = name.substr(0, name.find('.'));  // short name, like `hostname -s`
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return name;
}

// "127.0.0.1:8443", ":8443" (loopback) or "8443".
absl::Status ParseListen(const std::string& listen, vigil::server::ApiServerOptions* out) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (!absl::SimpleAtoi(port, &out->port) || out->port < 0 || out->port > 65535) {
    return absl::InvalidArgumentError("--listen must be HOST:PORT, got \"" + listen + "\"");
  }
  out->host = host.empty() ? "127.0.0.1" : host;
  return absl::OkStatus();
}

std::string ServerUrl(const vigil::server::ApiServerOptions& options, int port) {
  std::string host = options.host;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

absl::StatusOr<std::unique_ptr<vigil::store::Store>> OpenStore(const fs::path& data_dir) {
  std::error_code error;
  fs::create_directories(data_dir, error);
  if (error) {
    return absl::FailedPreconditionError("cannot create data dir " +
                                         data_dir.string() + ": " + error.message());
  }
  auto store = vigil::store::OpenRocksDbStore((data_dir / "store").string());
  if (absl::IsFailedPrecondition(store.status())) {
    return absl::FailedPreconditionError(
        "data dir " + data_dir.string() +
        " is in use by another vigild (its store is locked); stop that vigild "
        "or pass a different --data-dir (" + std::string(store.status().message()) + ")");
  }
  return store;
}

// Creates this host's Node object unless it exists (e.g. from a manifest).
absl::Status RegisterNode(vigil::server::Registry& registry, const std::string& node) {
  Json obj = {{"apiVersion", std::string(vigil::api::kApiVersion)},
              {"kind", "Node"},
              {"metadata", {{"name", node}}},
              {"spec", Json::object()}};
  absl::StatusOr<Json> created = registry.Create(obj, {.dry_run = false, .user = "vigild"});
  if (created.ok() || absl::IsAlreadyExists(created.status())) return absl::OkStatus();
  return created.status();
}

// Starts each component in order; on failure stops those already started.
absl::Status StartComponents(std::vector<Component>& components, size_t* started) {
  for (*started = 0; *started < components.size(); ++*started) {
    Component& c = components[*started];
    if (absl::Status s = c.start(); !s.ok()) {
      return absl::Status(s.code(), c.name + ": " + std::string(s.message()));
    }
    Log("started " + c.name);
  }
  return absl::OkStatus();
}

void StopComponents(std::vector<Component>& components, size_t started) {
  while (started > 0) {
    Component& c = components[--started];
    c.stop();
    Log("stopped " + c.name);
  }
}

// Blocks SIGTERM/SIGINT in every thread (call before starting any) so that
// the main thread alone receives them, in WaitForSignal.
sigset_t BlockShutdownSignals() {
  // A parent may have left them ignored (e.g. a shell's background job);
  // an ignored signal is discarded instead of becoming pending for sigwait.
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

void AddLeaseFlags(CLI::App* app, LeaseFlags* flags) {
  app->add_option("--lease-duration", flags->duration,
                  "The node is failed over when its agent has not renewed its Lease for this "
                  "long (0 disables the lease)")
      ->capture_default_str();
  app->add_option("--lease-renew-interval", flags->renew_interval,
                  "How often the agent renews its Lease")
      ->capture_default_str();
  app->add_option("--lease-self-fence-after", flags->self_fence_after,
                  "The agent stops every component itself after this long without a renewal "
                  "(less than --lease-duration)")
      ->capture_default_str();
}

absl::StatusOr<vigil::agent::NodeAgentOptions> AgentOptions(const std::string& node,
                                                           const fs::path& data_dir,
                                                           const LeaseFlags& lease) {
  vigil::agent::NodeAgentOptions options;
  options.node = node;
  options.data_dir = data_dir.string();
  options.log = [](const std::string& line) { Log("node agent: " + line); };
  const std::pair<const std::string*, std::chrono::milliseconds*> durations[] = {
      {&lease.duration, &options.lease_duration},
      {&lease.renew_interval, &options.lease_renew_interval},
      {&lease.self_fence_after, &options.lease_self_fence_after}};
  for (const auto& [text, out] : durations) {
    absl::StatusOr<std::chrono::milliseconds> parsed = vigil::api::ParseDuration(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("lease flag \"", *text, "\": ",
                                                     parsed.status().message()));
    }
    *out = *parsed;
  }
  return options;
}

int Serve(const Flags& flags, const vigil::server::ApiServerOptions& listen,
          const sigset_t& signals) {
  const fs::path data_dir = fs::absolute(flags.data_dir).lexically_normal();
  auto store = OpenStore(data_dir);
  if (!store.ok()) {
    Log(std::string(store.status().message()));
    return 1;
  }
  vigil::server::Registry registry(std::shared_ptr<vigil::store::Store>(std::move(*store)));
  vigil::server::ApiServerOptions server_options = listen;
  server_options.component_logs = [&registry, node = flags.node, logs = (data_dir / "logs").string()](
                                      const std::string& component,
                                      const vigil::api::LogQuery& query) {
    return vigil::agent::ReadLocalComponentLog(registry, node, logs, component, query);
  };
  vigil::server::ApiServer server(&registry, server_options);
  absl::StatusOr<int> port = server.Start();
  if (!port.ok()) {
    Log("cannot serve on " + flags.listen + ": " + std::string(port.status().message()));
    return 1;
  }
  const std::string url = ServerUrl(listen, *port);
  const fs::path kubeconfig = data_dir / "kubeconfig";
  absl::Status status = vigil::server::WriteKubeconfig(kubeconfig.string(), url);
  if (status.ok()) status = RegisterNode(registry, flags.node);
  vigil::controllers::AssignmentControllerOptions assignment_options;
  assignment_options.log = [](const std::string& line) {
    Log("assignment controller: " + line);
  };
  vigil::controllers::AssignmentController assignments(&registry, assignment_options);
  vigil::controllers::NodeLeaseControllerOptions lease_options;
  lease_options.log = [](const std::string& line) { Log("node lease controller: " + line); };
  vigil::controllers::NodeLeaseController leases(&registry, lease_options);
  // The embedded node agent serves this host's node; its components keep
  // running when vigild stops, and the next vigild adopts them.
  absl::StatusOr<vigil::agent::NodeAgentOptions> agent_options =
      AgentOptions(flags.node, data_dir, flags.lease);
  if (!agent_options.ok()) {
    Log(std::string(agent_options.status().message()));
    server.Stop();
    return 1;
  }
  vigil::agent::NodeAgent agent(&registry, *agent_options);
  std::vector<Component> components = {
      {"assignment controller", [&] { return assignments.Start(); },
       [&] { assignments.Stop(); }},
      {"node agent", [&] { return agent.Start(); }, [&] { agent.Stop(); }},
      {"node lease controller", [&] { return leases.Start(); }, [&] { leases.Stop(); }}};
  size_t started = 0;
  if (status.ok()) status = StartComponents(components, &started);
  if (!status.ok()) {
    Log("startup failed: " + std::string(status.message()));
    StopComponents(components, started);
    server.Stop();
    return 1;
  }
  Log("serving on " + url + " (data dir " + data_dir.string() + ", node " + flags.node + ")");
  Log("kubectl: KUBECONFIG=" + kubeconfig.string() + " kubectl get sg,su,si,comp,node");
  const int signal_number = WaitForSignal(signals);
  Log(std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
      ", shutting down");
  StopComponents(components, started);
  server.Stop();
  Log("stopped");
  return 0;
}

// `vigild agent`: only the node agent, for a node other than the server's,
// talking to the API server over HTTP.
int RunAgent(const std::string& server, const std::string& node, const std::string& dir,
             const LeaseFlags& lease, const sigset_t& signals) {
  vigil::client::HttpClientOptions client_options;
  client_options.server = server;
  vigil::client::HttpClient client(client_options);
  const fs::path data_dir = fs::absolute(dir).lexically_normal();
  absl::StatusOr<vigil::agent::NodeAgentOptions> options = AgentOptions(node, data_dir, lease);
  if (!options.ok()) {
    Log(std::string(options.status().message()));
    return 1;
  }
  vigil::agent::NodeAgent agent(&client, *options);
  if (absl::Status s = agent.Start(); !s.ok()) {
    Log("node agent: " + std::string(s.message()));
    return 1;
  }
  Log("node agent for " + node + " on " + server + " (data dir " + data_dir.string() + ")");
  WaitForSignal(signals);
  agent.Stop();
  Log("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t signals = BlockShutdownSignals();
  Flags flags;
  CLI::App app{"vigild: the Vigil daemon (API server, store, controllers, node agent)",
               "vigild"};
  app.add_option("--data-dir", flags.data_dir,
                 "Where the store and the kubeconfig live")->capture_default_str();
  app.add_option("--listen", flags.listen,
                 "HOST:PORT to serve the API on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--node", flags.node, "This node's name (default: the host name)");
  AddLeaseFlags(&app, &flags.lease);
  std::string agent_server, agent_node, agent_dir;
  LeaseFlags agent_lease;
  CLI::App* agent = app.add_subcommand("agent", "Run only the node agent of a node, against a "
                                                "vigild elsewhere");
  agent->add_option("--server", agent_server, "URL of the API server")->required();
  agent->add_option("--node", agent_node, "This node's name (default: the host name)");
  agent->add_option("--data-dir", agent_dir, "Logs, socket and state (default .vigil/agent-NODE)");
  AddLeaseFlags(agent, &agent_lease);
  CLI11_PARSE(app, argc, argv);
  if (flags.node.empty()) flags.node = DefaultNodeName();
  if (agent->parsed()) {
    if (agent_node.empty()) agent_node = DefaultNodeName();
    if (agent_dir.empty()) agent_dir = ".vigil/agent-" + agent_node;
    return RunAgent(agent_server, agent_node, agent_dir, agent_lease, signals);
  }
  vigil::server::ApiServerOptions listen;
  if (absl::Status s = ParseListen(flags.listen, &listen); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  return Serve(flags, listen, signals);
}
