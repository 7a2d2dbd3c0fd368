#include "api/errors.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

// Payload type URLs. The causes payload is a JSON array of
// {"type", "field", "message"} objects.
constexpr std::string_view kCausesPayload = "type.vigil.io/FieldErrors";
constexpr std::string_view kMalformedPayload = "type.vigil.io/MalformedRequest";

std::string EncodeCauses(const std::vector<FieldError>& errors) {
  nlohmann::json causes = nlohmann::json::array();
  for (const FieldError& error : errors) {
    causes.push_back(
        {{"type", error.type}, {"field", error.field}, {"message", error.message}});
  }
  return causes.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<FieldError> DecodeCauses(const std::string& encoded) {
  nlohmann::json causes = nlohmann::json::parse(encoded, nullptr, false);
  std::vector<FieldError> errors;
  if (!causes.is_array()) return errors;
  for (const nlohmann::json& cause : causes) {
    if (!cause.is_object()) continue;
    errors.push_back({cause.value("type", ""), cause.value("field", ""),
                      cause.value("message", "")});
  }
  return errors;
}

}  // namespace

std::string FieldError::ToString() const {
  if (field.empty()) return message;
  return Cat(field, ": ", message);
}

absl::Status InvalidObject(std::string_view kind, std::string_view name,
                           const std::vector<FieldError>& errors) {
  std::string details;
  if (errors.size() == 1) {
    details = errors.front().ToString();
  } else {
    details = Cat(
        "[",
        absl::StrJoin(errors, ", ",
                      [](std::string* out, const FieldError& error) {
                        out->append(error.ToString());
                      }),
        "]");
  }
  absl::Status status = absl::InvalidArgumentError(
      Cat(kind, ".vigil.io \"", name, "\" is invalid: ", details));
  status.SetPayload(ToAbsl(kCausesPayload), absl::Cord(EncodeCauses(errors)));
  return status;
}

std::vector<FieldError> CausesOf(const absl::Status& status) {
  auto payload = status.GetPayload(ToAbsl(kCausesPayload));
  if (!payload.has_value()) return {};
  return DecodeCauses(std::string(*payload));
}

absl::Status MalformedRequest(std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(ToAbsl(message));
  status.SetPayload(ToAbsl(kMalformedPayload), absl::Cord("1"));
  return status;
}

bool IsMalformedRequest(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(ToAbsl(kMalformedPayload)).has_value();
}

}  // namespace vigil::api
