#include "cli/merge.h"

#include <string_view>
#include <utility>

namespace vigil::cli {
namespace {

// Go's encoding/json escapes these so that JSON can be embedded in HTML;
// kubectl's annotation carries the escapes, so ours must too.
std::string EscapeLikeGo(const std::string& compact) {
  std::string out;
  out.reserve(compact.size());
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < compact.size() && compact[i + 1] == '\x80' &&
               (compact[i + 2] == '\xA8' || compact[i + 2] == '\xA9')) {
      out += compact[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 7386 CreateMergePatch(from, to): what changes `from` into `to`,
// with null for every key `to` dropped.
Json DiffObjects(const Json& from, const Json& to) {
  Json patch = Json::object();
  for (const auto& [key, to_value] : to.items()) {
    auto it = from.find(key);
    if (it == from.end()) {
      patch[key] = to_value;
    } else if (it->is_object() && to_value.is_object()) {
      Json sub = DiffObjects(*it, to_value);
      if (!sub.empty()) patch[key] = std::move(sub);
    } else if (*it != to_value) {
      patch[key] = to_value;
    }
  }
  for (const auto& [key, value] : from.items()) {
    if (!to.contains(key)) patch[key] = nullptr;
  }
  return patch;
}

// Keeps only the deletions (keep_nulls) or only the additions and changes
// (!keep_nulls) of a merge patch, as kubectl's jsonmergepatch does.
Json FilterPatch(const Json& patch, bool keep_nulls) {
  Json out = Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      if (keep_nulls) out[key] = nullptr;
    } else if (value.is_object() && value.empty()) {
      // An explicitly empty map is a value, not an empty patch.
      if (!keep_nulls) out[key] = value;
    } else if (value.is_object()) {
      Json sub = FilterPatch(value, keep_nulls);
      if (!sub.empty()) out[key] = std::move(sub);
    } else if (!keep_nulls) {
      out[key] = value;
    }
  }
  return out;
}

// Deep-merges two patches; `overlay` wins where both set a value.
Json MergePatches(Json base, const Json& overlay) {
  for (const auto& [key, value] : overlay.items()) {
    auto it = base.find(key);
    if (value.is_object() && it != base.end() && it->is_object()) {
      *it = MergePatches(std::move(*it), value);
    } else {
      base[key] = value;
    }
  }
  return base;
}

const Json* AnnotationsOf(const Json& obj) {
  if (!obj.is_object()) return nullptr;
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return nullptr;
  auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object()) return nullptr;
  return &*annotations;
}

}  // namespace

std::string LastAppliedConfiguration(const Json& manifest) {
  Json config = manifest;
  Json annotations = Json::object();
  if (const Json* existing = AnnotationsOf(manifest)) annotations = *existing;
  annotations.erase(kLastAppliedAnnotation);
  config["metadata"]["annotations"] = std::move(annotations);
  std::string compact =
      config.dump(-1, ' ', false, Json::error_handler_t::replace);
  return EscapeLikeGo(compact) + "\n";
}

Json WithLastApplied(const Json& manifest) {
  std::string last_applied = LastAppliedConfiguration(manifest);
  Json modified = manifest;
  Json& annotations = modified["metadata"]["annotations"];
  if (!annotations.is_object()) annotations = Json::object();
  annotations[kLastAppliedAnnotation] = std::move(last_applied);
  return modified;
}

std::optional<Json> LastAppliedOf(const Json& live) {
  const Json* annotations = AnnotationsOf(live);
  if (annotations == nullptr) return std::nullopt;
  auto it = annotations->find(kLastAppliedAnnotation);
  if (it == annotations->end() || !it->is_string()) return std::nullopt;
  Json parsed = Json::parse(it->get<std::string>(), nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

Json ThreeWayMergePatch(const Json& original, const Json& modified,
                        const Json& current) {
  const Json empty = Json::object();
  const Json& live = current.is_object() ? current : empty;
  Json additions = FilterPatch(DiffObjects(live, modified), false);
  if (!original.is_object()) return additions;
  Json deletions = FilterPatch(DiffObjects(original, modified), true);
  return MergePatches(std::move(deletions), additions);
}

Json ApplyMergePatch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      auto it = target.find(key);
      Json base = it == target.end() ? Json() : std::move(*it);
      target[key] = ApplyMergePatch(std::move(base), value);
    }
  }
  return target;
}

}  // namespace vigil::cli
