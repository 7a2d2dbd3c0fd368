#include "api/strings.h"
#include "client/k8s_status.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "client/json_fields.h"

namespace vigil::client {
namespace {

using api::Json;

// One row of the code table: absl code, HTTP code, Kubernetes reason.
struct CodeMapping {
  absl::StatusCode code;
  int http_code;
  const char* reason;
};

constexpr CodeMapping kMappings[] = {
    {absl::StatusCode::kNotFound, 404, "NotFound"},
    {absl::StatusCode::kAlreadyExists, 409, "AlreadyExists"},
    {absl::StatusCode::kAborted, 409, "Conflict"},
    {absl::StatusCode::kInvalidArgument, 422, "Invalid"},
    {absl::StatusCode::kOutOfRange, 410, "Expired"},
    {absl::StatusCode::kUnavailable, 503, "ServiceUnavailable"},
    {absl::StatusCode::kPermissionDenied, 403, "Forbidden"},
    {absl::StatusCode::kUnauthenticated, 401, "Unauthorized"},
    {absl::StatusCode::kResourceExhausted, 429, "TooManyRequests"},
    {absl::StatusCode::kUnimplemented, 405, "MethodNotAllowed"},
    {absl::StatusCode::kDeadlineExceeded, 504, "Timeout"},
    {absl::StatusCode::kFailedPrecondition, 400, "BadRequest"},
};

const CodeMapping* MappingFor(absl::StatusCode code) {
  for (const CodeMapping& m : kMappings) {
    if (m.code == code) return &m;
  }
  return nullptr;
}

Json CausesJson(const std::vector<api::FieldError>& causes) {
  Json out = Json::array();
  for (const api::FieldError& c : causes) {
    out.push_back({{"reason", c.type}, {"message", c.message}, {"field", c.field}});
  }
  return out;
}

std::vector<api::FieldError> CausesFromJson(const Json& details) {
  std::vector<api::FieldError> out;
  auto it = details.find("causes");
  if (it == details.end() || !it->is_array()) return out;
  for (const Json& c : *it) {
    if (!c.is_object()) continue;
    out.push_back({StringField(c, "reason"), StringField(c, "field"),
                   StringField(c, "message")});
  }
  return out;
}

// An invalid-object status carrying `message` verbatim and the causes.
absl::Status InvalidWithCauses(const Json& details, const std::string& message) {
  std::vector<api::FieldError> causes = CausesFromJson(details);
  if (causes.empty()) return absl::InvalidArgumentError(message);
  absl::Status built = api::InvalidObject(StringField(details, "kind"),
                                          StringField(details, "name"), causes);
  absl::Status out(built.code(), message);
  built.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

absl::StatusCode CodeForHttp(int http_code, const std::string& reason) {
  if (http_code == 409) {
    return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                     : absl::StatusCode::kAborted;
  }
  if (http_code == 400) return absl::StatusCode::kInvalidArgument;
  if (http_code == 415 || http_code == 406) return absl::StatusCode::kUnimplemented;
  if (http_code == 500) return absl::StatusCode::kInternal;
  for (const CodeMapping& m : kMappings) {
    if (m.http_code == http_code) return m.code;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

int HttpCodeFor(const absl::Status& status) {
  if (api::IsMalformedRequest(status)) return 400;
  const CodeMapping* m = MappingFor(status.code());
  return m == nullptr ? 500 : m->http_code;
}

std::string ReasonFor(const absl::Status& status) {
  if (api::IsMalformedRequest(status)) return "BadRequest";
  const CodeMapping* m = MappingFor(status.code());
  return m == nullptr ? "InternalError" : m->reason;
}

Json StatusJsonWithCode(int http_code, const std::string& reason,
                        const std::string& message,
                        const StatusDetails& details) {
  Json d = Json::object();
  if (!details.name.empty()) d["name"] = details.name;
  if (!details.group.empty()) d["group"] = details.group;
  if (!details.kind.empty()) d["kind"] = details.kind;
  Json out = {{"kind", "Status"},     {"apiVersion", "v1"},
              {"metadata", Json::object()}, {"status", "Failure"},
              {"message", message},   {"reason", reason},
              {"code", http_code}};
  if (!d.empty()) out["details"] = std::move(d);
  return out;
}

Json StatusToJson(const absl::Status& status, const StatusDetails& details) {
  Json out = StatusJsonWithCode(HttpCodeFor(status), ReasonFor(status),
                                std::string(status.message()), details);
  std::vector<api::FieldError> causes = api::CausesOf(status);
  if (!causes.empty()) out["details"]["causes"] = CausesJson(causes);
  return out;
}

absl::Status StatusFromJson(const Json& status_object) {
  if (!status_object.is_object()) {
    return absl::UnknownError("malformed Status object in response");
  }
  int http_code = 500;
  const auto code_it = status_object.find("code");
  if (code_it != status_object.end() && code_it->is_number_integer()) {
    http_code = code_it->get<int>();
  }
  const std::string reason = StringField(status_object, "reason");
  const std::string message = StringField(status_object, "message");
  const Json details = ObjectField(status_object, "details");
  if (http_code == 422) return InvalidWithCauses(details, message);
  if (http_code == 400) return api::MalformedRequest(message);
  return absl::Status(CodeForHttp(http_code, reason), message);
}

absl::Status StatusFromHttp(int http_code, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (StringField(parsed, "kind") == "Status") {
    parsed["code"] = http_code;  // the HTTP code is authoritative
    return StatusFromJson(parsed);
  }
  std::string message = api::Cat("HTTP ", http_code);
  if (!body.empty()) api::Append(&message, ": ", body.substr(0, 512));
  if (http_code == 400) return api::MalformedRequest(message);
  return absl::Status(CodeForHttp(http_code, ""), message);
}

}  // namespace vigil::client
