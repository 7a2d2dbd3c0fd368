// The kubeconfig vigild writes into its data dir, so that
// `KUBECONFIG=<data-dir>/kubeconfig kubectl get sg` just works.
//
// Thread safety: a pure function over the file system.
#ifndef VIGIL_SERVER_KUBECONFIG_H_
#define VIGIL_SERVER_KUBECONFIG_H_

#include <string>

#include "absl/status/status.h"

namespace vigil::server {

// What a kubeconfig's user and cluster carry beyond the server URL. All
// empty: a plain-HTTP server that needs no credentials.
struct KubeconfigCredentials {
  std::string user = "vigil-admin";  // the kubeconfig's user entry name
  std::string ca_pem;  // certificate-authority-data (PEM, base64-encoded in the file)
  std::string token;   // the user's bearer token
};

// The kubeconfig text: cluster "vigil" at `server_url` (trusting
// credentials.ca_pem when set), user credentials.user (with its token when
// set), context "vigil" (the current context).
std::string KubeconfigText(const std::string& server_url,
                           const KubeconfigCredentials& credentials = {});

// Writes KubeconfigText(server_url, credentials) to `path` atomically (a temp
// file renamed into place), readable by the owner only.
// Errors: PermissionDenied or Internal naming the path and the OS error.
absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                             const KubeconfigCredentials& credentials = {});

}  // namespace vigil::server

#endif  // VIGIL_SERVER_KUBECONFIG_H_
