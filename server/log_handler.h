// GET /apis/vigil.io/v1/components/NAME/log: a component's captured output,
// as text/plain, with the log's size in the X-Vigil-Log-Size header (the
// sinceByte of the next read when following). Query parameters: tailLines,
// sinceByte, limitBytes (api/log_query.h).
//
// The server does not read logs itself: the process that embeds it passes a
// ComponentLogReader (vigild reads the logs of its embedded node agent).
//
// Thread safety: pure functions; the reader must be safe for concurrent use.
#ifndef VIGIL_SERVER_LOG_HANDLER_H_
#define VIGIL_SERVER_LOG_HANDLER_H_

#include <functional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "absl/status/statusor.h"
#include "api/log_query.h"

namespace vigil::server {

// Reads the part of `component`'s log that `query` asks for. Errors as the
// API maps them: NotFound (no such component), FailedPrecondition (its log
// is not on this server's node), Internal.
using ComponentLogReader = std::function<absl::StatusOr<api::LogChunk>(
    const std::string& component, const api::LogQuery& query)>;

// If `rest` (the path after /apis/vigil.io/v1/) is "components/NAME/log",
// serves it with `reader` and returns true; otherwise returns false and
// leaves `res` alone. Without a reader every log is 404.
bool ServeComponentLog(const ComponentLogReader& reader, std::string_view rest,
                       const httplib::Request& req, httplib::Response& res);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_LOG_HANDLER_H_
