#include "agent/component_log.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "api/strings.h"

namespace vigil::agent {
namespace {

// The suffix of `text` holding its last `lines` lines (a final newline does
// not start another line).
std::string LastLines(const std::string& text, int64_t lines) {
  if (lines == 0) return "";
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t at = end;
  for (int64_t found = 0; at > 0; --at) {
    if (text[at - 1] == '\n' && ++found == lines) break;
  }
  return text.substr(at);
}

}  // namespace

std::string ComponentLogPath(const std::string& log_dir, const std::string& component) {
  return log_dir + "/" + component + ".log";
}

absl::StatusOr<LogChunk> ReadLocalComponentLog(client::Client& client, const std::string& node,
                                               const std::string& log_dir,
                                               const std::string& component,
                                               const LogQuery& query) {
  absl::StatusOr<api::Json> comp = client.Get("Component", component);
  if (!comp.ok()) return comp.status();
  const std::string unit = comp->value("spec", api::Json::object()).value("serviceUnit", "");
  absl::StatusOr<api::Json> su = client.Get("ServiceUnit", unit);
  const std::string placed =
      su.ok() ? su->value("spec", api::Json::object()).value("node", "") : std::string();
  if (placed != node) {
    return absl::FailedPreconditionError(api::Cat(
        "component ", component, " is placed on node \"", placed.empty() ? "?" : placed,
        "\" (unit ", unit, "), not on this server's node \"", node,
        "\": its log is in logs/", component, ".log under the data dir of that node's agent"));
  }
  return ReadLog(ComponentLogPath(log_dir, component), query);
}

absl::StatusOr<LogChunk> ReadLog(const std::string& path, const LogQuery& query) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return LogChunk{};
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::InternalError(api::Cat("cannot open ", path));
  LogChunk chunk;
  chunk.size = static_cast<int64_t>(in.tellg());
  int64_t from = query.since_byte <= chunk.size ? std::max<int64_t>(0, query.since_byte) : 0;
  // Only the newest limit_bytes can be returned: never read more than that.
  if (query.limit_bytes >= 0) from = std::max(from, chunk.size - query.limit_bytes);
  chunk.text.resize(static_cast<size_t>(chunk.size - from));
  in.seekg(from);
  if (!in.read(chunk.text.data(), static_cast<std::streamsize>(chunk.text.size()))) {
    return absl::InternalError(api::Cat("cannot read ", path));
  }
  if (query.tail_lines >= 0) chunk.text = LastLines(chunk.text, query.tail_lines);
  if (query.limit_bytes >= 0 && static_cast<int64_t>(chunk.text.size()) > query.limit_bytes) {
    chunk.text.erase(0, chunk.text.size() - static_cast<size_t>(query.limit_bytes));
  }
  return chunk;
}

}  // namespace vigil::agent
