// Loading manifests for apply, delete -f and diff -f: files, directories
// (recursively, .yaml/.yml/.json, sorted by path) and standard input ("-"),
// each holding any number of YAML documents.
//
// Loading is all-or-nothing: every problem in every document is collected so
// that the user sees them all at once and nothing is half-applied.
//
// Thread safety: pure functions (they read files).
#ifndef VIGIL_CLI_MANIFEST_H_
#define VIGIL_CLI_MANIFEST_H_

#include <istream>
#include <string>
#include <vector>

#include "api/object.h"

namespace vigil::cli {

// One object of a manifest and where it came from.
struct ManifestObject {
  std::string source;  // file path, or "<stdin>"
  int document = 0;    // 1-based position among the file's documents
  int line = 0;        // 1-based line where the document starts
  api::Json object;    // exactly as written (no defaults applied)

  std::string Kind() const { return api::KindOf(object); }
  std::string Name() const { return api::NameOf(object); }
  // "FILE: document N (Kind/name)", the prefix of every problem reported.
  std::string Location() const;
};

struct ManifestSet {
  std::vector<ManifestObject> objects;  // in file order, then document order
  // One line per problem, e.g. "sg.yaml: document 2 (ServiceGroup/vlc):
  // spec.redundancyModel: Unsupported value: ...". Empty when loading worked.
  std::vector<std::string> problems;
};

enum class Checks {
  kIdentityOnly,  // kind and name present, kind known (delete -f)
  kValidate,      // defaults applied to a copy, then full validation (apply)
};

// Reads and parses every path. With Checks::kValidate each document is
// defaulted (on a copy) and validated; duplicates of the same kind and name
// are reported too. Paths that do not exist, unreadable files, malformed
// YAML (with line and column) and empty inputs are problems as well.
ManifestSet LoadManifests(const std::vector<std::string>& paths,
                          std::istream& stdin_stream, Checks checks);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_MANIFEST_H_
