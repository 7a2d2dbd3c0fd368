// Bearer tokens in kube-apiserver's --token-auth-file format: one CSV line
// per token, `token,user,uid,"group1,group2"` (the group column optional),
// blank lines and lines starting with '#' ignored.
//
// Thread safety: the free functions are pure or touch only the named file;
// TokenAuthenticator is safe for concurrent use.
#ifndef VIGIL_AUTH_TOKEN_FILE_H_
#define VIGIL_AUTH_TOKEN_FILE_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::auth {

// Who a request comes from, once its token is known.
struct Identity {
  std::string user;
  std::string uid;
  std::vector<std::string> groups;
};

struct TokenEntry {
  std::string token;
  Identity identity;
};

// Well-known identities of the generated token file.
inline constexpr char kAdminUser[] = "vigil-admin";
inline constexpr char kAdminGroup[] = "system:masters";
inline constexpr char kViewerUser[] = "vigil-viewer";
inline constexpr char kViewerGroup[] = "vigil:viewers";
inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kNodesGroup[] = "system:nodes";

// Parses the text of a token file; `path` only names it in errors.
// Errors: InvalidArgument "PATH:LINE: ..." saying what a valid line is, for a
// line with fewer than 3 columns, an empty token or user, an unterminated
// quote, or a token that appeared on an earlier line.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(const std::string& text,
                                                       const std::string& path);

// Reads and parses the token file at `path`.
// Errors: NotFound / PermissionDenied naming the path, or ParseTokenFile's.
absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path);

// One line of a token file (with its newline) for `entry`.
std::string FormatTokenLine(const TokenEntry& entry);

// A new random token: 32 bytes from the OpenSSL CSPRNG, hex-encoded.
// Errors: Internal if the CSPRNG fails.
absl::StatusOr<std::string> NewToken();

// Creates `path` (mode 0600) with a new admin and a new viewer token unless
// it exists; an existing file is never rewritten. Returns whether it created it.
// Errors: PermissionDenied or Internal naming the path.
absl::StatusOr<bool> EnsureTokenFile(const std::string& path);

// Appends a line for a new token of node agent `node` (user
// system:node:NODE, group system:nodes) to `path`, creating it (0600) if
// missing, and returns the token. Errors: InvalidArgument for a node name
// that is empty or holds ',', '"' or whitespace; I/O errors naming the path;
// the file's own parse errors (a broken file is not appended to).
absl::StatusOr<std::string> AddNodeToken(const std::string& path, const std::string& node);

// Maps bearer tokens to identities, from a token file it re-reads when the
// file's inode, modification time or size changes: checked at once for an
// unknown token, at most once a second otherwise. So tokens added by `vigild
// token create-node` work at once, and removed ones stop within a second,
// without a restart. A
// file that became unreadable or invalid keeps the last good tokens (and the
// error is returned by Reload for logging).
class TokenAuthenticator {
 public:
  // Loads `path` once. Errors: LoadTokenFile's.
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> Open(const std::string& path);

  // The identity of `token`, or nullopt for an unknown (or empty) token.
  std::optional<Identity> Authenticate(const std::string& token);

  // Re-reads the file if it changed. Errors: LoadTokenFile's (tokens kept).
  absl::Status Reload();

  const std::string& path() const { return path_; }

 private:
  explicit TokenAuthenticator(std::string path) : path_(std::move(path)) {}
  absl::Status ReloadLocked();  // REQUIRES: mu_ held

  const std::string path_;
  std::mutex mu_;
  std::map<std::string, Identity> tokens_;                // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_check_{};   // GUARDED_BY(mu_)
  std::string file_stamp_;                               // GUARDED_BY(mu_)
};

}  // namespace vigil::auth

#endif  // VIGIL_AUTH_TOKEN_FILE_H_
