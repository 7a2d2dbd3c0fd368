#include "cli/keep_alive_client.h"

#include <utility>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "client/k8s_status.h"
#include "client/rest_paths.h"

namespace vigil::cli {
namespace {

using api::Json;

constexpr char kJson[] = "application/json";
constexpr char kMergePatch[] = "application/merge-patch+json";

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string DryRunQuery(const client::WriteOptions& options) {
  return client::QueryString({{"dryRun", options.dry_run ? "All" : ""}});
}

}  // namespace

KeepAliveClient::KeepAliveClient(const client::HttpClientOptions& options)
    : server_(options.server),
      fallback_(options),
      http_(std::make_unique<httplib::Client>(options.server)) {
  http_->set_keep_alive(true);
  http_->set_tcp_nodelay(true);  // a request is two writes: no Nagle delay
  http_->set_connection_timeout(options.timeout);
  http_->set_read_timeout(options.timeout);
  http_->set_write_timeout(options.timeout);
  http_->set_decompress(false);
  if (!options.bearer_token.empty()) http_->set_bearer_token_auth(options.bearer_token);
}

KeepAliveClient::~KeepAliveClient() = default;

absl::StatusOr<Json> KeepAliveClient::Send(const std::string& method,
                                           const std::string& path,
                                           const std::string* body,
                                           const std::string& content_type,
                                           const std::string& user) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.set_header("Accept", kJson);
  if (!user.empty()) req.set_header("Impersonate-User", user);
  if (body != nullptr) {
    req.body = *body;
    req.set_header("Content-Type", content_type);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!http_->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid server URL \"", server_, "\""));
  }
  httplib::Result result = http_->send(req);
  if (!result) {
    return absl::UnavailableError(absl::StrCat("cannot reach the Vigil server at ",
                                               server_, ": ",
                                               httplib::to_string(result.error())));
  }
  if (result->status < 200 || result->status > 299) {
    return client::StatusFromHttp(result->status, result->body);
  }
  return api::ParseJson(result->body);
}

absl::StatusOr<Json> KeepAliveClient::Get(const std::string& kind,
                                          const std::string& name) {
  absl::StatusOr<std::string> path = client::ResourcePath(kind, name);
  if (!path.ok()) return path.status();
  return Send("GET", *path, nullptr, kJson, "");
}

absl::StatusOr<Json> KeepAliveClient::Create(const Json& obj,
                                             const client::WriteOptions& options) {
  absl::StatusOr<std::string> path = client::ResourcePath(api::KindOf(obj));
  if (!path.ok()) return path.status();
  const std::string body = Dump(obj);
  return Send("POST", *path + DryRunQuery(options), &body, kJson, options.user);
}

absl::StatusOr<Json> KeepAliveClient::Patch(const std::string& kind,
                                            const std::string& name,
                                            const Json& merge_patch, bool status,
                                            const client::WriteOptions& options) {
  absl::StatusOr<std::string> path = client::ResourcePath(kind, name, status);
  if (!path.ok()) return path.status();
  const std::string body = Dump(merge_patch);
  return Send("PATCH", *path + DryRunQuery(options), &body, kMergePatch, options.user);
}

absl::StatusOr<Json> KeepAliveClient::Delete(
    const std::string& kind, const std::string& name,
    std::optional<int64_t> expected_resource_version,
    const client::WriteOptions& options) {
  absl::StatusOr<std::string> path = client::ResourcePath(kind, name);
  if (!path.ok()) return path.status();
  Json delete_options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (expected_resource_version.has_value()) {
    delete_options["preconditions"] = {
        {"resourceVersion", std::to_string(*expected_resource_version)}};
  }
  const std::string body = Dump(delete_options);
  return Send("DELETE", *path + DryRunQuery(options), &body, kJson, options.user);
}

absl::StatusOr<client::ObjectList> KeepAliveClient::List(
    const std::string& kind, const client::ListOptions& options) {
  return fallback_.List(kind, options);
}

absl::StatusOr<Json> KeepAliveClient::Update(const Json& obj,
                                             const client::WriteOptions& options) {
  return fallback_.Update(obj, options);
}

absl::StatusOr<Json> KeepAliveClient::UpdateStatus(const Json& obj,
                                                   const client::WriteOptions& options) {
  return fallback_.UpdateStatus(obj, options);
}

absl::StatusOr<std::unique_ptr<client::WatchStream>> KeepAliveClient::Watch(
    const std::string& kind, const client::ListOptions& options) {
  return fallback_.Watch(kind, options);
}

}  // namespace vigil::cli
