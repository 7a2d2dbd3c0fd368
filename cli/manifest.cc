#include "cli/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/validation.h"
#include "cli/ordered_pool.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

bool IsManifestFile(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Expands one -f argument into the files to read, sorted within a directory.
std::vector<std::string> ExpandPath(const std::string& path,
                                    std::vector<std::string>* problems) {
  std::error_code error;
  if (path == "-") return {path};
  if (!fs::exists(path, error)) {
    problems->push_back(absl::StrCat("the path \"", path, "\" does not exist"));
    return {};
  }
  if (!fs::is_directory(path, error)) return {path};
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error) && IsManifestFile(it->path())) {
      files.push_back(it->path().string());
    }
  }
  if (error) {
    problems->push_back(absl::StrCat(path, ": ", error.message()));
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    problems->push_back(absl::StrCat("no manifests (.yaml, .yml, .json) in \"",
                                     path, "\""));
  }
  return files;
}

bool ReadSource(const std::string& file, std::istream& stdin_stream,
                std::string* text) {
  std::ostringstream buffer;
  if (file == "-") {
    buffer << stdin_stream.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    buffer << in.rdbuf();
  }
  *text = buffer.str();
  return true;
}

void CheckIdentity(const ManifestObject& m, std::vector<std::string>* problems) {
  if (m.Kind().empty()) {
    problems->push_back(absl::StrCat(m.Location(), ": kind: Required value"));
  } else if (api::FindKind(m.Kind()) == nullptr) {
    problems->push_back(absl::StrCat(m.Location(), ": kind: Unsupported value: \"",
                                     m.Kind(), "\""));
  }
  if (m.Name().empty()) {
    problems->push_back(
        absl::StrCat(m.Location(), ": metadata.name: Required value"));
  }
}

void CheckObject(const ManifestObject& m, Checks checks,
                 std::vector<std::string>* problems) {
  if (checks == Checks::kIdentityOnly || !m.object.is_object()) {
    CheckIdentity(m, problems);
    return;
  }
  api::Json defaulted = m.object;
  api::ApplyDefaults(defaulted);
  for (const api::FieldError& error : api::Validate(defaulted)) {
    problems->push_back(absl::StrCat(m.Location(), ": ", error.ToString()));
  }
}

void CheckDuplicates(const std::vector<ManifestObject>& objects,
                     std::vector<std::string>* problems) {
  std::map<std::pair<std::string, std::string>, const ManifestObject*> seen;
  for (const ManifestObject& m : objects) {
    if (m.Name().empty()) continue;
    const api::KindInfo* kind = api::FindKind(m.Kind());
    std::string kind_key = kind != nullptr ? kind->kind : m.Kind();
    auto [it, inserted] = seen.emplace(std::make_pair(kind_key, m.Name()), &m);
    if (!inserted) {
      problems->push_back(absl::StrCat(
          m.Location(), ": metadata.name: Duplicate value: \"", m.Name(),
          "\": also declared in ", it->second->source, " document ",
          it->second->document));
    }
  }
}

// Parses one source and checks its objects (duplicates are checked later,
// across all sources).
ManifestSet ParseSource(const std::string& file, const std::string& text,
                        Checks checks) {
  ManifestSet set;
  const std::string source = file == "-" ? "<stdin>" : file;
  absl::StatusOr<std::vector<api::Document>> docs = api::ParseYaml(text, source);
  if (!docs.ok()) {
    set.problems.push_back(std::string(docs.status().message()));
    return set;
  }
  for (api::Document& doc : *docs) {
    set.objects.push_back({source, doc.index + 1, doc.line, std::move(doc.value)});
  }
  for (const ManifestObject& m : set.objects) CheckObject(m, checks, &set.problems);
  return set;
}

// Parses and checks the sources on all cores; merges them in order.
void ParseSources(const std::vector<std::pair<std::string, std::string>>& sources,
                  Checks checks, ManifestSet* set) {
  std::vector<ManifestSet> parsed(sources.size());
  const int workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  RunInOrder(
      sources.size(), workers,
      [&](int, size_t i) {
        parsed[i] = ParseSource(sources[i].first, sources[i].second, checks);
      },
      [&](size_t i) {
        for (ManifestObject& m : parsed[i].objects) set->objects.push_back(std::move(m));
        for (std::string& p : parsed[i].problems) set->problems.push_back(std::move(p));
      });
}

}  // namespace

std::string ManifestObject::Location() const {
  std::string kind = Kind().empty() ? "<no kind>" : Kind();
  std::string name = Name().empty() ? "<no name>" : Name();
  return absl::StrCat(source, ": document ", document, " (", kind, "/", name, ")");
}

ManifestSet LoadManifests(const std::vector<std::string>& paths,
                          std::istream& stdin_stream, Checks checks) {
  ManifestSet set;
  if (paths.empty()) {
    set.problems.push_back("must specify -f FILE|DIR|-");
    return set;
  }
  std::vector<std::pair<std::string, std::string>> sources;  // file, text
  for (const std::string& path : paths) {
    for (const std::string& file : ExpandPath(path, &set.problems)) {
      std::string text;
      if (!ReadSource(file, stdin_stream, &text)) {
        set.problems.push_back(absl::StrCat(file, ": cannot be read"));
        continue;
      }
      sources.emplace_back(file, std::move(text));
    }
  }
  ParseSources(sources, checks, &set);
  CheckDuplicates(set.objects, &set.problems);
  if (set.objects.empty() && set.problems.empty()) {
    set.problems.push_back("no objects found in the given manifests");
  }
  return set;
}

}  // namespace vigil::cli
