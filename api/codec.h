// YAML and JSON codecs for manifests.
//
// Thread safety: pure functions.
#ifndef VIGIL_API_CODEC_H_
#define VIGIL_API_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::api {

// One document of a (multi-document) manifest.
struct Document {
  Json value;
  int index = 0;  // 0-based position among the non-empty documents
  int line = 0;   // 1-based line where the document starts
};

// Parses YAML (or JSON, which is YAML) with any number of '---'-separated
// documents; empty documents and bare comments are skipped. Scalars are typed
// as YAML 1.2 core schema does (quoted strings stay strings; 10s is a string;
// 3 is an integer; true is a boolean). A `kind: List` document with `items`
// is expanded into its items.
// Errors: InvalidArgument (MalformedRequest) naming source, line and column,
//   e.g. "manifests/sg.yaml:12:3: mapping values are not allowed here".
absl::StatusOr<std::vector<Document>> ParseYaml(std::string_view text,
                                                std::string_view source_name);

// Parses a single JSON document. Errors: MalformedRequest with the byte offset.
absl::StatusOr<Json> ParseJson(std::string_view text);

// Renders a JSON value as block-style YAML, keys in document order, strings
// quoted only where needed to round-trip.
std::string ToYaml(const Json& value);

}  // namespace vigil::api

#endif  // VIGIL_API_CODEC_H_
