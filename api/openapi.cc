#include "api/openapi.h"

#include "api/schema.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

constexpr char kSchemaRefPrefix[] = "#/components/schemas/";
constexpr char kObjectMetaName[] = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr char kListMetaName[] = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
constexpr char kStatusName[] = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
constexpr char kPatchName[] = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

constexpr char kApiVersionDescription[] =
    "APIVersion defines the versioned schema of this representation of an "
    "object: vigil.io/v1.";
constexpr char kKindDescription[] =
    "Kind is a string value representing the REST resource this object "
    "represents. In CamelCase.";

Json Ref(std::string_view name) { return {{"$ref", Cat(kSchemaRefPrefix, name)}}; }

std::string SchemaName(std::string_view kind) { return Cat("io.vigil.v1.", kind); }

Json Gvk(std::string_view kind) {
  return {{"group", kGroup}, {"version", kVersion}, {"kind", kind}};
}

Json ToOpenApi(const FieldSchema& schema);

// kubectl explain shows descriptions but not defaults, so scalar defaults are
// spelled out in the description too.
std::string DescribeWithDefault(const FieldSchema& schema) {
  const Json& value = schema.default_value;
  if (value.is_null() || value.is_object()) return schema.description;
  const std::string shown = value.is_string()
                                ? (value.get<std::string>().empty()
                                       ? std::string("\"\"")
                                       : value.get<std::string>())
                                : value.dump();
  return Cat(schema.description, " Defaults to ", shown, ".");
}

void AddObjectParts(const FieldSchema& schema, Json& out) {
  Json properties = Json::object();
  Json required = Json::array();
  for (const Property& property : schema.properties) {
    properties[property.name] = ToOpenApi(property.schema);
    if (property.schema.required) required.push_back(property.name);
  }
  if (!properties.empty()) out["properties"] = std::move(properties);
  if (!required.empty()) out["required"] = std::move(required);
  for (const std::vector<std::string>& group : schema.exactly_one_of) {
    Json one_of = Json::array();
    for (const std::string& name : group) {
      one_of.push_back({{"required", {name}}});
    }
    out["oneOf"] = std::move(one_of);  // schemas hold at most one group each
  }
  if (schema.preserve_unknown_fields) {
    out["x-kubernetes-preserve-unknown-fields"] = true;
  }
}

void AddArrayParts(const FieldSchema& schema, Json& out) {
  if (schema.items != nullptr) out["items"] = ToOpenApi(*schema.items);
  if (schema.min_items > 0) out["minItems"] = schema.min_items;
  if (!schema.list_map_key.empty()) {
    out["x-kubernetes-list-type"] = "map";
    out["x-kubernetes-list-map-keys"] = {schema.list_map_key};
  }
}

// The OpenAPI v3 form of one field schema.
Json ToOpenApi(const FieldSchema& schema) {
  Json out = {{"type", OpenApiTypeName(schema.type)}};
  if (!schema.description.empty()) out["description"] = DescribeWithDefault(schema);
  if (schema.format == kFormatDuration || schema.format == kFormatDateTime) {
    out["format"] = schema.format;
  }
  if (!schema.default_value.is_null()) out["default"] = schema.default_value;
  if (!schema.enum_values.empty()) out["enum"] = schema.enum_values;
  if (schema.type == SchemaType::kInteger) {
    out["format"] = "int64";
    if (schema.minimum.has_value()) out["minimum"] = *schema.minimum;
    if (schema.maximum.has_value()) out["maximum"] = *schema.maximum;
  }
  switch (schema.type) {
    case SchemaType::kObject: AddObjectParts(schema, out); break;
    case SchemaType::kArray: AddArrayParts(schema, out); break;
    case SchemaType::kStringMap:
      out["additionalProperties"] = {{"type", "string"}};
      break;
    default: break;
  }
  return out;
}

// A kind's schema with `metadata` as given (CRD style or a $ref).
Json KindSchemaWithMetadata(const KindInfo& info, Json metadata) {
  Json properties = {
      {"apiVersion", {{"type", "string"}, {"description", kApiVersionDescription}}},
      {"kind", {{"type", "string"}, {"description", kKindDescription}}},
      {"metadata", std::move(metadata)},
      {"spec", ToOpenApi(*SpecSchema(info.kind))},
      {"status", ToOpenApi(*StatusSchema(info.kind))},
  };
  return {{"type", "object"},
          {"description", info.description},
          {"properties", std::move(properties)}};
}

Json MetadataRef() {
  return {{"description", "Standard object's metadata."},
          {"allOf", {Ref(kObjectMetaName)}},
          {"default", Json::object()}};
}

Json ListSchema(const KindInfo& info) {
  Json properties = {
      {"apiVersion", {{"type", "string"}, {"description", kApiVersionDescription}}},
      {"kind", {{"type", "string"}, {"description", kKindDescription}}},
      {"metadata", {{"description", "Standard list metadata."},
                    {"allOf", {Ref(kListMetaName)}},
                    {"default", Json::object()}}},
      {"items", {{"type", "array"},
                 {"description", Cat("List of ", info.plural, ".")},
                 {"items", Ref(SchemaName(info.kind))}}},
  };
  return {{"type", "object"},
          {"description", Cat("A list of ", info.kind, " objects.")},
          {"required", {"items"}},
          {"properties", std::move(properties)},
          {"x-kubernetes-group-version-kind", {Gvk(Cat(info.kind, "List"))}}};
}

Json ListMetaSchema() {
  return {{"type", "object"},
          {"description", "Metadata of a list: its resource version."},
          {"properties",
           {{"resourceVersion", {{"type", "string"},
                                 {"description", "Store revision the list reflects."}}},
            {"continue", {{"type", "string"},
                          {"description", "Token to fetch the next page."}}}}}};
}

Json StatusSchemaDocument() {
  Json string_field = {{"type", "string"}};
  return {{"type", "object"},
          {"description", "The result of an operation that returned no object."},
          {"properties",
           {{"apiVersion", string_field},
            {"kind", string_field},
            {"status", {{"type", "string"}, {"description", "Success or Failure."}}},
            {"message", {{"type", "string"}, {"description", "What happened."}}},
            {"reason", {{"type", "string"}, {"description", "Why, in one word."}}},
            {"code", {{"type", "integer"}, {"format", "int32"},
                      {"description", "HTTP status code."}}},
            {"details", {{"type", "object"},
                         {"x-kubernetes-preserve-unknown-fields", true},
                         {"description", "Name, kind and field causes."}}}}},
          {"x-kubernetes-group-version-kind",
           {{{"group", ""}, {"version", "v1"}, {"kind", "Status"}}}}};
}

Json ObjectMetaDocument() {
  Json meta = ToOpenApi(ObjectMetaSchema());
  meta.erase("x-kubernetes-preserve-unknown-fields");
  return meta;
}

}  // namespace

Json KindSchema(std::string_view kind) {
  const KindInfo* info = FindKind(kind);
  if (info == nullptr || SpecSchema(info->kind) == nullptr) return nullptr;
  return KindSchemaWithMetadata(*info, {{"type", "object"}});
}

namespace internal {

// Defined in openapi_paths.cc.
Json GroupPaths();

}  // namespace internal

Json OpenApiGroupDocument() {
  Json schemas = Json::object();
  for (const KindInfo& info : AllKinds()) {
    Json kind_schema = KindSchemaWithMetadata(info, MetadataRef());
    kind_schema["x-kubernetes-group-version-kind"] = {Gvk(info.kind)};
    schemas[SchemaName(info.kind)] = std::move(kind_schema);
    schemas[SchemaName(Cat(info.kind, "List"))] = ListSchema(info);
  }
  schemas[kObjectMetaName] = ObjectMetaDocument();
  schemas[kListMetaName] = ListMetaSchema();
  schemas[kStatusName] = StatusSchemaDocument();
  schemas[kPatchName] = {{"type", "object"},
                         {"description", "A JSON merge patch (RFC 7386)."}};
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Vigil"}, {"version", "v1"}}},
          {"paths", internal::GroupPaths()},
          {"components", {{"schemas", std::move(schemas)}}}};
}

}  // namespace vigil::api
