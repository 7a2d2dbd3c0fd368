#include "server/log_handler.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "api/strings.h"
#include "server/http_util.h"

namespace vigil::server {
namespace {

constexpr char kComponentsPrefix[] = "components/";
constexpr char kLogSuffix[] = "/log";

// The integer query parameter `name`, `fallback` when absent; nullopt (and
// a 400 written to `res`) when it is not a non-negative integer.
std::optional<int64_t> IntParam(const httplib::Request& req, httplib::Response& res,
                                const char* name, int64_t fallback) {
  const std::string text = Param(req, name);
  if (text.empty()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) {
    WriteErrorWithCode(res, 400, "BadRequest",
                       api::Cat("query parameter ", name, ": \"", text,
                                "\" is not a non-negative integer"));
    return std::nullopt;
  }
  return value;
}

}  // namespace

bool ServeComponentLog(const ComponentLogReader& reader, std::string_view rest,
                       const httplib::Request& req, httplib::Response& res) {
  absl::string_view name(rest.data(), rest.size());
  if (!absl::ConsumePrefix(&name, kComponentsPrefix) || !absl::ConsumeSuffix(&name, kLogSuffix) ||
      name.empty() || name.find('/') != absl::string_view::npos) {
    return false;
  }
  const std::string component(name);
  if (!reader) {
    WriteErrorWithCode(res, 404, "NotFound", "this server serves no component logs");
    return true;
  }
  api::LogQuery query;
  std::optional<int64_t> tail = IntParam(req, res, "tailLines", -1);
  std::optional<int64_t> since = IntParam(req, res, "sinceByte", 0);
  std::optional<int64_t> limit = IntParam(req, res, "limitBytes", query.limit_bytes);
  if (!tail || !since || !limit) return true;
  query = {.tail_lines = *tail, .since_byte = *since, .limit_bytes = *limit};
  absl::StatusOr<api::LogChunk> chunk = reader(component, query);
  if (!chunk.ok()) {
    WriteError(res, chunk.status(), {.name = component, .kind = "components"});
    return true;
  }
  res.set_header(api::kLogSizeHeader, std::to_string(chunk->size));
  res.set_content(chunk->text, "text/plain; charset=utf-8");
  return true;
}

}  // namespace vigil::server
