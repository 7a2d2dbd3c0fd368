#include "server/request_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "api/strings.h"
#include "client/json_fields.h"
#include "server/http_util.h"

namespace vigil::server {
namespace {

constexpr char kBearerPrefix[] = "bearer ";

std::string ReadVerb(const ResourcePath& path, const httplib::Request& req) {
  if (!path.name.empty()) return "get";
  return BoolParam(req, "watch") ? "watch" : "list";
}

std::string NameInBody(const httplib::Request& req) {
  absl::StatusOr<api::Json> body = ParseBody(req.body);
  if (!body.ok() || !body->is_object()) return "";
  return client::StringField(client::ObjectField(*body, "metadata"), "name");
}

}  // namespace

std::string BearerToken(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.size() <= sizeof(kBearerPrefix) - 1 ||
      !absl::StartsWithIgnoreCase(header, kBearerPrefix)) {
    return "";
  }
  return std::string(absl::StripAsciiWhitespace(
      absl::string_view(header).substr(sizeof(kBearerPrefix) - 1)));
}

absl::StatusOr<auth::Identity> AuthenticateRequest(const httplib::Request& req,
                                                   auth::TokenAuthenticator& authenticator) {
  const std::string token = BearerToken(req);
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "Unauthorized: this server requires a bearer token (Authorization: Bearer <token>; "
        "vigild's tokens are in its --token-auth-file)");
  }
  std::optional<auth::Identity> identity = authenticator.Authenticate(token);
  if (!identity.has_value()) {
    return absl::UnauthenticatedError("Unauthorized: the bearer token is not valid");
  }
  return *identity;
}

std::string VerbOf(const std::string& method, const ResourcePath& path,
                   const httplib::Request& req) {
  if (method == "GET" || method == "HEAD") return ReadVerb(path, req);
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return path.name.empty() ? "deletecollection" : "delete";
  return absl::AsciiStrToLower(method);
}

auth::RequestAttributes AttributesOf(const httplib::Request& req, const ResourcePath& path) {
  auth::RequestAttributes attributes;
  attributes.verb = VerbOf(req.method, path, req);
  attributes.kind = path.kind->kind;
  attributes.name = attributes.verb == "create" ? NameInBody(req) : path.name;
  attributes.subresource = path.status ? "status" : "";
  return attributes;
}

absl::Status AuthorizeRequest(const auth::Identity& identity, const httplib::Request& req,
                              const ResourcePath& path, Registry& registry) {
  auto lookup = [&registry](const std::string& kind, const std::string& name) {
    return registry.Get(kind, name);
  };
  return auth::Authorize(identity, AttributesOf(req, path), lookup);
}

absl::Status AuthorizeOtherPath(const auth::Identity& identity, const httplib::Request& req) {
  auth::RequestAttributes attributes;
  attributes.verb = req.method == "GET" || req.method == "HEAD" ? "get"
                                                                : absl::AsciiStrToLower(req.method);
  attributes.kind = req.path;
  return auth::Authorize(identity, attributes, nullptr);
}

std::string AuditUser(const auth::Identity& identity, const httplib::Request& req) {
  const std::string claimed = req.get_header_value("Impersonate-User");
  if (claimed.empty() || claimed == identity.user) return identity.user;
  return api::Cat(identity.user, "(as:", claimed, ")");
}

}  // namespace vigil::server
