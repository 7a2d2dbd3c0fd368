// Reading a component's captured output (stdout and stderr, which the agent
// writes to <data-dir>/logs/<component>.log), for `vigil logs comp NAME`.
//
// Thread safety: pure functions over the file system.
#ifndef VIGIL_AGENT_COMPONENT_LOG_H_
#define VIGIL_AGENT_COMPONENT_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "api/log_query.h"
#include "client/client.h"

namespace vigil::agent {

using api::LogChunk;
using api::LogQuery;

// The path of `component`'s log under the agent's `log_dir`.
std::string ComponentLogPath(const std::string& log_dir, const std::string& component);

// Reads the log of `component` for a server whose embedded node agent
// serves `node` and writes its logs under `log_dir`: looks up the
// component's unit and that unit's node through `client`.
// Errors: NotFound (no such component), FailedPrecondition (it is placed on
// another node, whose agent keeps the log on its own machine), what ReadLog
// returns.
absl::StatusOr<LogChunk> ReadLocalComponentLog(client::Client& client, const std::string& node,
                                               const std::string& log_dir,
                                               const std::string& component,
                                               const LogQuery& query);

// Reads `path` as `query` asks: from since_byte (from 0 if the file is now
// shorter, i.e. it was truncated), then the last tail_lines lines of that,
// then at most limit_bytes from the end. A log that does not exist yet
// (the component never ran here) reads as empty.
// Errors: Internal when the file exists but cannot be read.
absl::StatusOr<LogChunk> ReadLog(const std::string& path, const LogQuery& query);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_COMPONENT_LOG_H_
