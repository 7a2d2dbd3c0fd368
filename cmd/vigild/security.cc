#include "cmd/vigild/security.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "api/strings.h"
#include "auth/files.h"
#include "auth/pki.h"

namespace vigil::vigild {
namespace {

constexpr char kRefuse[] =
    "; vigild serves beyond loopback (or with --tls) only over TLS with bearer tokens";

absl::Status Refuse(const absl::Status& cause, const std::string& hint) {
  return absl::FailedPreconditionError(
      api::Cat(cause.message(), kRefuse, hint.empty() ? "" : "; ", hint));
}

std::vector<std::string> CertificateHosts(const std::string& listen_host) {
  std::vector<std::string> hosts = {"127.0.0.1", "::1", "localhost"};
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') hosts.push_back(name);
  if (listen_host != "0.0.0.0" && listen_host != "::" &&
      std::find(hosts.begin(), hosts.end(), listen_host) == hosts.end()) {
    hosts.insert(hosts.begin(), listen_host);
  }
  return hosts;
}

// Fills the certificate, key and CA of `config`.
absl::Status PrepareTlsFiles(const SecurityFlags& flags, const std::string& data_dir,
                             const std::string& listen_host, SecurityConfig& config) {
  const auth::PkiFiles pki = auth::PkiFilesIn(data_dir + "/pki");
  const bool own = !flags.tls_cert_file.empty();
  if (own != !flags.tls_private_key_file.empty()) {
    return Refuse(absl::InvalidArgumentError(
                      "--tls-cert-file and --tls-private-key-file must be given together"), "");
  }
  if (!own && flags.generate) {
    absl::StatusOr<std::vector<std::string>> created =
        auth::EnsureServingPki(data_dir + "/pki", CertificateHosts(listen_host));
    if (!created.ok()) return Refuse(created.status(), "");
    config.generated = *created;
  }
  config.cert_file = own ? flags.tls_cert_file : pki.server_cert;
  config.key_file = own ? flags.tls_private_key_file : pki.server_key;
  const std::string hint = own ? "" : "give --tls-cert-file and --tls-private-key-file, or "
                                      "drop --no-generate-credentials to generate them";
  for (const std::string& file : {config.cert_file, config.key_file}) {
    if (absl::StatusOr<std::string> text = auth::ReadWholeFile(file, "TLS file"); !text.ok()) {
      return Refuse(text.status(), hint);
    }
  }
  const std::string ca_file =
      !flags.tls_ca_file.empty() ? flags.tls_ca_file : (own ? config.cert_file : pki.ca_cert);
  absl::StatusOr<std::string> ca = auth::ReadWholeFile(ca_file, "CA certificate");
  if (!ca.ok()) return Refuse(ca.status(), "--tls-ca-file names the CA clients should trust");
  config.ca_pem = *ca;
  return absl::OkStatus();
}

// Fills the token file, authenticator and kubeconfig tokens of `config`.
absl::Status PrepareTokens(const SecurityFlags& flags, const std::string& data_dir,
                           SecurityConfig& config) {
  config.token_file = TokenFilePath(flags, data_dir);
  if (flags.token_auth_file.empty() && flags.generate) {
    absl::StatusOr<bool> created = auth::EnsureTokenFile(config.token_file);
    if (!created.ok()) return Refuse(created.status(), "");
    if (*created) config.generated.push_back(config.token_file);
  }
  absl::StatusOr<std::vector<auth::TokenEntry>> entries = auth::LoadTokenFile(config.token_file);
  if (!entries.ok()) {
    return Refuse(entries.status(), "give --token-auth-file FILE (token,user,uid,\"groups\")");
  }
  for (const auth::TokenEntry& entry : *entries) {
    const auto& groups = entry.identity.groups;
    auto in = [&groups](const char* group) {
      return std::find(groups.begin(), groups.end(), group) != groups.end();
    };
    if (config.admin_token.empty() && in(auth::kAdminGroup)) config.admin_token = entry.token;
    if (config.viewer_token.empty() && in(auth::kViewerGroup)) config.viewer_token = entry.token;
  }
  absl::StatusOr<std::unique_ptr<auth::TokenAuthenticator>> authenticator =
      auth::TokenAuthenticator::Open(config.token_file);
  if (!authenticator.ok()) return Refuse(authenticator.status(), "");
  config.authenticator = std::move(*authenticator);
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr address;
  if (inet_pton(AF_INET, host.c_str(), &address) != 1) return false;
  return (ntohl(address.s_addr) >> 24) == 127;
}

std::string TokenFilePath(const SecurityFlags& flags, const std::string& data_dir) {
  return flags.token_auth_file.empty() ? data_dir + "/tokens.csv" : flags.token_auth_file;
}

absl::StatusOr<SecurityConfig> PrepareSecurity(const SecurityFlags& flags,
                                               const std::string& data_dir,
                                               const std::string& listen_host) {
  SecurityConfig config;
  if (absl::Status s = PrepareTlsFiles(flags, data_dir, listen_host, config); !s.ok()) return s;
  if (absl::Status s = PrepareTokens(flags, data_dir, config); !s.ok()) return s;
  return config;
}

}  // namespace vigil::vigild
