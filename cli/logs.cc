// vigil logs: the captured output (stdout and stderr) of a component, read
// through the server from the node agent that runs it.
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "api/log_query.h"
#include "api/strings.h"
#include "cli/commands.h"
#include "cli/kinds.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

constexpr std::chrono::milliseconds kFollowPeriod{250};

// The component named by {"comp", "NAME"}, {"comp/NAME"} or {"NAME"}.
absl::StatusOr<std::string> ComponentName(const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0].find('/') == std::string::npos) return args[0];
  std::vector<const api::KindInfo*> kinds;
  std::vector<ObjectRef> refs;
  if (absl::Status parsed = ParseKindArgs(args, &kinds, &refs); !parsed.ok()) return parsed;
  if (refs.size() != 1 || refs[0].kind->kind != "Component") {
    return absl::InvalidArgumentError(
        "logs takes one component: vigil logs comp NAME (or comp/NAME, or NAME)");
  }
  return refs[0].name;
}

std::string LogPath(const std::string& component, const api::LogQuery& query) {
  std::string path = api::Cat("/apis/vigil.io/v1/components/", component, "/log?sinceByte=",
                              query.since_byte);
  if (query.tail_lines >= 0) path += api::Cat("&tailLines=", query.tail_lines);
  return path;
}

// Prints the part of the log `query` asks for; returns the log's size then
// (the next sinceByte).
absl::StatusOr<int64_t> PrintChunk(const Context& ctx, client::HttpClient& http,
                                   const std::string& component, const api::LogQuery& query) {
  std::string size_text;
  absl::StatusOr<std::string> text =
      http.GetText(LogPath(component, query), api::kLogSizeHeader, &size_text);
  if (!text.ok()) return text.status();
  ctx.out() << *text << std::flush;
  int64_t size = 0;
  if (!absl::SimpleAtoi(size_text, &size)) size = query.since_byte + text->size();
  return size;
}

}  // namespace

int RunLogs(const Context& ctx, const LogsOptions& options) {
  absl::StatusOr<std::string> component = ComponentName(options.args);
  if (!component.ok()) {
    ctx.err() << "error: " << component.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<client::HttpClient> http = ctx.NewClient();
  api::LogQuery query{.tail_lines = options.tail};
  absl::StatusOr<int64_t> size = PrintChunk(ctx, *http, *component, query);
  while (size.ok() && options.follow && !ctx.Stopped()) {
    std::this_thread::sleep_for(kFollowPeriod);
    size = PrintChunk(ctx, *http, *component, {.since_byte = *size});
  }
  if (!size.ok()) {
    ctx.err() << FormatServerError(size.status()) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace vigil::cli
