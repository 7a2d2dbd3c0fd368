#include "auth/token_file.h"

#include <sys/stat.h>

#include <openssl/rand.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/strings.h"
#include "auth/files.h"

namespace vigil::auth {
namespace {

constexpr char kWhat[] = "token file";
constexpr char kValidLine[] =
    "a valid line is token,user,uid[,\"group1,group2\"] (kube-apiserver --token-auth-file)";
constexpr auto kRecheckEvery = std::chrono::seconds(1);

// Splits one CSV line into fields; "..." quotes a field ("" is a quote).
// Errors: InvalidArgument for an unterminated quote.
absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quote");
  return fields;
}

absl::StatusOr<TokenEntry> ParseTokenLine(absl::string_view line) {
  absl::StatusOr<std::vector<std::string>> fields = SplitCsv(line);
  if (!fields.ok()) return fields.status();
  for (std::string& field : *fields) field = std::string(absl::StripAsciiWhitespace(field));
  if (fields->size() < 3) {
    return absl::InvalidArgumentError(
        api::Cat("has ", fields->size(), " column(s), needs at least 3"));
  }
  TokenEntry entry;
  entry.token = (*fields)[0];
  entry.identity.user = (*fields)[1];
  entry.identity.uid = (*fields)[2];
  if (entry.token.empty()) return absl::InvalidArgumentError("the token (column 1) is empty");
  if (entry.identity.user.empty()) {
    return absl::InvalidArgumentError("the user (column 2) is empty");
  }
  if (fields->size() > 3) {
    for (absl::string_view group : absl::StrSplit((*fields)[3], ',', absl::SkipWhitespace())) {
      entry.identity.groups.emplace_back(absl::StripAsciiWhitespace(group));
    }
  }
  return entry;
}

std::string Quoted(const std::string& field) {
  if (field.find_first_of(",\"") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Changes whenever the file is replaced or written to.
std::string FileStamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  return api::Cat(st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
}

absl::Status CheckNodeName(const std::string& node) {
  if (!node.empty() && node.find_first_of(",\" \t\r\n") == std::string::npos) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(api::Cat(
      "invalid node name \"", node,
      "\": it must be non-empty, without commas, quotes or whitespace"));
}

}  // namespace

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(const std::string& text,
                                                       const std::string& path) {
  std::vector<TokenEntry> entries;
  std::set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    absl::StatusOr<TokenEntry> entry = ParseTokenLine(line);
    if (entry.ok() && !seen.insert(entry->token).second) {
      entry = absl::InvalidArgumentError("repeats the token of an earlier line");
    }
    if (!entry.ok()) {
      return absl::InvalidArgumentError(api::Cat(path, ":", line_number, ": ",
                                                 entry.status().message(), "; ", kValidLine));
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

absl::StatusOr<std::vector<TokenEntry>> LoadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, kWhat);
  if (!text.ok()) return text.status();
  return ParseTokenFile(*text, path);
}

std::string FormatTokenLine(const TokenEntry& entry) {
  return api::Cat(Quoted(entry.token), ",", Quoted(entry.identity.user), ",",
                  Quoted(entry.identity.uid), ",",
                  Quoted(absl::StrJoin(entry.identity.groups, ",")), "\n");
}

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the OpenSSL random generator failed to make a token");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::StatusOr<bool> EnsureTokenFile(const std::string& path) {
  if (PathExists(path)) return false;
  absl::StatusOr<std::string> admin = NewToken();
  if (!admin.ok()) return admin.status();
  absl::StatusOr<std::string> viewer = NewToken();
  if (!viewer.ok()) return viewer.status();
  const std::string text = api::Cat(
      "# Vigil bearer tokens: token,user,uid,\"groups\" (kube-apiserver --token-auth-file)\n",
      FormatTokenLine({*admin, {kAdminUser, kAdminUser, {kAdminGroup}}}),
      FormatTokenLine({*viewer, {kViewerUser, kViewerUser, {kViewerGroup}}}));
  absl::Status created = CreateNewFile(path, text, 0600, kWhat);
  if (absl::IsAlreadyExists(created)) return false;  // lost a race: keep theirs
  if (!created.ok()) return created;
  return true;
}

absl::StatusOr<std::string> AddNodeToken(const std::string& path, const std::string& node) {
  if (absl::Status s = CheckNodeName(node); !s.ok()) return s;
  if (PathExists(path)) {
    absl::StatusOr<std::vector<TokenEntry>> existing = LoadTokenFile(path);
    if (!existing.ok()) return existing.status();
  }
  absl::StatusOr<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  const std::string user = api::Cat(kNodeUserPrefix, node);
  absl::Status appended =
      AppendToFile(path, FormatTokenLine({*token, {user, user, {kNodesGroup}}}), kWhat);
  if (!appended.ok()) return appended;
  return *token;
}

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Open(
    const std::string& path) {
  std::unique_ptr<TokenAuthenticator> authenticator(new TokenAuthenticator(path));
  std::lock_guard<std::mutex> lock(authenticator->mu_);
  if (absl::Status s = authenticator->ReloadLocked(); !s.ok()) return s;
  return authenticator;
}

std::optional<Identity> TokenAuthenticator::Authenticate(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  // An unknown token may have just been added: look at once (a stat when the
  // file is unchanged). A known one may have been removed: look every second.
  if (it == tokens_.end() || std::chrono::steady_clock::now() - last_check_ >= kRecheckEvery) {
    ReloadLocked().IgnoreError();  // keeps the last good tokens; Reload() reports
    it = tokens_.find(token);
  }
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

absl::Status TokenAuthenticator::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReloadLocked();
}

absl::Status TokenAuthenticator::ReloadLocked() {
  last_check_ = std::chrono::steady_clock::now();
  const std::string stamp = FileStamp(path_);
  if (!stamp.empty() && stamp == file_stamp_) return absl::OkStatus();
  absl::StatusOr<std::vector<TokenEntry>> entries = LoadTokenFile(path_);
  if (!entries.ok()) return entries.status();
  tokens_.clear();
  for (TokenEntry& entry : *entries) tokens_[entry.token] = std::move(entry.identity);
  file_stamp_ = stamp;
  return absl::OkStatus();
}

}  // namespace vigil::auth
