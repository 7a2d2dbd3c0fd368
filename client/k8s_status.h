// Kubernetes Status objects <-> absl::Status: the one place where Vigil maps
// its error codes (api/errors.h) to HTTP codes and back. The server encodes
// errors with StatusToJson/HttpCodeFor; HttpClient decodes response bodies
// with StatusFromJson so callers see the same absl::Status (including the
// field causes of an invalid object) as an in-process Registry would return.
//
// Thread safety: pure functions.
#ifndef VIGIL_CLIENT_K8S_STATUS_H_
#define VIGIL_CLIENT_K8S_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "api/object.h"

namespace vigil::client {

// What a Kubernetes Status names in "details": the object the error is about.
struct StatusDetails {
  std::string name;   // "vlc"; "" when not about one object
  std::string kind;   // "servicegroups" (or "ServiceGroup" for Invalid)
  std::string group = std::string(api::kGroup);
};

// The HTTP code for a non-OK status: NotFound 404, AlreadyExists 409,
// Aborted 409, InvalidArgument 422 (400 if api::IsMalformedRequest),
// OutOfRange 410, Unavailable 503, PermissionDenied 403, Unauthenticated 401,
// ResourceExhausted 429, Unimplemented 405, DeadlineExceeded 504, else 500.
int HttpCodeFor(const absl::Status& status);

// The Kubernetes reason for a non-OK status ("NotFound", "AlreadyExists",
// "Conflict", "Invalid", "BadRequest", "Expired", ...).
std::string ReasonFor(const absl::Status& status);

// A meta/v1 Status object ("kind": "Status", "status": "Failure") carrying the
// message, reason, code and details (with the field causes of an invalid
// object). REQUIRES: !status.ok().
api::Json StatusToJson(const absl::Status& status,
                       const StatusDetails& details = {});

// A Status object for an error that has its own HTTP code and reason (e.g.
// 415 UnsupportedMediaType, 406 NotAcceptable, 405 MethodNotAllowed).
api::Json StatusJsonWithCode(int http_code, const std::string& reason,
                             const std::string& message,
                             const StatusDetails& details = {});

// The absl::Status an HTTP error response means. `body` is the response body
// (a Status object if the server is Vigil or Kubernetes; anything else is
// tolerated and quoted in the message). 422 with causes becomes
// api::InvalidObject-equivalent (api::CausesOf works on it); 400 becomes
// api::MalformedRequest. REQUIRES: http_code is not 2xx.
absl::Status StatusFromHttp(int http_code, const std::string& body);

// Same, from an already parsed Status object (e.g. a watch ERROR event).
absl::Status StatusFromJson(const api::Json& status_object);

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_K8S_STATUS_H_
