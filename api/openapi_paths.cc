// The REST paths of the OpenAPI group document. kubectl reads them: `explain`
// finds a resource's GVK on its operations; `apply` checks that PATCH takes
// the fieldValidation parameter (then validates on the server) and, since
// PATCH does not accept strategic-merge-patch, sends JSON merge patches as
// it does for custom resources.
#include "api/object.h"
#include "api/strings.h"

namespace vigil::api::internal {
namespace {

constexpr char kRefPrefix[] = "#/components/schemas/";

Json Ref(std::string_view name) { return {{"$ref", Cat(kRefPrefix, name)}}; }

Json QueryParam(std::string_view name, std::string_view type,
                std::string_view description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

Json ListParams() {
  return {QueryParam("labelSelector", "string", "Select objects by label."),
          QueryParam("fieldSelector", "string", "Select objects by field."),
          QueryParam("resourceVersion", "string",
                     "Watch changes after this resource version."),
          QueryParam("watch", "boolean", "Stream changes instead of listing."),
          QueryParam("allowWatchBookmarks", "boolean", "Send bookmark events."),
          QueryParam("timeoutSeconds", "integer", "End the watch after this time."),
          QueryParam("limit", "integer", "Most objects to return."),
          QueryParam("continue", "string", "Token from a previous page.")};
}

Json WriteParams() {
  return {QueryParam("dryRun", "string", "When All, validate without storing."),
          QueryParam("fieldManager", "string", "Name of the writer."),
          QueryParam("fieldValidation", "string",
                     "Ignore, Warn or Strict: how to treat unknown fields.")};
}

Json Content(const Json& schema) {
  return {{"application/json", {{"schema", schema}}},
          {"application/yaml", {{"schema", schema}}}};
}

Json Responses(const Json& schema, bool created) {
  Json responses = {{"200", {{"description", "OK"}, {"content", Content(schema)}}},
                    {"401", {{"description", "Unauthorized"}}}};
  if (created) {
    responses["201"] = {{"description", "Created"}, {"content", Content(schema)}};
  }
  return responses;
}

struct OperationSpec {
  std::string action;  // x-kubernetes-action: get, list, post, put, patch, delete
  std::string operation_id;
  std::string description;
  Json parameters = Json::array();
  Json response_schema;
  bool has_body = false;
  bool is_patch = false;
};

Json Operation(const KindInfo& info, OperationSpec spec) {
  Json op = {
      {"tags", {"vigilIo_v1"}},
      {"description", spec.description},
      {"operationId", spec.operation_id},
      {"parameters", spec.parameters},
      {"responses", Responses(spec.response_schema, spec.action == "post")},
      {"x-kubernetes-action", spec.action},
      {"x-kubernetes-group-version-kind",
       {{"group", kGroup}, {"version", kVersion}, {"kind", info.kind}}}};
  if (spec.is_patch) {
    op["requestBody"] = {
        {"required", true},
        {"content", {{"application/merge-patch+json",
                      {{"schema", Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch")}}}}}};
  } else if (spec.has_body) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json",
                                       {{"schema", Ref(Cat("io.vigil.v1.", info.kind))}}},
                                      {"application/yaml",
                                       {{"schema", Ref(Cat("io.vigil.v1.", info.kind))}}}}}};
  }
  return op;
}

Json CollectionPath(const KindInfo& info) {
  const Json object = Ref(Cat("io.vigil.v1.", info.kind));
  const Json list = Ref(Cat("io.vigil.v1.", info.kind, "List"));
  return {
      {"get", Operation(info, {"list", Cat("listVigilIoV1", info.kind),
                               Cat("list or watch objects of kind ", info.kind),
                               ListParams(), list})},
      {"post", Operation(info, {"post", Cat("createVigilIoV1", info.kind),
                                Cat("create a ", info.kind), WriteParams(), object,
                                true})}};
}

Json NamePathParameter(const KindInfo& info) {
  return {{{"name", "name"},
           {"in", "path"},
           {"required", true},
           {"description", Cat("name of the ", info.kind)},
           {"schema", {{"type", "string"}, {"uniqueItems", true}}}}};
}

// The operations on /{name} (subresource "") or /{name}/status.
Json ItemPath(const KindInfo& info, std::string_view subresource) {
  const Json object = Ref(Cat("io.vigil.v1.", info.kind));
  const std::string suffix = Cat(info.kind, subresource.empty() ? "" : "Status");
  const std::string what =
      subresource.empty() ? Cat("the specified ", info.kind)
                          : Cat("status of the specified ", info.kind);
  Json path = {
      {"parameters", NamePathParameter(info)},
      {"get", Operation(info, {"get", Cat("readVigilIoV1", suffix),
                               Cat("read ", what), Json::array(), object})},
      {"put", Operation(info, {"put", Cat("replaceVigilIoV1", suffix),
                               Cat("replace ", what), WriteParams(), object, true})},
      {"patch", Operation(info, {"patch", Cat("patchVigilIoV1", suffix),
                                 Cat("partially update ", what), WriteParams(),
                                 object, true, true})}};
  if (subresource.empty()) {
    path["delete"] = Operation(
        info, {"delete", Cat("deleteVigilIoV1", suffix), Cat("delete ", what),
               {QueryParam("dryRun", "string", "When All, do not delete.")},
               Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Status")});
  }
  return path;
}

}  // namespace

Json GroupPaths() {
  Json paths = Json::object();
  for (const KindInfo& info : AllKinds()) {
    const std::string base = Cat("/apis/", kGroup, "/", kVersion, "/", info.plural);
    paths[base] = CollectionPath(info);
    paths[Cat(base, "/{name}")] = ItemPath(info, "");
    if (info.has_status) paths[Cat(base, "/{name}/status")] = ItemPath(info, "status");
  }
  return paths;
}

}  // namespace vigil::api::internal
