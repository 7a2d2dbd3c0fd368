#include "auth/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/strings.h"

namespace vigil::auth {
namespace {

absl::Status OsError(const std::string& verb, const std::string& what,
                     const std::string& path, int error) {
  std::string message = api::Cat("cannot ", verb, " ", what, " ", path, ": ",
                                 std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EEXIST) return absl::AlreadyExistsError(message);
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

absl::Status WriteAndClose(int fd, const std::string& text, const std::string& path,
                           const std::string& what) {
  const bool written = WriteAll(fd, text) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  return written ? absl::OkStatus() : OsError("write", what, path, error);
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError("read", what, path, errno);
  std::string text;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return OsError("read", what, path, error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

absl::Status CreateNewFile(const std::string& path, const std::string& text, int mode,
                           const std::string& what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return OsError("create", what, path, errno);
  ::fchmod(fd, mode);  // the umask must not widen or narrow it
  absl::Status written = WriteAndClose(fd, text, path, what);
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}

absl::Status AppendToFile(const std::string& path, const std::string& text,
                          const std::string& what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return OsError("append to", what, path, errno);
  return WriteAndClose(fd, text, path, what);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace vigil::auth
