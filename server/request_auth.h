// Authentication and authorization of one HTTP request of the API server in
// secure mode (server/api_server.h): the bearer token, the Kubernetes verb of
// a method and path, and the audit user.
//
// Thread safety: pure functions (Authorize reads through the registry).
#ifndef VIGIL_SERVER_REQUEST_AUTH_H_
#define VIGIL_SERVER_REQUEST_AUTH_H_

#include <optional>
#include <string>

#include <httplib.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/authorizer.h"
#include "auth/token_file.h"
#include "server/registry.h"
#include "server/resource_handlers.h"

namespace vigil::server {

// The token of an `Authorization: Bearer <token>` header, or "".
std::string BearerToken(const httplib::Request& req);

// The identity behind the request's bearer token.
// Errors: Unauthenticated ("Unauthorized" to kubectl) when the header is
// missing or the token unknown; nothing is said about which tokens exist.
absl::StatusOr<auth::Identity> AuthenticateRequest(const httplib::Request& req,
                                                   auth::TokenAuthenticator& authenticator);

// The Kubernetes verb of a request: get/list/watch for GET (of an object, a
// collection, or with watch=true), create (POST), update (PUT), patch
// (PATCH), delete/deletecollection (DELETE).
std::string VerbOf(const std::string& method, const ResourcePath& path,
                   const httplib::Request& req);

// What `req` does to `path`, for auth::Authorize. For a create, the name is
// the one in the body ("" if the body does not parse).
auth::RequestAttributes AttributesOf(const httplib::Request& req, const ResourcePath& path);

// Authorizes `identity` for `req` on `path`, reading stored objects through
// `registry`. Errors: PermissionDenied (403) as auth::Authorize words it.
absl::Status AuthorizeRequest(const auth::Identity& identity, const httplib::Request& req,
                              const ResourcePath& path, Registry& registry);

// Authorizes a request outside the resource paths (discovery, logs, unknown
// paths): any identity Vigil grants a role may read; writes are admin-only.
absl::Status AuthorizeOtherPath(const auth::Identity& identity, const httplib::Request& req);

// The user an audit line names: the authenticated user, followed by
// "(as:NAME)" when the request also carries a different Impersonate-User
// (which is recorded, never trusted).
std::string AuditUser(const auth::Identity& identity, const httplib::Request& req);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_REQUEST_AUTH_H_
