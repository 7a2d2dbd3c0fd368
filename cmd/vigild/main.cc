// vigild: the Vigil daemon. Runs the Kubernetes-compatible API server over a
// RocksDB store in a local data directory, registers its own Node, writes a
// kubeconfig for kubectl, and (in later issues) runs the controllers and the
// embedded node agent. Stops cleanly on SIGTERM or SIGINT.
//
// With no flags it serves the embedded single-node case:
//   data dir ./.vigil/data, listening on 127.0.0.1:8443, node = hostname.
//
// On a non-loopback address (or with --tls) it serves HTTPS only and requires
// bearer tokens (cmd/vigild/security.h, docs/security.md); the credentials
// are generated in the data dir on first start.
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
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/component_log.h"
#include "agent/node_agent.h"
#include "api/duration.h"
#include "api/object.h"
#include "auth/files.h"
#include "auth/token_file.h"
#include "base/malloc_trimmer.h"
#include "client/http_client.h"
#include "cmd/vigild/fence_local.h"
#include "cmd/vigild/security.h"
#include "controllers/assignment_controller.h"
#include "controllers/incident_recorder.h"
#include "controllers/node_fencer.h"
#include "controllers/node_lease_controller.h"
#include "metrics/metrics.h"
#include "server/api_server.h"
#include "server/kubeconfig.h"
#include "server/registry.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using vigil::api::Json;

// How often vigild returns free heap pages to the system
// (base/malloc_trimmer.h): at 10,000 SIs glibc's arenas kept 597 of 974 MiB
// free. A trim walks the free chunks, each arena locked in turn.
constexpr std::chrono::milliseconds kMallocTrimInterval{std::chrono::seconds(5)};

// A node agent's lease timing (agent/lease_keeper.h), as duration flags.
struct LeaseFlags {
  std::string duration = "800ms";
  std::string renew_interval = "200ms";
  std::string self_fence_after = "500ms";
};

// The incident recorder's retention and the availability target.
struct IncidentFlags {
  std::string max_age = "168h";  // 7 days
  int64_t max_count = 1000;
  double availability_target = 99.999;
};

struct Flags {
  IncidentFlags incidents;
  std::string data_dir = ".vigil/data";
  std::string listen = "127.0.0.1:8443";
  std::string node;  // default: the host name
  LeaseFlags lease;  // of the embedded node agent
  vigil::vigild::SecurityFlags security;
};

// The flags of `vigild agent`.
struct AgentFlags {
  std::string server;
  std::string node;
  std::string data_dir;
  std::string token_file;  // the node's bearer token (vigild token create-node)
  std::string ca_file;     // the CA of the server's certificate
  LeaseFlags lease;
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
  const char* scheme = options.tls_cert_file.empty() ? "http://" : "https://";
  return scheme + host + ":" + std::to_string(port);
}

// Whether vigild must serve TLS with tokens: beyond loopback, or --tls.
bool SecureMode(const Flags& flags, const vigil::server::ApiServerOptions& listen) {
  return flags.security.tls || !vigil::vigild::IsLoopbackHost(listen.host);
}

// Secure mode: loads (generating on first start) the credentials into
// `security` and points `options` at them. Errors name the file or flag.
absl::Status SetUpSecurity(const Flags& flags, const fs::path& data_dir,
                           vigil::server::ApiServerOptions& options,
                           vigil::vigild::SecurityConfig& security) {
  absl::StatusOr<vigil::vigild::SecurityConfig> prepared =
      vigil::vigild::PrepareSecurity(flags.security, data_dir.string(), options.host);
  if (!prepared.ok()) return prepared.status();
  security = std::move(*prepared);
  for (const std::string& file : security.generated) Log("generated " + file);
  options.tls_cert_file = security.cert_file;
  options.tls_private_key_file = security.key_file;
  options.authenticator = security.authenticator.get();
  return absl::OkStatus();
}

// Writes <data-dir>/kubeconfig (admin) and, in secure mode,
// <data-dir>/kubeconfig-viewer (read-only).
absl::Status WriteKubeconfigs(const fs::path& data_dir, const std::string& url,
                              const vigil::vigild::SecurityConfig* security) {
  if (security == nullptr) {
    return vigil::server::WriteKubeconfig((data_dir / "kubeconfig").string(), url);
  }
  if (security->admin_token.empty()) {
    Log("warning: " + security->token_file + " has no system:masters token; the kubeconfig " +
        "has no credentials");
  }
  absl::Status status = vigil::server::WriteKubeconfig(
      (data_dir / "kubeconfig").string(), url,
      {.user = "vigil-admin", .ca_pem = security->ca_pem, .token = security->admin_token});
  if (!status.ok() || security->viewer_token.empty()) return status;
  return vigil::server::WriteKubeconfig(
      (data_dir / "kubeconfig-viewer").string(), url,
      {.user = "vigil-viewer", .ca_pem = security->ca_pem, .token = security->viewer_token});
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

void AddIncidentFlags(CLI::App& app, IncidentFlags& flags) {
  app.add_option("--incident-max-age", flags.max_age,
                 "Incidents older than this are deleted (a duration: 168h is 7 days)")
      ->capture_default_str();
  app.add_option("--incident-max-count", flags.max_count,
                 "Beyond this many Incidents, the oldest are deleted")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--availability-target", flags.availability_target,
                 "Availability target in percent for each ServiceInstance's downtime budget "
                 "(99.999 allows 5m15.6s a year)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
}

// The recorder's options from the flags. Errors name the flag.
absl::StatusOr<vigil::controllers::IncidentRecorderOptions> RecorderOptions(
    const IncidentFlags& flags, vigil::metrics::Registry* metrics) {
  vigil::controllers::IncidentRecorderOptions options;
  absl::StatusOr<std::chrono::milliseconds> max_age = vigil::api::ParseDuration(flags.max_age);
  if (!max_age.ok() || max_age->count() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--incident-max-age \"", flags.max_age, "\": ",
        max_age.ok() ? "must be more than 0" : max_age.status().message(),
        " (a duration such as 168h or 30m)"));
  }
  options.max_age = absl::FromChrono(*max_age);
  options.max_count = static_cast<size_t>(flags.max_count);
  options.availability_target = flags.availability_target;
  options.metrics = metrics;
  options.log = [](const std::string& line) { Log("incident recorder: " + line); };
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
  const vigil::MallocTrimmer trimmer(kMallocTrimInterval);
  vigil::metrics::Registry metrics;
  absl::StatusOr<vigil::controllers::IncidentRecorderOptions> recorder_options =
      RecorderOptions(flags.incidents, &metrics);
  if (!recorder_options.ok()) {
    Log(std::string(recorder_options.status().message()));
    return 1;
  }
  vigil::server::ApiServerOptions server_options = listen;
  server_options.metrics = &metrics;
  vigil::vigild::SecurityConfig security;
  const bool secure = SecureMode(flags, listen);
  if (secure) {
    if (absl::Status s = SetUpSecurity(flags, data_dir, server_options, security); !s.ok()) {
      Log("refusing to start: " + std::string(s.message()));
      return 1;
    }
  }
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
  const std::string url = ServerUrl(server_options, *port);
  const fs::path kubeconfig = data_dir / "kubeconfig";
  absl::Status status = WriteKubeconfigs(data_dir, url, secure ? &security : nullptr);
  if (status.ok()) status = RegisterNode(registry, flags.node);
  vigil::controllers::AssignmentControllerOptions assignment_options;
  assignment_options.log = [](const std::string& line) {
    Log("assignment controller: " + line);
  };
  vigil::controllers::AssignmentController assignments(&registry, assignment_options);
  vigil::controllers::NodeLeaseControllerOptions lease_options;
  lease_options.log = [](const std::string& line) { Log("node lease controller: " + line); };
  vigil::controllers::NodeLeaseController leases(&registry, lease_options);
  vigil::controllers::NodeFencerOptions fencer_options;
  fencer_options.log = [](const std::string& line) { Log("node fencer: " + line); };
  vigil::controllers::NodeFencer fencer(&registry, fencer_options);
  vigil::controllers::IncidentRecorder incidents(&registry, *recorder_options);
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
      {"node lease controller", [&] { return leases.Start(); }, [&] { leases.Stop(); }},
      {"node fencer", [&] { return fencer.Start(); }, [&] { fencer.Stop(); }},
      {"incident recorder", [&] { return incidents.Start(); }, [&] { incidents.Stop(); }}};
  size_t started = 0;
  if (status.ok()) status = StartComponents(components, &started);
  if (!status.ok()) {
    Log("startup failed: " + std::string(status.message()));
    StopComponents(components, started);
    server.Stop();
    return 1;
  }
  Log("serving on " + url + " (data dir " + data_dir.string() + ", node " + flags.node +
      (secure ? ", TLS, bearer tokens from " + security.token_file + ")" : ")"));
  Log("kubectl: KUBECONFIG=" + kubeconfig.string() + " kubectl get sg,su,si,comp,node");
  const int signal_number = WaitForSignal(signals);
  Log(std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
      ", shutting down");
  StopComponents(components, started);
  server.Stop();
  Log("stopped");
  return 0;
}

// Reads the bearer token in `path` (surrounding whitespace dropped).
absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = vigil::auth::ReadWholeFile(path, "--token-file");
  if (!text.ok()) return text.status();
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) {
    return absl::InvalidArgumentError("--token-file " + path +
                                      " is empty; it must hold the node's bearer token "
                                      "(vigild token create-node NODE)");
  }
  return token;
}

// `vigild agent`: only the node agent, for a node other than the server's,
// talking to the API server over HTTP(S).
int RunAgent(const AgentFlags& flags, const sigset_t& signals) {
  // A write to a connection the server has closed (it stopped, or a TLS
  // peer went away) must fail with EPIPE, not kill the agent: its
  // components would be left without anyone to stop them.
  signal(SIGPIPE, SIG_IGN);
  vigil::client::HttpClientOptions client_options;
  client_options.server = flags.server;
  client_options.ca_file = flags.ca_file;
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(flags.token_file);
    if (!token.ok()) {
      Log(std::string(token.status().message()));
      return 1;
    }
    client_options.bearer_token = *token;
  }
  vigil::client::HttpClient client(client_options);
  const fs::path data_dir = fs::absolute(flags.data_dir).lexically_normal();
  absl::StatusOr<vigil::agent::NodeAgentOptions> options =
      AgentOptions(flags.node, data_dir, flags.lease);
  if (!options.ok()) {
    Log(std::string(options.status().message()));
    return 1;
  }
  vigil::agent::NodeAgent agent(&client, *options);
  if (absl::Status s = agent.Start(); !s.ok()) {
    Log("node agent: " + std::string(s.message()));
    return 1;
  }
  Log("node agent for " + flags.node + " on " + flags.server + " (data dir " +
      data_dir.string() + ")");
  WaitForSignal(signals);
  agent.Stop();
  Log("stopped");
  return 0;
}

// `vigild token create-node NODE`: adds a node-agent token to the token file
// and prints it on stdout.
int CreateNodeToken(const Flags& flags, const std::string& node) {
  const fs::path data_dir = fs::absolute(flags.data_dir).lexically_normal();
  const std::string path = vigil::vigild::TokenFilePath(flags.security, data_dir.string());
  if (flags.security.token_auth_file.empty()) {
    std::error_code error;
    fs::create_directories(data_dir, error);
    if (absl::StatusOr<bool> created = vigil::auth::EnsureTokenFile(path); !created.ok()) {
      Log(std::string(created.status().message()));
      return 1;
    }
  }
  absl::StatusOr<std::string> token = vigil::auth::AddNodeToken(path, node);
  if (!token.ok()) {
    Log(std::string(token.status().message()));
    return 1;
  }
  std::cout << *token << std::endl;
  Log("added a token for user system:node:" + node + " to " + path +
      " (a running vigild accepts it at once)");
  return 0;
}

void AddSecurityFlags(CLI::App& app, vigil::vigild::SecurityFlags& flags) {
  app.add_flag("--tls", flags.tls,
               "Serve TLS with bearer tokens even on loopback (always so beyond loopback)");
  app.add_flag("!--no-generate-credentials", flags.generate,
               "Do not generate missing TLS files or token file in the data dir");
  app.add_option("--tls-cert-file", flags.tls_cert_file,
                 "Server certificate (PEM; default <data-dir>/pki/server.crt, generated)");
  app.add_option("--tls-private-key-file", flags.tls_private_key_file,
                 "Server private key (PEM; default <data-dir>/pki/server.key, generated)");
  app.add_option("--tls-ca-file", flags.tls_ca_file,
                 "CA certificate clients should trust, written into the kubeconfigs "
                 "(default <data-dir>/pki/ca.crt, or the --tls-cert-file)");
  app.add_option("--token-auth-file", flags.token_auth_file,
                 "Bearer tokens, kube-apiserver format token,user,uid,\"groups\" "
                 "(default <data-dir>/tokens.csv, generated)");
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
  AddSecurityFlags(app, flags.security);
  AddIncidentFlags(app, flags.incidents);
  AgentFlags agent_flags;
  CLI::App* agent = app.add_subcommand("agent", "Run only the node agent of a node, against a "
                                                "vigild elsewhere");
  agent->add_option("--server", agent_flags.server, "URL of the API server")->required();
  agent->add_option("--node", agent_flags.node, "This node's name (default: the host name)");
  agent->add_option("--data-dir", agent_flags.data_dir,
                    "Logs, socket and state (default .vigil/agent-NODE)");
  agent->add_option("--token-file", agent_flags.token_file,
                    "File holding this node's bearer token (vigild token create-node)");
  agent->add_option("--ca-file", agent_flags.ca_file,
                    "CA certificate of the server (its <data-dir>/pki/ca.crt)");
  AddLeaseFlags(agent, &agent_flags.lease);
  CLI::App* token = app.add_subcommand("token", "Manage bearer tokens");
  token->require_subcommand(1);
  std::string token_node;
  CLI::App* create_node = token->add_subcommand(
      "create-node", "Add a node-agent token (user system:node:NODE) and print it");
  create_node->add_option("NODE", token_node, "The node's name")->required();
  token->fallthrough();
  create_node->fallthrough();
  std::string fence_dir;
  std::string fence_node;
  std::string fence_timeout = "5s";
  CLI::App* fence_local = app.add_subcommand(
      "fence-local", "Fence a node agent of this machine: SIGKILL every process it recorded "
                     "as started (for clusters on one machine: spec.fencing.command)");
  fence_local->add_option("--data-dir", fence_dir, "The agent's data dir")->required();
  fence_local->add_option("--node", fence_node, "The agent's node name")->required();
  fence_local->add_option("--timeout", fence_timeout, "How long to wait for them to end")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (fence_local->parsed()) {
    absl::StatusOr<vigil::api::Millis> timeout = vigil::api::ParseDuration(fence_timeout);
    if (!timeout.ok()) {
      Log("--timeout: " + std::string(timeout.status().message()));
      return 2;
    }
    return vigil::vigild::FenceLocalNode(fence_dir, fence_node, *timeout);
  }
  if (flags.node.empty()) flags.node = DefaultNodeName();
  if (agent->parsed()) {
    if (agent_flags.node.empty()) agent_flags.node = DefaultNodeName();
    if (agent_flags.data_dir.empty()) agent_flags.data_dir = ".vigil/agent-" + agent_flags.node;
    return RunAgent(agent_flags, signals);
  }
  if (create_node->parsed()) return CreateNodeToken(flags, token_node);
  vigil::server::ApiServerOptions listen;
  if (absl::Status s = ParseListen(flags.listen, &listen); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  return Serve(flags, listen, signals);
}
