#include "server/kubeconfig.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/escaping.h"
#include "api/strings.h"

namespace vigil::server {
namespace {

absl::Status OsError(const std::string& what, const std::string& path, int error) {
  std::string message = api::Cat("cannot ", what, " kubeconfig ", path, ": ",
                                 std::strerror(error));
  if (error == EACCES || error == EPERM || error == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

bool WriteAll(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string KubeconfigText(const std::string& server_url,
                           const KubeconfigCredentials& credentials) {
  const std::string ca =
      credentials.ca_pem.empty()
          ? ""
          : api::Cat("    certificate-authority-data: ",
                     absl::Base64Escape(credentials.ca_pem), "\n");
  const std::string user = credentials.token.empty()
                               ? "  user: {}\n"
                               : api::Cat("  user:\n    token: ", credentials.token, "\n");
  return api::Cat(
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: vigil\n"
      "  cluster:\n"
      "    server: ", server_url, "\n", ca,
      "users:\n"
      "- name: ", credentials.user, "\n", user,
      "contexts:\n"
      "- name: vigil\n"
      "  context:\n"
      "    cluster: vigil\n"
      "    user: ", credentials.user, "\n"
      "current-context: vigil\n"
      "preferences: {}\n");
}

absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                             const KubeconfigCredentials& credentials) {
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return OsError("create", temp, errno);
  const bool written = WriteAll(fd, KubeconfigText(server_url, credentials));
  const int write_error = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return OsError("write", temp, write_error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int rename_error = errno;
    ::unlink(temp.c_str());
    return OsError("install", path, rename_error);
  }
  return absl::OkStatus();
}

}  // namespace vigil::server
