#include "api/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>

#include "api/strings.h"
#include "api/yaml_scalars.h"

namespace vigil::api {
namespace {

// Most JSON values one input may copy through aliases ("billion laughs").
constexpr size_t kMaxAliasedValues = 200'000;

// Thrown by the builder; caught in ReadYamlDocuments.
struct BuildError {
  YAML::Mark mark;
  std::string message;
};

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

// The JSON value of a scalar with yaml-cpp's tag: "?" plain, "!" quoted or
// block, or an explicit tag.
Json ScalarToJson(const YAML::Mark& mark, const std::string& tag,
                  const std::string& text) {
  if (tag == "?") return ResolvePlainScalar(text);
  if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
      tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
    Json resolved = ResolvePlainScalar(text);
    if (resolved.is_string()) {
      throw BuildError{mark, Cat("cannot read \"", text, "\" as ", tag)};
    }
    return resolved;
  }
  return text;  // "!", !!str and unknown local tags keep the text
}

size_t CountValues(const Json& value) {
  size_t count = 1;
  if (value.is_structured()) {
    for (const Json& child : value) count += CountValues(child);
  }
  return count;
}

// Builds JSON values from parser events with an explicit stack, so input
// depth never becomes recursion depth here.
class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(std::vector<YamlValue>* documents) : documents_(documents) {}

  void OnDocumentStart(const YAML::Mark&) override {
    document_ = YamlValue();
  }
  void OnDocumentEnd() override { documents_->push_back(std::move(document_)); }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (ExpectingKey()) throw BuildError{mark, "mapping keys must not be null"};
    Add(mark, nullptr, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw BuildError{mark, "unknown alias"};
    if (ExpectingKey()) {
      if (!it->second.is_string()) throw BuildError{mark, "mapping keys must be scalars"};
      SetKey(mark, it->second.get<std::string>());
      return;
    }
    aliased_values_ += CountValues(it->second);
    if (aliased_values_ > kMaxAliasedValues) {
      throw BuildError{mark, "aliases expand to too many values"};
    }
    Add(mark, it->second, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor, const std::string& value) override {
    if (!IsValidUtf8(value)) throw BuildError{mark, "invalid UTF-8 in scalar"};
    if (ExpectingKey()) {
      if (anchor != 0) anchors_[anchor] = value;
      SetKey(mark, value);
      return;
    }
    Add(mark, ScalarToJson(mark, tag, value), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                       YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    Open(mark, Json::array(), anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, Json::object(), anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    Json value;
    YAML::anchor_t anchor = 0;
    YAML::Mark mark;
    std::string key;
    bool has_key = false;
  };

  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key;
  }

  void SetKey(const YAML::Mark& mark, const std::string& key) {
    Frame& frame = stack_.back();
    if (frame.value.contains(key)) {
      throw BuildError{mark, Cat("duplicate key \"", key, "\"")};
    }
    frame.key = key;
    frame.has_key = true;
  }

  void Open(const YAML::Mark& mark, Json value, YAML::anchor_t anchor) {
    if (ExpectingKey()) throw BuildError{mark, "mapping keys must be scalars"};
    stack_.push_back({std::move(value), anchor, mark, "", false});
  }

  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Add(frame.mark, std::move(frame.value), frame.anchor);
  }

  // Places a finished value into its parent (or as the document root).
  void Add(const YAML::Mark& mark, Json value, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = value;
    if (stack_.empty()) {
      document_.value = std::move(value);
      document_.line = mark.line;
      document_.column = mark.column;
      return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
    } else {
      parent.value[parent.key] = std::move(value);
      parent.has_key = false;
    }
  }

  std::vector<YamlValue>* documents_;
  YamlValue document_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Json> anchors_;
  size_t aliased_values_ = 0;
};

}  // namespace

bool ReadYamlDocuments(std::string_view text, std::vector<YamlValue>* documents,
                       YamlReadError* error) {
  try {
    std::istringstream input{std::string(text)};
    YAML::Parser parser(input);
    JsonBuilder builder(documents);
    while (parser.HandleNextDocument(builder)) {
    }
    return true;
  } catch (const YAML::Exception& e) {
    *error = {e.mark.line, e.mark.column, e.msg};
  } catch (const BuildError& e) {
    *error = {e.mark.line, e.mark.column, e.message};
  } catch (const std::exception& e) {
    *error = {0, 0, e.what()};
  }
  return false;
}

}  // namespace vigil::api
