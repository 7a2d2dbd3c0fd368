#include "api/codec.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/errors.h"
#include "api/yaml_scalars.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

// Deepest JSON nesting ParseJson accepts; keeps recursive consumers (ToYaml,
// validation) far from the end of the stack.
constexpr int kMaxJsonDepth = 512;

// Thrown inside the YAML conversion; caught in ParseYaml.
struct YamlConversionError {
  YAML::Mark mark;
  std::string message;
};

std::string Location(std::string_view source, const YAML::Mark& mark) {
  const int line = mark.line + 1, column = mark.column + 1;
  if (source.empty()) return Cat(line, ":", column);
  return Cat(source, ":", line, ":", column);
}

// Whether `text` is well-formed UTF-8 (JSON strings must be; the server
// would fail to serialize anything else).
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2
                        : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t j = 1; j < length; ++j) {
      if ((static_cast<unsigned char>(text[i + j]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

const std::string& CheckedText(const YAML::Node& node) {
  if (!IsValidUtf8(node.Scalar())) {
    throw YamlConversionError{node.Mark(), "invalid UTF-8 in scalar"};
  }
  return node.Scalar();
}

Json ScalarToJson(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  const std::string& text = CheckedText(node);
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
  if (tag == "?") return ResolvePlainScalar(text);
  if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
      tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
    Json resolved = ResolvePlainScalar(text);
    if (resolved.is_string()) {
      throw YamlConversionError{node.Mark(),
                                Cat("cannot read \"", text, "\" as ", tag)};
    }
    return resolved;
  }
  return text;  // unknown local tags: keep the text
}

Json NodeToJson(const YAML::Node& node);

Json MapToJson(const YAML::Node& node) {
  Json object = Json::object();
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      throw YamlConversionError{entry.first.Mark(),
                                "mapping keys must be scalars"};
    }
    const std::string& key = CheckedText(entry.first);
    if (object.contains(key)) {
      throw YamlConversionError{entry.first.Mark(),
                                Cat("duplicate key \"", key, "\"")};
    }
    object[key] = NodeToJson(entry.second);
  }
  return object;
}

Json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const YAML::Node& item : node) array.push_back(NodeToJson(item));
      return array;
    }
    case YAML::NodeType::Map: return MapToJson(node);
    case YAML::NodeType::Undefined: break;
  }
  return nullptr;
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
    const std::vector<YAML::Node>& nodes, std::string_view source_name) {
  std::vector<Document> documents;
  int position = 0;
  for (const YAML::Node& node : nodes) {
    ++position;
    if (node.IsNull()) continue;
    if (!node.IsMap()) {
      return MalformedRequest(Cat(
          Location(source_name, node.Mark()), ": document ", position,
          " is not a mapping (expected an object with apiVersion and kind)"));
    }
    AddDocument(NodeToJson(node), node.Mark().line + 1, documents);
  }
  return documents;
}

}  // namespace

absl::StatusOr<std::vector<Document>> ParseYaml(std::string_view text,
                                                std::string_view source_name) {
  try {
    std::vector<YAML::Node> nodes = YAML::LoadAll(std::string(text));
    return ConvertDocuments(nodes, source_name);
  } catch (const YAML::Exception& e) {
    return MalformedRequest(Cat(Location(source_name, e.mark), ": ", e.msg));
  } catch (const YamlConversionError& e) {
    return MalformedRequest(
        Cat(Location(source_name, e.mark), ": ", e.message));
  } catch (const std::exception& e) {
    return MalformedRequest(Cat(source_name, ": ", e.what()));
  }
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
