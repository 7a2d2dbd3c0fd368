// vigil apply: validate every manifest first, then create or patch each
// object concurrently, printing results in manifest order; optionally prune.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/labels.h"
#include "cli/applier.h"
#include "cli/commands.h"
#include "cli/kinds.h"
#include "cli/manifest.h"
#include "cli/merge.h"
#include "cli/ordered_pool.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

using api::Json;

// Kinds with at least this many objects in the manifests are listed once up
// front instead of being read object by object.
constexpr size_t kListThreshold = 32;

std::string DryRunSuffix(bool dry_run) { return dry_run ? " (dry run)" : ""; }

bool ReportProblems(const Context& ctx, const ManifestSet& set) {
  if (set.problems.empty()) return false;
  ctx.err() << "error: the manifests have " << set.problems.size()
            << (set.problems.size() == 1 ? " problem" : " problems")
            << "; nothing was applied:\n";
  for (const std::string& problem : set.problems) ctx.err() << problem << "\n";
  return true;
}

// name -> live object, for each kind with many objects to apply.
using LiveIndex = std::map<std::string, std::map<std::string, Json>>;

// Lists the busy kinds concurrently (the client is safe for concurrent use).
LiveIndex ListBusyKinds(client::Client& client,
                        const std::vector<ManifestObject>& objects) {
  std::map<std::string, size_t> per_kind;
  for (const ManifestObject& m : objects) {
    ++per_kind[api::FindKind(m.Kind())->kind];
  }
  std::vector<std::string> busy;
  for (const auto& [kind, count] : per_kind) {
    if (count >= kListThreshold) busy.push_back(kind);
  }
  std::vector<absl::StatusOr<client::ObjectList>> lists(busy.size());
  RunInOrder(
      busy.size(), static_cast<int>(busy.size()),
      [&](int, size_t i) { lists[i] = client.List(busy[i]); }, [](size_t) {});
  LiveIndex index;
  for (size_t i = 0; i < busy.size(); ++i) {
    if (!lists[i].ok()) continue;  // fall back to reading objects one by one
    auto& by_name = index[busy[i]];
    for (Json& item : lists[i]->items) by_name.emplace(api::NameOf(item), std::move(item));
  }
  return index;
}

LiveHint HintFor(const LiveIndex& index, const ManifestObject& m) {
  LiveHint hint;
  auto kind = index.find(api::FindKind(m.Kind())->kind);
  if (kind == index.end()) return hint;
  hint.known = true;
  auto it = kind->second.find(m.Name());
  if (it != kind->second.end()) hint.object = it->second;
  return hint;
}

void PrintOutcome(const Context& ctx, const ManifestObject& m,
                  const ApplyOutcome& outcome, bool dry_run) {
  const std::string ref = RefString(m.Kind(), m.Name());
  if (!outcome.status.ok()) {
    ctx.err() << FormatServerError(outcome.status,
                                   absl::StrCat("error when applying \"",
                                                m.Location(), "\""))
              << "\n";
    return;
  }
  if (outcome.adopted && outcome.action == ApplyOutcome::Action::kConfigured) {
    ctx.err() << "Warning: " << ref << " had no " << kLastAppliedAnnotation
              << " annotation (it was not created by apply); it is added now.\n";
  }
  ctx.out() << ref << " " << outcome.Verb() << DryRunSuffix(dry_run) << "\n";
}

// Applies every object; returns the number of failures.
int ApplyAll(const Context& ctx, const std::vector<ManifestObject>& objects,
             bool dry_run) {
  const int workers = std::max(
      1, std::min<int>(ctx.concurrency, static_cast<int>(objects.size())));
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < workers; ++i) clients.push_back(ctx.NewWorkerClient());
  const LiveIndex live = ListBusyKinds(*clients[0], objects);
  std::vector<ApplyOutcome> outcomes(objects.size());
  int failures = 0;
  RunInOrder(
      objects.size(), workers,
      [&](int worker, size_t i) {
        Applier applier(clients[worker].get(), ctx.Writes(dry_run));
        outcomes[i] = applier.Apply(objects[i], HintFor(live, objects[i]));
      },
      [&](size_t i) {
        PrintOutcome(ctx, objects[i], outcomes[i], dry_run);
        if (!outcomes[i].status.ok()) ++failures;
        outcomes[i] = ApplyOutcome();  // printed: free the memory early
      });
  return failures;
}

bool WasApplied(const Json& live) {
  const Json* annotations = nullptr;
  if (live.contains("metadata") && live["metadata"].contains("annotations")) {
    annotations = &live["metadata"]["annotations"];
  }
  return annotations != nullptr && annotations->is_object() &&
         annotations->contains(kLastAppliedAnnotation);
}

// Deletes objects that apply created earlier, that match the selector, and
// that the manifests no longer declare. Returns the number of failures.
int Prune(const Context& ctx, const std::vector<ManifestObject>& objects,
          const ApplyOptions& options) {
  std::set<std::pair<std::string, std::string>> declared;
  for (const ManifestObject& m : objects) {
    declared.emplace(api::FindKind(m.Kind())->kind, m.Name());
  }
  std::unique_ptr<client::HttpClient> client = ctx.NewClient();
  const client::WriteOptions write = ctx.Writes(options.dry_run);
  int failures = 0;
  for (const api::KindInfo& kind : api::AllKinds()) {
    absl::StatusOr<client::ObjectList> list =
        client->List(kind.kind, {.label_selector = options.selector});
    if (!list.ok()) {
      ctx.err() << FormatServerError(list.status()) << "\n";
      ++failures;
      continue;
    }
    for (const Json& item : list->items) {
      const std::string name = api::NameOf(item);
      if (declared.count({kind.kind, name}) || !WasApplied(item)) continue;
      absl::StatusOr<Json> deleted =
          client->Delete(kind.kind, name, std::nullopt, write);
      if (!deleted.ok() && !absl::IsNotFound(deleted.status())) {
        ctx.err() << FormatServerError(deleted.status()) << "\n";
        ++failures;
        continue;
      }
      ctx.out() << RefString(kind.kind, name) << " pruned"
                << DryRunSuffix(options.dry_run) << "\n";
    }
  }
  return failures;
}

// Keeps only the objects the selector matches (kubectl apply -l).
absl::Status FilterBySelector(const std::string& selector,
                              std::vector<ManifestObject>* objects) {
  if (selector.empty()) return absl::OkStatus();
  absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::Parse(selector);
  if (!parsed.ok()) return parsed.status();
  std::erase_if(*objects, [&](const ManifestObject& m) {
    return !parsed->MatchesObject(m.object);
  });
  return absl::OkStatus();
}

}  // namespace

int RunApply(const Context& ctx, const ApplyOptions& options) {
  if (options.prune && options.selector.empty() && !options.prune_all) {
    ctx.err() << "error: all resources selected for prune without explicitly "
                 "passing --all. To prune all resources, pass the --all flag. "
                 "If you did not mean to prune all resources, specify a label "
                 "selector (-l)\n";
    return 1;
  }
  ManifestSet set = LoadManifests(options.files, *ctx.io.in, Checks::kValidate);
  if (ReportProblems(ctx, set)) return 1;
  if (absl::Status s = FilterBySelector(options.selector, &set.objects); !s.ok()) {
    ctx.err() << "error: " << s.message() << "\n";
    return 1;
  }
  if (!ctx.CheckReachable()) return 1;
  int failures = ApplyAll(ctx, set.objects, options.dry_run);
  if (options.prune) {
    if (failures > 0) {
      ctx.err() << "error: not pruning because some objects failed to apply\n";
    } else {
      failures += Prune(ctx, set.objects, options);
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace vigil::cli
