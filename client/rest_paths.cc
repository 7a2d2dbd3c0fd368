#include "client/rest_paths.h"

#include <cctype>

#include "absl/strings/str_format.h"
#include "api/object.h"
#include "api/strings.h"

namespace vigil::client {

absl::StatusOr<std::string> ResourcePath(const std::string& kind,
                                         const std::string& name, bool status) {
  const api::KindInfo* info = api::FindKind(kind);
  if (info == nullptr) {
    std::string known;
    for (const api::KindInfo& k : api::AllKinds()) {
      api::Append(&known, known.empty() ? "" : ", ", k.kind);
    }
    return absl::NotFoundError(api::Cat("unknown kind \"", kind,
                                        "\"; known kinds: ", known));
  }
  std::string path = api::Cat("/apis/", api::kApiVersion, "/", info->plural);
  if (!name.empty()) api::Append(&path, "/", EncodeQueryValue(name));
  if (status) path += "/status";
  return path;
}

std::string EncodeQueryValue(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

std::string QueryString(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    api::Append(&out, out.empty() ? "?" : "&", key, "=", EncodeQueryValue(value));
  }
  return out;
}

}  // namespace vigil::client
