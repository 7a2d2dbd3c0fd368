#include "api/strings.h"
#include "server/resource_handlers.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "client/json_fields.h"
#include "server/http_util.h"
#include "server/kind_errors.h"
#include "server/object_rules.h"
#include "server/tables.h"

namespace vigil::server {
namespace {

using api::Json;

client::StatusDetails DetailsFor(const ResourcePath& path, const absl::Status& status) {
  const bool invalid = absl::IsInvalidArgument(status) && !api::IsMalformedRequest(status);
  return {path.name, invalid ? path.kind->kind : path.kind->plural};
}

void Fail(httplib::Response& res, const absl::Status& status, const ResourcePath& path) {
  WriteError(res, status, DetailsFor(path, status));
}

absl::StatusOr<client::WriteOptions> WriteOptionsFor(const httplib::Request& req,
                                                     const ResourcePath& path) {
  absl::StatusOr<bool> dry_run = DryRunParam(req);
  if (!dry_run.ok()) return dry_run.status();
  return client::WriteOptions{*dry_run, path.user.empty() ? RequestUser(req) : path.user};
}

absl::StatusOr<int64_t> ParseRevision(const std::string& text) {
  if (text.empty()) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) {
    return api::MalformedRequest(api::Cat("invalid resourceVersion \"", text,
                                              "\": must be a revision number"));
  }
  return value;
}

// Parses a body and checks that it names the resource of the URL; a missing
// kind or apiVersion is taken from the URL.
absl::StatusOr<Json> ParseObjectBody(const httplib::Request& req,
                                     const ResourcePath& path) {
  absl::StatusOr<Json> body = ParseBody(req.body);
  if (!body.ok()) return body.status();
  if (!body->is_object()) return api::MalformedRequest("the body must be a JSON object");
  Json& obj = *body;
  if (client::StringField(obj, "kind").empty()) obj["kind"] = path.kind->kind;
  if (client::StringField(obj, "apiVersion").empty()) {
    obj["apiVersion"] = std::string(api::kApiVersion);
  }
  if (obj["kind"] != path.kind->kind ||
      obj["apiVersion"] != std::string(api::kApiVersion)) {
    return api::MalformedRequest(api::Cat(
        "the body is a ", DumpJson(obj["apiVersion"]), " ", DumpJson(obj["kind"]),
        " but the URL names ", api::kApiVersion, " ", path.kind->kind));
  }
  if (!path.name.empty() && api::NameOf(obj).empty()) obj["metadata"]["name"] = path.name;
  if (!path.name.empty() && api::NameOf(obj) != path.name) {
    return api::MalformedRequest(api::Cat(
        "the name of the object (", api::NameOf(obj),
        ") does not match the name on the URL (", path.name, ")"));
  }
  return body;
}

absl::StatusOr<TableOptions> TableOptionsFor(const httplib::Request& req,
                                             const ResponseFormat& format) {
  absl::StatusOr<IncludeObject> include = ParseIncludeObject(Param(req, "includeObject"));
  if (!include.ok()) return include.status();
  TableOptions options;
  options.include = *include;
  options.api_version = api::Cat("meta.k8s.io/", format.table_version);
  return options;
}

// Writes `items` as a list or, if the client asked for one, a Table.
void RespondList(const httplib::Request& req, httplib::Response& res,
                 const ResourcePath& path, std::vector<Json> items,
                 int64_t revision, bool single) {
  std::optional<ResponseFormat> format =
      NegotiateFormat(req.get_header_value("Accept"));
  if (!format.has_value()) {
    return WriteErrorWithCode(res, 406, "NotAcceptable",
                              "only application/json (optionally as=Table) is served");
  }
  const std::string rv = std::to_string(revision);
  if (format->table) {
    absl::StatusOr<TableOptions> options = TableOptionsFor(req, *format);
    if (!options.ok()) return Fail(res, options.status(), path);
    return WriteJson(res, 200, BuildTable(path.kind->kind, items, rv, *options));
  }
  if (single) return WriteJson(res, 200, items.front());
  WriteJson(res, 200,
            {{"kind", path.kind->kind + "List"},
             {"apiVersion", std::string(api::kApiVersion)},
             {"metadata", {{"resourceVersion", rv}}},
             {"items", std::move(items)}});
}

absl::StatusOr<client::ObjectList> ListObjects(Registry& registry,
                                               const httplib::Request& req,
                                               const ResourcePath& path) {
  absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(Param(req, "fieldSelector"));
  if (!fields.ok()) return fields.status();
  absl::StatusOr<int64_t> revision = ParseRevision(Param(req, "resourceVersion"));
  if (!revision.ok()) return revision.status();
  client::ListOptions options;
  options.label_selector = Param(req, "labelSelector");
  // Kubernetes serves "not older than N" unless Exact is asked for; the
  // current state always satisfies the former.
  if (Param(req, "resourceVersionMatch") == "Exact") options.resource_version = *revision;
  absl::StatusOr<client::ObjectList> list = registry.List(path.kind->kind, options);
  if (!list.ok()) return list.status();
  std::vector<Json> kept;
  for (Json& item : list->items) {
    if (fields->Matches(item)) kept.push_back(std::move(item));
  }
  list->items = std::move(kept);
  return list;
}

absl::StatusOr<PatchType> PatchTypeFor(const std::string& content_type) {
  absl::string_view media = absl::StripAsciiWhitespace(
      absl::string_view(content_type).substr(0, content_type.find(';')));
  if (media == "application/merge-patch+json" ||
      media == "application/strategic-merge-patch+json") {
    return PatchType::kMerge;
  }
  if (media == "application/json-patch+json") return PatchType::kJsonPatch;
  if (media == "application/apply-patch+yaml") {
    return absl::UnimplementedError(
        "server-side apply is not supported; use client-side apply "
        "(kubectl apply without --server-side)");
  }
  return absl::UnimplementedError(api::Cat(
      "the body of the request was in an unknown format (\"", content_type,
      "\"); accepted media types include: application/json-patch+json, "
      "application/merge-patch+json, application/strategic-merge-patch+json"));
}

}  // namespace

absl::StatusOr<ResourcePath> ParseResourcePath(std::string_view rest) {
  std::vector<std::string> parts = absl::StrSplit(api::ToAbsl(rest), '/');
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();  // trailing '/'
  if (parts.empty() || parts.size() > 3 || parts[0].empty()) {
    return absl::NotFoundError("the server could not find the requested resource");
  }
  ResourcePath path;
  for (const api::KindInfo& kind : api::AllKinds()) {
    if (kind.plural == parts[0]) path.kind = &kind;
  }
  if (path.kind == nullptr) {
    absl::StatusOr<const api::KindInfo*> known = ResolveKind(parts[0]);
    return absl::NotFoundError(api::Cat(
        "the server could not find the requested resource \"", parts[0], "\"",
        known.ok() ? api::Cat(" (did you mean \"", (*known)->plural, "\"?)") : ""));
  }
  if (parts.size() >= 2) path.name = std::string(parts[1]);
  if (parts.size() == 3) {
    if (parts[2] != "status" || !path.kind->has_status) {
      return absl::NotFoundError(api::Cat("the server could not find the "
                                              "requested subresource \"", parts[2], "\""));
    }
    path.status = true;
  }
  if (path.name.empty() && parts.size() >= 2) {
    return absl::NotFoundError("the server could not find the requested resource");
  }
  return path;
}

ResourceHandlers::ResourceHandlers(Registry& registry, WatchSessions& sessions,
                                   absl::Duration watch_heartbeat)
    : registry_(registry), sessions_(sessions), watch_heartbeat_(watch_heartbeat) {}

void ResourceHandlers::Get(const httplib::Request& req, httplib::Response& res,
                           const ResourcePath& path) {
  if (!path.name.empty()) return GetObject(req, res, path);
  if (BoolParam(req, "watch")) return Watch(req, res, path);
  List(req, res, path);
}

void ResourceHandlers::GetObject(const httplib::Request& req, httplib::Response& res,
                                 const ResourcePath& path) {
  absl::StatusOr<Json> obj = registry_.Get(path.kind->kind, path.name);
  if (!obj.ok()) return Fail(res, obj.status(), path);
  std::optional<int64_t> rv = ParseResourceVersion(api::ResourceVersionOf(*obj));
  std::vector<Json> items;
  items.push_back(*std::move(obj));
  RespondList(req, res, path, std::move(items), rv.value_or(0), /*single=*/true);
}

void ResourceHandlers::List(const httplib::Request& req, httplib::Response& res,
                            const ResourcePath& path) {
  absl::StatusOr<client::ObjectList> list = ListObjects(registry_, req, path);
  if (!list.ok()) return Fail(res, list.status(), path);
  RespondList(req, res, path, std::move(list->items), list->resource_version,
              /*single=*/false);
}

void ResourceHandlers::Watch(const httplib::Request& req, httplib::Response& res,
                             const ResourcePath& path) {
  std::optional<ResponseFormat> format =
      NegotiateFormat(req.get_header_value("Accept"));
  if (!format.has_value()) {
    return WriteErrorWithCode(res, 406, "NotAcceptable",
                              "only application/json (optionally as=Table) is served");
  }
  WatchRequest request;
  request.kind = path.kind;
  absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(Param(req, "fieldSelector"));
  if (!fields.ok()) return Fail(res, fields.status(), path);
  request.fields = *std::move(fields);
  absl::StatusOr<int64_t> revision = ParseRevision(Param(req, "resourceVersion"));
  if (!revision.ok()) return Fail(res, revision.status(), path);
  request.options.label_selector = Param(req, "labelSelector");
  request.options.resource_version = *revision;
  const std::string initial = Param(req, "sendInitialEvents");
  request.initial_events = initial == "true" || (*revision == 0 && initial != "false");
  request.bookmarks = BoolParam(req, "allowWatchBookmarks");
  request.initial_events_end = initial == "true" && request.bookmarks;
  request.heartbeat = watch_heartbeat_;
  int64_t timeout_seconds = 0;
  if (absl::SimpleAtoi(Param(req, "timeoutSeconds"), &timeout_seconds) &&
      timeout_seconds > 0) {
    request.timeout = absl::Seconds(timeout_seconds);
  }
  if (format->table) {
    absl::StatusOr<TableOptions> options = TableOptionsFor(req, *format);
    if (!options.ok()) return Fail(res, options.status(), path);
    request.table = *options;
  }
  ServeWatch(registry_, sessions_, std::move(request), res);
}

void ResourceHandlers::Create(const httplib::Request& req, httplib::Response& res,
                              const ResourcePath& path) {
  if (!path.name.empty()) {
    return WriteErrorWithCode(res, 405, "MethodNotAllowed",
                              "POST is served on the collection only");
  }
  absl::StatusOr<client::WriteOptions> options = WriteOptionsFor(req, path);
  if (!options.ok()) return Fail(res, options.status(), path);
  absl::StatusOr<Json> obj = ParseObjectBody(req, path);
  if (!obj.ok()) return Fail(res, obj.status(), path);
  ResourcePath named = path;
  named.name = api::NameOf(*obj);
  absl::StatusOr<Json> created = registry_.Create(*obj, *options);
  if (!created.ok()) return Fail(res, created.status(), named);
  WriteJson(res, 201, *created);
}

void ResourceHandlers::Replace(const httplib::Request& req, httplib::Response& res,
                               const ResourcePath& path) {
  if (path.name.empty()) {
    return WriteErrorWithCode(res, 405, "MethodNotAllowed",
                              "PUT needs an object name in the URL");
  }
  absl::StatusOr<client::WriteOptions> options = WriteOptionsFor(req, path);
  if (!options.ok()) return Fail(res, options.status(), path);
  absl::StatusOr<Json> obj = ParseObjectBody(req, path);
  if (!obj.ok()) return Fail(res, obj.status(), path);
  absl::StatusOr<Json> updated = path.status ? registry_.UpdateStatus(*obj, *options)
                                             : registry_.Update(*obj, *options);
  if (!updated.ok()) return Fail(res, updated.status(), path);
  WriteJson(res, 200, *updated);
}

void ResourceHandlers::Patch(const httplib::Request& req, httplib::Response& res,
                             const ResourcePath& path) {
  if (path.name.empty()) {
    return WriteErrorWithCode(res, 405, "MethodNotAllowed",
                              "PATCH needs an object name in the URL");
  }
  absl::StatusOr<PatchType> type = PatchTypeFor(req.get_header_value("Content-Type"));
  if (!type.ok()) {
    return WriteErrorWithCode(res, 415, "UnsupportedMediaType",
                              std::string(type.status().message()));
  }
  absl::StatusOr<client::WriteOptions> options = WriteOptionsFor(req, path);
  if (!options.ok()) return Fail(res, options.status(), path);
  absl::StatusOr<Json> patch = ParseBody(req.body);
  if (!patch.ok()) return Fail(res, patch.status(), path);
  absl::StatusOr<Json> patched = registry_.ApplyPatch(
      path.kind->kind, path.name, *type, *patch, path.status, *options);
  if (!patched.ok()) return Fail(res, patched.status(), path);
  WriteJson(res, 200, *patched);
}

void ResourceHandlers::Delete(const httplib::Request& req, httplib::Response& res,
                              const ResourcePath& path) {
  if (path.status) {
    return WriteErrorWithCode(res, 405, "MethodNotAllowed",
                              "DELETE is not served on /status");
  }
  if (path.name.empty()) return DeleteCollection(req, res, path);
  absl::StatusOr<client::WriteOptions> options = WriteOptionsFor(req, path);
  if (!options.ok()) return Fail(res, options.status(), path);
  std::optional<int64_t> expected;
  if (!req.body.empty()) {
    // DeleteOptions: only the resourceVersion precondition and dryRun matter.
    Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    Json preconditions = client::ObjectField(body, "preconditions");
    std::string rv = client::StringField(preconditions, "resourceVersion");
    if (!rv.empty()) expected = ParseResourceVersion(rv);
    if (body.is_object() && body.contains("dryRun") && body["dryRun"].is_array() &&
        !body["dryRun"].empty()) {
      options->dry_run = true;
    }
  }
  absl::StatusOr<Json> deleted =
      registry_.Delete(path.kind->kind, path.name, expected, *options);
  if (!deleted.ok()) return Fail(res, deleted.status(), path);
  // Marked but kept for its finalizers: accepted, not yet done.
  const bool pending = IsMarkedForDeletion(*deleted) && HasFinalizers(*deleted);
  WriteJson(res, pending ? 202 : 200, *deleted);
}

void ResourceHandlers::DeleteCollection(const httplib::Request& req,
                                        httplib::Response& res,
                                        const ResourcePath& path) {
  absl::StatusOr<client::WriteOptions> options = WriteOptionsFor(req, path);
  if (!options.ok()) return Fail(res, options.status(), path);
  absl::StatusOr<client::ObjectList> list = ListObjects(registry_, req, path);
  if (!list.ok()) return Fail(res, list.status(), path);
  Json items = Json::array();
  for (const Json& item : list->items) {
    absl::StatusOr<Json> deleted =
        registry_.Delete(path.kind->kind, api::NameOf(item), std::nullopt, *options);
    if (deleted.ok()) {
      items.push_back(*std::move(deleted));
    } else if (!absl::IsNotFound(deleted.status())) {
      return Fail(res, deleted.status(), path);
    }
  }
  WriteJson(res, 200,
            {{"kind", path.kind->kind + "List"},
             {"apiVersion", std::string(api::kApiVersion)},
             {"metadata", Json::object()},
             {"items", std::move(items)}});
}

}  // namespace vigil::server
