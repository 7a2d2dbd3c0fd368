// vigild's secure mode: which listen addresses need it, and the credentials
// it serves with (TLS certificate and key, bearer tokens), generated in the
// data dir on first start unless the operator brings their own.
//
// Thread safety: functions over the file system, called at start-up.
#ifndef VIGIL_CMD_VIGILD_SECURITY_H_
#define VIGIL_CMD_VIGILD_SECURITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/token_file.h"

namespace vigil::vigild {

// The security flags of `vigild`.
struct SecurityFlags {
  bool tls = false;               // --tls: secure mode even on loopback
  bool generate = true;           // false: --no-generate-credentials
  std::string tls_cert_file;      // --tls-cert-file ("" = <data-dir>/pki/server.crt)
  std::string tls_private_key_file;  // --tls-private-key-file
  std::string tls_ca_file;        // --tls-ca-file: the CA kubeconfigs trust
  std::string token_auth_file;    // --token-auth-file ("" = <data-dir>/tokens.csv)
};

// What secure mode serves with, once checked.
struct SecurityConfig {
  std::string cert_file;
  std::string key_file;
  std::string ca_pem;        // what clients are told to trust
  std::string token_file;
  std::unique_ptr<auth::TokenAuthenticator> authenticator;
  std::string admin_token;   // "" if the token file has none
  std::string viewer_token;  // "" if the token file has none
  std::vector<std::string> generated;  // files created by this start
};

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
// 0.0.0.0 and :: (every interface) are not.
bool IsLoopbackHost(const std::string& host);

// <data-dir>/tokens.csv, or the flag's file.
std::string TokenFilePath(const SecurityFlags& flags, const std::string& data_dir);

// Prepares secure mode for a server listening on `listen_host`: generates the
// PKI (with SANs for listen_host, 127.0.0.1, ::1, localhost and this host's
// name) and the token file where they are missing and generation is on, then
// loads them. Errors: FailedPrecondition naming the flag or file that is
// missing or unreadable and what would be valid; vigild then refuses to start.
absl::StatusOr<SecurityConfig> PrepareSecurity(const SecurityFlags& flags,
                                               const std::string& data_dir,
                                               const std::string& listen_host);

}  // namespace vigil::vigild

#endif  // VIGIL_CMD_VIGILD_SECURITY_H_
