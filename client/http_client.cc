#include "client/http_client.h"

#include <optional>
#include <utility>
#include <vector>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "api/codec.h"
#include "api/strings.h"
#include "client/connection_pool.h"
#include "client/http_watch_stream.h"
#include "client/json_fields.h"
#include "client/k8s_status.h"
#include "client/rest_paths.h"

namespace vigil::client {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kMergePatch[] = "application/merge-patch+json";
constexpr char kTableAccept[] =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
// A watch idles between heartbeats (5 s); only a longer silence is a break.
constexpr std::chrono::milliseconds kMinWatchReadTimeout{30000};

using Params = std::vector<std::pair<std::string, std::string>>;

// One REST call.
struct Call {
  std::string method = "GET";
  std::string path;  // with query string
  std::optional<std::string> body;
  std::string content_type = kJson;
  std::string accept = kJson;
  std::string user;  // Impersonate-User, for the audit log
};

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Params WriteParams(const WriteOptions& options) {
  return {{"dryRun", options.dry_run ? "All" : ""}};
}

absl::StatusOr<ObjectList> ToObjectList(const Json& list) {
  ObjectList out;
  const std::string rv = StringField(ObjectField(list, "metadata"), "resourceVersion");
  if (!rv.empty() && !absl::SimpleAtoi(rv, &out.resource_version)) {
    return absl::DataLossError(api::Cat("bad list resourceVersion \"", rv, "\""));
  }
  auto items = list.find("items");
  if (items != list.end() && items->is_array()) {
    out.items.assign(items->begin(), items->end());
  }
  return out;
}

}  // namespace

class HttpClient::Impl {
 public:
  explicit Impl(HttpClientOptions options) : pool_(std::move(options)) {}

  // Sends `call`; returns the parsed JSON body of a 2xx response, or the
  // absl::Status an error response stands for.
  absl::StatusOr<Json> Send(const Call& call);
  // The same, returning the raw 2xx response.
  absl::StatusOr<httplib::Response> SendRaw(const Call& call);

  // Sends `body` as a write (POST, PUT, PATCH or DELETE) to `path`.
  absl::StatusOr<Json> Write(const std::string& method, const std::string& path,
                             const Json& body, const WriteOptions& options,
                             const std::string& content_type = kJson);

  ConnectionPool& pool() { return pool_; }
  const HttpClientOptions& options() const { return pool_.options(); }

 private:
  ConnectionPool pool_;
};

absl::StatusOr<Json> HttpClient::Impl::Send(const Call& call) {
  absl::StatusOr<httplib::Response> response = SendRaw(call);
  if (!response.ok()) return response.status();
  return api::ParseJson(response->body);
}

absl::StatusOr<httplib::Response> HttpClient::Impl::SendRaw(const Call& call) {
  httplib::Request req;
  req.method = call.method;
  req.path = call.path;
  req.set_header("Accept", call.accept);
  req.set_header("Accept-Encoding", "identity");  // set_decompress(false)
  if (!call.user.empty()) req.set_header("Impersonate-User", call.user);
  if (call.body.has_value()) {
    req.body = *call.body;
    req.set_header("Content-Type", call.content_type);
  }
  bool reused = false;
  std::unique_ptr<httplib::Client> http = pool_.Acquire(&reused);
  if (!http->is_valid()) {
    return absl::InvalidArgumentError(
        api::Cat("invalid server URL \"", options().server, "\""));
  }
  httplib::Result result = http->send(req);
  if (!result && reused) {
    // The server may have closed the kept connection as the request left.
    http = pool_.NewConnection(options().timeout, /*keep_alive=*/true);
    result = http->send(req);
  }
  if (!result) {
    return absl::UnavailableError(api::Cat("cannot reach the Vigil server at ",
                                           options().server, ": ",
                                           httplib::to_string(result.error())));
  }
  pool_.Release(std::move(http));
  if (result->status < 200 || result->status > 299) {
    return StatusFromHttp(result->status, result->body);
  }
  return std::move(*result);
}

absl::StatusOr<Json> HttpClient::Impl::Write(const std::string& method,
                                             const std::string& path,
                                             const Json& body,
                                             const WriteOptions& options,
                                             const std::string& content_type) {
  Call call;
  call.method = method;
  call.path = path + QueryString(WriteParams(options));
  call.body = Dump(body);
  call.content_type = content_type;
  call.user = options.user;
  return Send(call);
}

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

absl::StatusOr<Json> HttpClient::Get(const std::string& kind, const std::string& name) {
  absl::StatusOr<std::string> path = ResourcePath(kind, name);
  if (!path.ok()) return path.status();
  Call call;
  call.path = *path;
  return impl_->Send(call);
}

absl::StatusOr<ObjectList> HttpClient::List(const std::string& kind,
                                            const ListOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(kind);
  if (!path.ok()) return path.status();
  const bool at_revision = options.resource_version > 0;
  Call call;
  call.path = *path + QueryString({
      {"labelSelector", options.label_selector},
      {"resourceVersion", at_revision ? std::to_string(options.resource_version) : ""},
      {"resourceVersionMatch", at_revision ? "Exact" : ""}});
  absl::StatusOr<Json> list = impl_->Send(call);
  if (!list.ok()) return list.status();
  return ToObjectList(*list);
}

absl::StatusOr<Json> HttpClient::Create(const Json& obj, const WriteOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(api::KindOf(obj));
  if (!path.ok()) return path.status();
  return impl_->Write("POST", *path, obj, options);
}

absl::StatusOr<Json> HttpClient::Update(const Json& obj, const WriteOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(api::KindOf(obj), api::NameOf(obj));
  if (!path.ok()) return path.status();
  return impl_->Write("PUT", *path, obj, options);
}

absl::StatusOr<Json> HttpClient::UpdateStatus(const Json& obj,
                                              const WriteOptions& options) {
  absl::StatusOr<std::string> path =
      ResourcePath(api::KindOf(obj), api::NameOf(obj), /*status=*/true);
  if (!path.ok()) return path.status();
  return impl_->Write("PUT", *path, obj, options);
}

absl::StatusOr<Json> HttpClient::Patch(const std::string& kind, const std::string& name,
                                       const Json& merge_patch, bool status,
                                       const WriteOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(kind, name, status);
  if (!path.ok()) return path.status();
  return impl_->Write("PATCH", *path, merge_patch, options, kMergePatch);
}

absl::StatusOr<Json> HttpClient::Delete(const std::string& kind, const std::string& name,
                                        std::optional<int64_t> expected_resource_version,
                                        const WriteOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(kind, name);
  if (!path.ok()) return path.status();
  Json delete_options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (expected_resource_version.has_value()) {
    delete_options["preconditions"] = {
        {"resourceVersion", std::to_string(*expected_resource_version)}};
  }
  return impl_->Write("DELETE", *path, delete_options, options);
}

absl::StatusOr<std::unique_ptr<WatchStream>> HttpClient::Watch(
    const std::string& kind, const ListOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(kind);
  if (!path.ok()) return path.status();
  const bool from_now = options.resource_version == 0;
  const std::string query = QueryString({
      {"watch", "true"},
      {"labelSelector", options.label_selector},
      {"resourceVersion", from_now ? "" : std::to_string(options.resource_version)},
      // Vigil's "from now": no synthetic ADDED events for existing objects.
      {"sendInitialEvents", from_now ? "false" : ""},
      {"allowWatchBookmarks", "true"}});
  const auto read_timeout = std::max(impl_->options().timeout, kMinWatchReadTimeout);
  httplib::Headers headers = {{"Accept", kJson}, {"Accept-Encoding", "identity"}};
  auto stream = std::make_unique<HttpWatchStream>(
      impl_->pool().NewConnection(read_timeout, /*keep_alive=*/false), *path + query,
      std::move(headers));
  absl::Status started = stream->Start(impl_->options().timeout);
  if (!started.ok()) return started;
  return stream;
}

absl::StatusOr<Json> HttpClient::GetTable(const std::string& kind,
                                          const std::string& name,
                                          const ListOptions& options) {
  absl::StatusOr<std::string> path = ResourcePath(kind, name);
  if (!path.ok()) return path.status();
  Call call;
  call.path = *path + QueryString({{"labelSelector", options.label_selector}});
  call.accept = kTableAccept;
  return impl_->Send(call);
}

absl::StatusOr<Json> HttpClient::GetPath(const std::string& path) {
  Call call;
  call.path = path;
  return impl_->Send(call);
}

absl::StatusOr<std::string> HttpClient::GetText(const std::string& path,
                                                const std::string& header,
                                                std::string* header_value) {
  Call call;
  call.path = path;
  call.accept = "text/plain, application/json";
  absl::StatusOr<httplib::Response> response = impl_->SendRaw(call);
  if (!response.ok()) return response.status();
  if (header_value != nullptr) *header_value = response->get_header_value(header);
  return std::move(response->body);
}

}  // namespace vigil::client
