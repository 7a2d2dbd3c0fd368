// Registry: List and Watch (the label-selector-filtered reads).
#include <set>
#include <utility>

#include "api/strings.h"
#include "api/errors.h"
#include "server/kind_errors.h"
#include "server/registry.h"
#include "server/watch_stream.h"

namespace vigil::server {
namespace {

using client::Json;

absl::StatusOr<api::LabelSelector> ParseSelector(const std::string& text) {
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::Parse(text);
  if (!selector.ok()) return api::MalformedRequest(std::string(selector.status().message()));
  return selector;
}

// The store refuses a revision ahead of its current one; to a client that
// is a bad request, not an invalid object.
absl::Status TranslateListError(const absl::Status& status) {
  if (!absl::IsInvalidArgument(status) || api::IsMalformedRequest(status)) return status;
  return api::MalformedRequest(std::string(status.message()));
}

std::set<std::string> MatchingNames(const std::vector<Json>& items,
                                    const api::LabelSelector& selector) {
  std::set<std::string> names;
  for (const Json& item : items) {
    if (selector.MatchesObject(item)) names.insert(api::NameOf(item));
  }
  return names;
}

}  // namespace

absl::StatusOr<client::ObjectList> Registry::List(
    const std::string& kind, const client::ListOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind);
  if (!info.ok()) return info.status();
  absl::StatusOr<api::LabelSelector> selector = ParseSelector(options.label_selector);
  if (!selector.ok()) return selector.status();
  absl::StatusOr<store::ListResult> listed =
      store_->List((*info)->kind, options.resource_version);
  if (!listed.ok()) return TranslateListError(listed.status());
  client::ObjectList out;
  out.resource_version = listed->revision;
  for (Json& item : listed->items) {
    if (selector->MatchesObject(item)) out.items.push_back(std::move(item));
  }
  return out;
}

std::shared_ptr<const Json> Registry::Share(Json obj) {
  return interner_.Intern(std::move(obj));
}

absl::StatusOr<std::unique_ptr<client::WatchStream>> Registry::Watch(
    const std::string& kind, const client::ListOptions& options) {
  absl::StatusOr<const api::KindInfo*> info = ResolveKind(kind);
  if (!info.ok()) return info.status();
  absl::StatusOr<api::LabelSelector> selector = ParseSelector(options.label_selector);
  if (!selector.ok()) return selector.status();
  int64_t after = options.resource_version;
  std::set<std::string> matching;
  if (!selector->empty()) {
    // Which objects match at the start decides whether a later change of
    // labels is an ADDED or a DELETED for this watcher.
    absl::StatusOr<store::ListResult> start = store_->List((*info)->kind, after);
    if (!start.ok()) return TranslateListError(start.status());
    matching = MatchingNames(start->items, *selector);
    if (after == 0) after = start->revision;
  }
  absl::StatusOr<std::unique_ptr<store::Watch>> watch =
      store_->Watch((*info)->kind, after);
  if (!watch.ok()) return watch.status();
  return std::make_unique<RegistryWatchStream>(
      *std::move(watch), *std::move(selector), std::move(matching));
}

}  // namespace vigil::server
