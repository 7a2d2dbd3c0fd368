// vigil get: tables from the server's Table output (aligned like kubectl),
// objects as YAML/JSON/names, and -w to keep printing changes.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/kinds.h"
#include "cli/output.h"
#include "cli/table.h"

namespace vigil::cli {
namespace {

using api::Json;

struct Request {
  const GetOptions& options;
  std::vector<const api::KindInfo*> kinds;
  std::vector<ObjectRef> refs;
  bool ObjectOutput() const {
    return options.output == "yaml" || options.output == "json";
  }
  bool Prefixed() const { return kinds.size() > 1; }
  std::vector<std::string> NamesOf(const api::KindInfo* kind) const {
    std::vector<std::string> names;
    for (const ObjectRef& ref : refs) {
      if (ref.kind == kind) names.push_back(ref.name);
    }
    return names;
  }
};

// What was listed for one kind: where a watch should resume.
struct Listed {
  const api::KindInfo* kind = nullptr;
  int64_t resource_version = 0;
  std::unique_ptr<KindTable> table;  // for table output
};

int64_t ParseRevision(const Json& obj) {
  int64_t revision = 0;
  const Json& meta = obj.contains("metadata") ? obj["metadata"] : Json();
  if (meta.is_object() && meta.contains("resourceVersion") &&
      meta["resourceVersion"].is_string()) {
    (void)absl::SimpleAtoi(meta["resourceVersion"].get<std::string>(), &revision);
  }
  return revision;
}

absl::Status CheckOutput(const std::string& output) {
  if (output.empty() || output == "wide" || output == "yaml" ||
      output == "json" || output == "name") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unable to match a printer suitable for the output format \"", output,
      "\", allowed formats are: json,name,wide,yaml"));
}

// Objects of one kind: the named ones, or the list matching the selector.
absl::Status FetchObjects(client::HttpClient& client, const Request& req,
                          const api::KindInfo* kind, std::vector<Json>* items,
                          int64_t* revision) {
  std::vector<std::string> names = req.NamesOf(kind);
  if (names.empty()) {
    absl::StatusOr<client::ObjectList> list =
        client.List(kind->kind, {.label_selector = req.options.selector});
    if (!list.ok()) return list.status();
    *revision = list->resource_version;
    for (Json& item : list->items) items->push_back(std::move(item));
    return absl::OkStatus();
  }
  for (const std::string& name : names) {
    absl::StatusOr<Json> obj = client.Get(kind->kind, name);
    if (!obj.ok()) return obj.status();
    *revision = std::max(*revision, ParseRevision(*obj));
    items->push_back(std::move(*obj));
  }
  return absl::OkStatus();
}

std::string RenderObjects(const Request& req, std::vector<Json> items) {
  if (req.options.output == "name") {
    std::string text;
    for (const Json& obj : items) {
      text += RefString(api::KindOf(obj), api::NameOf(obj)) + "\n";
    }
    return text;
  }
  if (items.size() == 1 && !req.refs.empty()) {
    return RenderObject(items[0], req.options.output);
  }
  Json list = {{"apiVersion", "v1"},
               {"items", std::move(items)},
               {"kind", "List"},
               {"metadata", {{"resourceVersion", ""}}}};
  return RenderObject(list, req.options.output);
}

int PrintObjects(const Context& ctx, client::HttpClient& client,
                 const Request& req, std::vector<Listed>* listed) {
  std::vector<Json> items;
  int failures = 0;
  for (const api::KindInfo* kind : req.kinds) {
    Listed entry{kind, 0, nullptr};
    absl::Status status = FetchObjects(client, req, kind, &items,
                                       &entry.resource_version);
    if (!status.ok()) {
      ctx.err() << FormatServerError(status) << "\n";
      ++failures;
    }
    listed->push_back(std::move(entry));
  }
  if (req.options.watch_only) return failures;
  if (items.empty() && !req.refs.empty()) return failures;  // errors said why
  if (items.empty() && req.options.output == "name") {
    if (failures == 0) ctx.err() << "No resources found\n";
    return failures;
  }
  ctx.out() << RenderObjects(req, std::move(items));
  return failures;
}

// Fills `table` from the server; returns the revision the listing reflects.
absl::StatusOr<int64_t> FetchTable(client::HttpClient& client,
                                   const Request& req, const api::KindInfo* kind,
                                   KindTable* table) {
  std::vector<std::string> names = req.NamesOf(kind);
  if (names.empty()) names.push_back("");
  int64_t revision = 0;
  for (const std::string& name : names) {
    absl::StatusOr<Json> server_table = client.GetTable(
        kind->kind, name, {.label_selector = req.options.selector});
    if (!server_table.ok()) return server_table.status();
    table->AddServerTable(*server_table);
    revision = std::max(revision, ParseRevision(*server_table));
  }
  return revision;
}

int PrintTables(const Context& ctx, client::HttpClient& client,
                const Request& req, std::vector<Listed>* listed) {
  int failures = 0;
  size_t printed = 0;
  for (const api::KindInfo* kind : req.kinds) {
    std::string prefix = req.Prefixed() ? QualifiedKind(*kind) + "/" : "";
    Listed entry{kind, 0,
                 std::make_unique<KindTable>(*kind, req.options.output == "wide",
                                             prefix)};
    absl::StatusOr<int64_t> revision =
        req.options.watch_only ? 0 : FetchTable(client, req, kind, entry.table.get());
    if (!revision.ok()) {
      ctx.err() << FormatServerError(revision.status()) << "\n";
      ++failures;
    } else {
      entry.resource_version = *revision;
    }
    if (!entry.table->empty()) {
      ctx.out() << (printed++ > 0 ? "\n" : "") << entry.table->Render();
    }
    listed->push_back(std::move(entry));
  }
  if (printed == 0 && failures == 0 && !req.options.watch_only) {
    ctx.err() << "No resources found\n";
  }
  return failures;
}

int WatchKinds(const Context& ctx, const Request& req,
               std::vector<Listed>* listed);

}  // namespace

int RunGet(const Context& ctx, const GetOptions& options) {
  Request req{options, {}, {}};
  absl::Status status = CheckOutput(options.output);
  if (status.ok()) status = ParseKindArgs(options.args, &req.kinds, &req.refs);
  if (!status.ok()) {
    ctx.err() << "error: " << status.message() << "\n";
    return 1;
  }
  std::unique_ptr<client::HttpClient> client = ctx.NewClient();
  std::vector<Listed> listed;
  const bool watch = options.watch || options.watch_only;
  int failures = req.ObjectOutput() || options.output == "name"
                     ? PrintObjects(ctx, *client, req, &listed)
                     : PrintTables(ctx, *client, req, &listed);
  ctx.out().flush();
  if (failures > 0 || !watch) return failures == 0 ? 0 : 1;
  return WatchKinds(ctx, req, &listed);
}

namespace {

std::string RenderEvent(const Request& req, Listed& entry, const Json& obj) {
  if (req.ObjectOutput()) {
    std::string text = RenderObject(obj, req.options.output);
    return req.options.output == "yaml" ? "---\n" + text : text;
  }
  if (req.options.output == "name") {
    return RefString(api::KindOf(obj), api::NameOf(obj)) + "\n";
  }
  return entry.table->RenderRow(entry.table->RowFor(obj));
}

// Streams one kind's changes until stopped; returns false on error.
bool WatchOne(const Context& ctx, const Request& req, Listed& entry,
              std::mutex& out_mu, std::atomic<bool>& failed) {
  std::unique_ptr<client::HttpClient> client = ctx.NewClient();
  std::vector<std::string> names = req.NamesOf(entry.kind);
  std::set<std::string> wanted(names.begin(), names.end());
  absl::StatusOr<std::unique_ptr<client::WatchStream>> stream = client->Watch(
      entry.kind->kind, {.label_selector = req.options.selector,
                         .resource_version = entry.resource_version});
  absl::Status status = stream.status();
  while (status.ok() && !ctx.Stopped() && !failed.load()) {
    absl::StatusOr<std::optional<client::WatchEvent>> event =
        (*stream)->Next(std::chrono::milliseconds(200));
    status = event.status();
    if (!status.ok() || !event->has_value()) continue;
    const client::WatchEvent& e = **event;
    if (e.type == client::WatchEvent::Type::kBookmark) continue;
    if (!wanted.empty() && !wanted.count(api::NameOf(e.object))) continue;
    std::lock_guard<std::mutex> lock(out_mu);
    ctx.out() << RenderEvent(req, entry, e.object) << std::flush;
  }
  if (status.ok()) return true;
  std::lock_guard<std::mutex> lock(out_mu);
  ctx.err() << FormatServerError(status) << "\n";
  failed.store(true);
  return false;
}

int WatchKinds(const Context& ctx, const Request& req,
               std::vector<Listed>* listed) {
  std::mutex out_mu;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (size_t i = 1; i < listed->size(); ++i) {
    threads.emplace_back([&, i] { WatchOne(ctx, req, (*listed)[i], out_mu, failed); });
  }
  WatchOne(ctx, req, (*listed)[0], out_mu, failed);
  for (std::thread& t : threads) t.join();
  return failed.load() ? 1 : 0;
}

}  // namespace
}  // namespace vigil::cli
