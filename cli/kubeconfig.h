// Reading a kubeconfig file the way kubectl does, for `vigil --kubeconfig`:
// the current context's cluster (server URL, certificate authority) and user
// (bearer token).
//
// Thread safety: a pure function over the file system.
#ifndef VIGIL_CLI_KUBECONFIG_H_
#define VIGIL_CLI_KUBECONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/http_client.h"

namespace vigil::cli {

// The connection settings of `path`'s current context: server, ca_pem (from
// certificate-authority-data, or read from certificate-authority) and
// bearer_token (token, or read from tokenFile). Relative file names are
// relative to the kubeconfig's directory, as for kubectl.
// Errors: NotFound / InvalidArgument naming the file and the missing or bad
// entry (e.g. `kubeconfig K: context "x" not found`).
absl::StatusOr<client::HttpClientOptions> LoadKubeconfig(const std::string& path);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_KUBECONFIG_H_
