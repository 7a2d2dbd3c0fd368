#include "cli/kinds.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace vigil::cli {
namespace {

absl::Status UnknownKind(const std::string& name) {
  return absl::InvalidArgumentError(
      absl::StrCat("the server doesn't have a resource type \"", name, "\""));
}

void AddUnique(const api::KindInfo* kind,
               std::vector<const api::KindInfo*>* kinds) {
  if (std::find(kinds->begin(), kinds->end(), kind) == kinds->end()) {
    kinds->push_back(kind);
  }
}

absl::Status ParseSlashForm(const std::vector<std::string>& args,
                            std::vector<const api::KindInfo*>* kinds,
                            std::vector<ObjectRef>* refs) {
  for (const std::string& arg : args) {
    std::vector<std::string> parts = absl::StrSplit(arg, absl::MaxSplits('/', 1));
    if (parts.size() != 2 || parts[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "there is no need to specify a resource type as a separate argument "
          "when passing arguments in resource/name form (e.g. 'vigil get "
          "sg/vlc' instead of 'vigil get sg vlc'): \"", arg, "\""));
    }
    absl::StatusOr<const api::KindInfo*> kind = ResolveKind(parts[0]);
    if (!kind.ok()) return kind.status();
    AddUnique(*kind, kinds);
    refs->push_back({*kind, parts[1]});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<const api::KindInfo*> ResolveKind(const std::string& name) {
  absl::string_view base = name;
  absl::ConsumeSuffix(&base, "/v1");
  absl::ConsumeSuffix(&base, ".vigil.io");
  const api::KindInfo* kind = api::FindKind(std::string(base));
  if (kind == nullptr) return UnknownKind(name);
  return kind;
}

absl::StatusOr<std::vector<const api::KindInfo*>> ResolveKinds(
    const std::string& names) {
  std::vector<const api::KindInfo*> kinds;
  for (const std::string& name :
       std::vector<std::string>(absl::StrSplit(names, ',', absl::SkipEmpty()))) {
    if (absl::AsciiStrToLower(name) == "all") {
      for (const api::KindInfo& kind : api::AllKinds()) AddUnique(&kind, &kinds);
      continue;
    }
    absl::StatusOr<const api::KindInfo*> kind = ResolveKind(name);
    if (!kind.ok()) return kind.status();
    AddUnique(*kind, &kinds);
  }
  if (kinds.empty()) return UnknownKind(names);
  return kinds;
}

absl::Status ParseKindArgs(const std::vector<std::string>& args,
                           std::vector<const api::KindInfo*>* kinds,
                           std::vector<ObjectRef>* refs) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "you must specify the type of resource, e.g. 'sg' (one of node, sg, "
        "su, comp, si, or all)");
  }
  if (absl::StrContains(args[0], '/')) return ParseSlashForm(args, kinds, refs);
  absl::StatusOr<std::vector<const api::KindInfo*>> parsed = ResolveKinds(args[0]);
  if (!parsed.ok()) return parsed.status();
  *kinds = *parsed;
  if (args.size() > 1 && kinds->size() != 1) {
    return absl::InvalidArgumentError(
        "names can only be given with a single resource type");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (absl::StrContains(args[i], '/')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "arguments in resource/name form must have a single resource and "
          "name: \"", args[i], "\""));
    }
    refs->push_back({kinds->front(), args[i]});
  }
  return absl::OkStatus();
}

std::string QualifiedKind(const api::KindInfo& kind) {
  return absl::StrCat(kind.singular, ".", std::string(api::kGroup));
}

std::string QualifiedResource(const api::KindInfo& kind) {
  return absl::StrCat(kind.plural, ".", std::string(api::kGroup));
}

std::string RefString(const std::string& kind, const std::string& name) {
  const api::KindInfo* info = api::FindKind(kind);
  std::string prefix = info != nullptr ? QualifiedKind(*info)
                                       : absl::AsciiStrToLower(kind);
  return absl::StrCat(prefix, "/", name);
}

}  // namespace vigil::cli
