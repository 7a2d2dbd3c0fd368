// HttpClient: a Client speaking Vigil's Kubernetes REST API over HTTP.
//
// Calls reuse kept-alive connections (TCP_NODELAY) from a pool of this
// client's own (client/connection_pool.h), so bulk callers pay no connection
// set-up per request; a call on a pooled connection that the server closed
// meanwhile is sent once more on a new connection.
//
// Thread safety: safe for concurrent use (each call holds a connection of the
// pool for its duration; watches hold their own connection).
#ifndef VIGIL_CLIENT_HTTP_CLIENT_H_
#define VIGIL_CLIENT_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "client/client.h"

namespace vigil::client {

struct HttpClientOptions {
  std::string server = "http://127.0.0.1:8443";  // base URL (http:// or https://)
  std::string bearer_token;                      // "" = none
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // https: the CA that signed the server's certificate, as a PEM file or as
  // PEM text (ca_pem wins if both are set); neither = the system's CAs. The
  // server's certificate must also name the URL's host.
  std::string ca_file = "";
  std::string ca_pem = "";
};

class HttpClient : public Client {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient() override;

  absl::StatusOr<Json> Get(const std::string& kind, const std::string& name) override;
  absl::StatusOr<ObjectList> List(const std::string& kind,
                                  const ListOptions& options = {}) override;
  absl::StatusOr<Json> Create(const Json& obj, const WriteOptions& options = {}) override;
  absl::StatusOr<Json> Update(const Json& obj, const WriteOptions& options = {}) override;
  absl::StatusOr<Json> UpdateStatus(const Json& obj,
                                    const WriteOptions& options = {}) override;
  absl::StatusOr<Json> Patch(const std::string& kind, const std::string& name,
                             const Json& merge_patch, bool status = false,
                             const WriteOptions& options = {}) override;
  absl::StatusOr<Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version = std::nullopt,
      const WriteOptions& options = {}) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(
      const std::string& kind, const ListOptions& options = {}) override;

  // GET of a kind (name == "": the list) as a meta.k8s.io/v1 Table, the way
  // kubectl asks for it (Accept: application/json;as=Table;g=meta.k8s.io;v=v1).
  absl::StatusOr<Json> GetTable(const std::string& kind, const std::string& name,
                                const ListOptions& options = {});

  // GET of any path returning JSON (discovery, /openapi/v3, /version).
  absl::StatusOr<Json> GetPath(const std::string& path);

  // GET of a path returning text (a component's log): the body, and when
  // `header_value` is given, the value of response header `header` ("" when
  // absent). Errors as for every call (the Status the server returned).
  absl::StatusOr<std::string> GetText(const std::string& path, const std::string& header = "",
                                      std::string* header_value = nullptr);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_HTTP_CLIENT_H_
