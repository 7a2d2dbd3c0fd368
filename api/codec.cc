#include "api/codec.h"

#include <stdexcept>

#include "api/errors.h"
#include "api/strings.h"
#include "api/yaml_reader.h"

namespace vigil::api {
namespace {

// Deepest JSON nesting ParseJson accepts; keeps recursive consumers (ToYaml,
// validation) far from the end of the stack.
constexpr int kMaxJsonDepth = 512;

std::string Location(std::string_view source, int line0, int column0) {
  const int line = line0 + 1, column = column0 + 1;
  if (source.empty()) return Cat(line, ":", column);
  return Cat(source, ":", line, ":", column);
}

bool IsListKind(const Json& value) {
  if (!value.is_object() || !value.contains("items") || !value["items"].is_array()) {
    return false;
  }
  const Json& kind = value.contains("kind") ? value["kind"] : Json();
  if (!kind.is_string()) return false;
  const std::string& name = kind.get_ref<const std::string&>();
  return name.size() >= 4 && name.compare(name.size() - 4, 4, "List") == 0;
}

// Adds `value` (expanding a List into its items) to `documents`.
void AddDocument(Json value, int line, std::vector<Document>& documents) {
  if (!IsListKind(value)) {
    documents.push_back({std::move(value), static_cast<int>(documents.size()), line});
    return;
  }
  const std::string list_kind = value["kind"].get<std::string>();
  const std::string item_kind = list_kind.substr(0, list_kind.size() - 4);
  for (Json& item : value["items"]) {
    if (item.is_object() && !item.contains("kind") && !item_kind.empty()) {
      item["kind"] = item_kind;
    }
    if (item.is_object() && !item.contains("apiVersion") &&
        value.contains("apiVersion")) {
      item["apiVersion"] = value["apiVersion"];
    }
    documents.push_back({std::move(item), static_cast<int>(documents.size()), line});
  }
}

absl::StatusOr<std::vector<Document>> ConvertDocuments(
    std::vector<YamlValue>& values, std::string_view source_name) {
  std::vector<Document> documents;
  int position = 0;
  for (YamlValue& yaml : values) {
    ++position;
    if (yaml.value.is_null()) continue;
    if (!yaml.value.is_object()) {
      return MalformedRequest(Cat(
          Location(source_name, yaml.line, yaml.column), ": document ", position,
          " is not a mapping (expected an object with apiVersion and kind)"));
    }
    AddDocument(std::move(yaml.value), yaml.line + 1, documents);
  }
  return documents;
}

}  // namespace

absl::StatusOr<std::vector<Document>> ParseYaml(std::string_view text,
                                                std::string_view source_name) {
  std::vector<YamlValue> values;
  YamlReadError error;
  if (!ReadYamlDocuments(text, &values, &error)) {
    return MalformedRequest(
        Cat(Location(source_name, error.line, error.column), ": ", error.message));
  }
  return ConvertDocuments(values, source_name);
}

absl::StatusOr<Json> ParseJson(std::string_view text) {
  const auto limit_depth = [](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth) throw std::length_error("nested too deeply");
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), limit_depth);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return MalformedRequest(
        Cat("invalid JSON at byte ", e.byte, ": ", what));
  } catch (const std::exception& e) {
    return MalformedRequest(Cat("invalid JSON: ", e.what()));
  }
}

}  // namespace vigil::api
