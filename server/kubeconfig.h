// The kubeconfig vigild writes into its data dir, so that
// `KUBECONFIG=<data-dir>/kubeconfig kubectl get sg` just works.
//
// Thread safety: a pure function over the file system.
#ifndef VIGIL_SERVER_KUBECONFIG_H_
#define VIGIL_SERVER_KUBECONFIG_H_

#include <string>

#include "absl/status/status.h"

namespace vigil::server {

// The kubeconfig text: cluster "vigil" at `server_url`, user "vigil-admin"
// (no credentials), context "vigil" (the current context).
std::string KubeconfigText(const std::string& server_url);

// Writes KubeconfigText(server_url) to `path` atomically (a temp file renamed
// into place), readable by the owner only.
// Errors: PermissionDenied or Internal naming the path and the OS error.
absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_KUBECONFIG_H_
