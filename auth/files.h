// Small file helpers for credentials: whole-file reads, and writes that
// create files readable by their owner only.
//
// Thread safety: each call touches only the named file.
#ifndef VIGIL_AUTH_FILES_H_
#define VIGIL_AUTH_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::auth {

// The whole content of `path`. `what` names the file in errors
// ("token file"). Errors: NotFound, PermissionDenied or Internal naming
// what, the path and the OS error.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const std::string& what);

// Creates `path` with `text` and `mode`, failing if it exists (O_EXCL), so
// credentials are never overwritten. Errors: AlreadyExists, PermissionDenied
// or Internal naming what and the path.
absl::Status CreateNewFile(const std::string& path, const std::string& text, int mode,
                           const std::string& what);

// Appends `text` to `path`, creating it with mode 0600 if missing.
// Errors: PermissionDenied or Internal naming what and the path.
absl::Status AppendToFile(const std::string& path, const std::string& text,
                          const std::string& what);

// Whether `path` exists (any type).
bool PathExists(const std::string& path);

}  // namespace vigil::auth

#endif  // VIGIL_AUTH_FILES_H_
