// Small helpers the HTTP handlers share: writing JSON and Status responses,
// reading query parameters, and negotiating the Accept header (plain JSON
// or a meta.k8s.io Table, as kubectl asks for it).
//
// Thread safety: pure functions over the request/response passed in.
#ifndef VIGIL_SERVER_HTTP_UTIL_H_
#define VIGIL_SERVER_HTTP_UTIL_H_

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "absl/status/statusor.h"
#include "api/object.h"
#include "client/k8s_status.h"

namespace vigil::server {

inline constexpr char kJsonContentType[] = "application/json";

// Serializes without throwing (invalid UTF-8 is replaced).
std::string DumpJson(const api::Json& value);

void WriteJson(httplib::Response& res, int http_code, const api::Json& body);

// Writes `status` (not OK) as a Kubernetes Status object with its HTTP code.
void WriteError(httplib::Response& res, const absl::Status& status,
                const client::StatusDetails& details = {});

// Writes a Status object with an explicit code and reason (404 for unknown
// paths, 405, 406, 415, ...).
void WriteErrorWithCode(httplib::Response& res, int http_code,
                        const std::string& reason, const std::string& message);

// The query parameter, or "" when absent.
std::string Param(const httplib::Request& req, const char* name);

// Whether a boolean query parameter is "true" or "1".
bool BoolParam(const httplib::Request& req, const char* name);

// What the client accepts as a response body.
struct ResponseFormat {
  bool table = false;        // a meta.k8s.io/v1 Table
  std::string table_version = "v1";  // "v1" or "v1beta1"
};

// Negotiates the Accept header. Clients that accept JSON (explicitly, via a
// wildcard, or by sending no Accept header) get JSON; a Table is chosen when
// the first acceptable entry asks for as=Table;g=meta.k8s.io.
// Errors: nullopt when nothing acceptable is offered (respond 406).
std::optional<ResponseFormat> NegotiateFormat(std::string_view accept);

// The user recorded in audit lines in plain (loopback, unauthenticated)
// mode: the Impersonate-User header (kubectl --as, HttpClient's
// WriteOptions::user), or "loopback".
std::string RequestUser(const httplib::Request& req);

// Parses a JSON request body. Errors: MalformedRequest naming the offset.
absl::StatusOr<api::Json> ParseBody(const std::string& body);

// The dryRun query parameter: "" → false, "All" → true.
// Errors: MalformedRequest for any other value.
absl::StatusOr<bool> DryRunParam(const httplib::Request& req);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_HTTP_UTIL_H_
