#include "api/strings.h"
#include "server/http_util.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/codec.h"
#include "api/errors.h"

namespace vigil::server {
namespace {

struct MediaRange {
  std::string type;  // lowercased "application/json"
  std::vector<std::pair<std::string, std::string>> params;

  std::string param(std::string_view name) const {
    for (const auto& [key, value] : params) {
      if (key == name) return value;
    }
    return "";
  }
};

MediaRange ParseMediaRange(absl::string_view text) {
  MediaRange out;
  bool first = true;
  for (absl::string_view part : absl::StrSplit(text, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (first) {
      out.type = absl::AsciiStrToLower(part);
      first = false;
      continue;
    }
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    out.params.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first)),
                            std::string(absl::StripAsciiWhitespace(kv.second)));
  }
  return out;
}

bool IsJsonCompatible(const std::string& type) {
  return type == "application/json" || type == "*/*" || type == "application/*";
}

}  // namespace

std::string DumpJson(const api::Json& value) {
  return value.dump(-1, ' ', false, api::Json::error_handler_t::replace);
}

void WriteJson(httplib::Response& res, int http_code, const api::Json& body) {
  res.status = http_code;
  res.set_content(DumpJson(body), kJsonContentType);
}

void WriteError(httplib::Response& res, const absl::Status& status,
                const client::StatusDetails& details) {
  WriteJson(res, client::HttpCodeFor(status), client::StatusToJson(status, details));
}

void WriteErrorWithCode(httplib::Response& res, int http_code,
                        const std::string& reason, const std::string& message) {
  WriteJson(res, http_code,
            client::StatusJsonWithCode(http_code, reason, message, {"", "", ""}));
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

bool BoolParam(const httplib::Request& req, const char* name) {
  const std::string value = absl::AsciiStrToLower(Param(req, name));
  return value == "true" || value == "1";
}

std::optional<ResponseFormat> NegotiateFormat(std::string_view accept) {
  const absl::string_view text = api::ToAbsl(accept);
  if (absl::StripAsciiWhitespace(text).empty()) return ResponseFormat{};
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    MediaRange range = ParseMediaRange(entry);
    if (!IsJsonCompatible(range.type)) continue;
    const std::string as = range.param("as");
    if (as.empty()) return ResponseFormat{};
    const std::string version = range.param("v");
    if (as == "Table" && range.param("g") == "meta.k8s.io" &&
        (version == "v1" || version == "v1beta1")) {
      return ResponseFormat{true, version};
    }
    // Other "as=" forms (PartialObjectMetadata, discovery lists) are not
    // served; clients list a plain fallback after them.
  }
  return std::nullopt;
}

std::string RequestUser(const httplib::Request& req) {
  std::string user = req.get_header_value("Impersonate-User");
  return user.empty() ? "loopback" : user;
}

absl::StatusOr<api::Json> ParseBody(const std::string& body) {
  if (absl::StripAsciiWhitespace(body).empty()) {
    return api::MalformedRequest("the request body is empty");
  }
  return api::ParseJson(body);
}

absl::StatusOr<bool> DryRunParam(const httplib::Request& req) {
  if (!req.has_param("dryRun")) return false;
  const std::string value = req.get_param_value("dryRun");
  if (value == "All") return true;
  if (value.empty()) return false;
  return api::MalformedRequest("dryRun: Unsupported value: \"" + value +
                               "\": supported values: \"All\"");
}

}  // namespace vigil::server
