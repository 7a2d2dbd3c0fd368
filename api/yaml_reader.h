// Internal to api/: turns YAML text into JSON values straight from yaml-cpp's
// parser events (several times faster than building YAML::Node trees first).
//
// Thread safety: pure function.
#ifndef VIGIL_API_YAML_READER_H_
#define VIGIL_API_YAML_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/object.h"

namespace vigil::api {

// One YAML document: its value (null for an empty document) and where its
// root value starts (0-based, as yaml-cpp counts).
struct YamlValue {
  Json value;
  int line = 0;
  int column = 0;
};

// A problem found while reading, at a 0-based line and column.
struct YamlReadError {
  int line = 0;
  int column = 0;
  std::string message;
};

// Reads every document of `text`, typing plain scalars per yaml_scalars.h.
// On failure returns false and fills *error (syntax errors, duplicate or
// non-scalar keys, invalid UTF-8, undefined aliases, alias bombs).
bool ReadYamlDocuments(std::string_view text, std::vector<YamlValue>* documents,
                       YamlReadError* error);

}  // namespace vigil::api

#endif  // VIGIL_API_YAML_READER_H_
