#include "cli/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "api/strings.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// The `field` map of the entry named `name` in list `list` ("clusters").
absl::StatusOr<YAML::Node> NamedEntry(const YAML::Node& root, const char* list,
                                      const char* field, const std::string& name,
                                      const std::string& path) {
  for (const YAML::Node& entry : root[list]) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry[field];
  }
  return absl::NotFoundError(api::Cat("kubeconfig ", path, ": ", list, " has no entry named \"",
                                      name, "\""));
}

absl::StatusOr<std::string> ReadText(const fs::path& file, const std::string& kubeconfig) {
  std::ifstream in(file);
  if (!in) {
    return absl::NotFoundError(api::Cat("kubeconfig ", kubeconfig, ": cannot read ",
                                        file.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Scalar(const YAML::Node& node, const char* key) {
  return node && node[key] ? node[key].as<std::string>() : "";
}

absl::Status FillCluster(const YAML::Node& cluster, const fs::path& dir,
                         const std::string& path, client::HttpClientOptions& out) {
  out.server = Scalar(cluster, "server");
  if (out.server.empty()) {
    return absl::InvalidArgumentError(api::Cat("kubeconfig ", path, ": the cluster has no server"));
  }
  const std::string data = Scalar(cluster, "certificate-authority-data");
  if (!data.empty() && !absl::Base64Unescape(data, &out.ca_pem)) {
    return absl::InvalidArgumentError(
        api::Cat("kubeconfig ", path, ": certificate-authority-data is not base64"));
  }
  const std::string file = Scalar(cluster, "certificate-authority");
  if (out.ca_pem.empty() && !file.empty()) {
    absl::StatusOr<std::string> pem = ReadText(dir / file, path);
    if (!pem.ok()) return pem.status();
    out.ca_pem = *pem;
  }
  return absl::OkStatus();
}

absl::Status FillUser(const YAML::Node& user, const fs::path& dir, const std::string& path,
                      client::HttpClientOptions& out) {
  out.bearer_token = Scalar(user, "token");
  const std::string file = Scalar(user, "tokenFile");
  if (out.bearer_token.empty() && !file.empty()) {
    absl::StatusOr<std::string> token = ReadText(dir / file, path);
    if (!token.ok()) return token.status();
    out.bearer_token = std::string(absl::StripAsciiWhitespace(*token));
  }
  return absl::OkStatus();
}

absl::StatusOr<client::HttpClientOptions> Parse(const YAML::Node& root, const std::string& path) {
  const std::string context_name = Scalar(root, "current-context");
  if (context_name.empty()) {
    return absl::InvalidArgumentError(api::Cat("kubeconfig ", path, ": no current-context"));
  }
  absl::StatusOr<YAML::Node> context = NamedEntry(root, "contexts", "context", context_name, path);
  if (!context.ok()) return context.status();
  absl::StatusOr<YAML::Node> cluster =
      NamedEntry(root, "clusters", "cluster", Scalar(*context, "cluster"), path);
  if (!cluster.ok()) return cluster.status();
  const fs::path dir = fs::path(path).parent_path();
  client::HttpClientOptions out;
  if (absl::Status s = FillCluster(*cluster, dir, path, out); !s.ok()) return s;
  const std::string user_name = Scalar(*context, "user");
  if (user_name.empty()) return out;
  absl::StatusOr<YAML::Node> user = NamedEntry(root, "users", "user", user_name, path);
  if (!user.ok()) return user.status();
  if (absl::Status s = FillUser(*user, dir, path, out); !s.ok()) return s;
  return out;
}

}  // namespace

absl::StatusOr<client::HttpClientOptions> LoadKubeconfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadText(path, path);
  if (!text.ok()) return text.status();
  try {
    return Parse(YAML::Load(*text), path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(api::Cat("kubeconfig ", path, ": ", e.what()));
  }
}

}  // namespace vigil::cli
