// vigil diff: what `vigil apply` would change, as a unified diff of each live
// object against the server's dry-run result of applying its manifest.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/applier.h"
#include "cli/commands.h"
#include "cli/manifest.h"
#include "cli/ordered_pool.h"
#include "cli/output.h"
#include "cli/unified_diff.h"

namespace vigil::cli {
namespace {

using api::Json;

constexpr int kExitDifferent = 1;
constexpr int kExitError = 2;

struct DiffResult {
  absl::Status status;
  std::string diff;  // "" when the live object already matches
};

// Server-maintained fields that change on every write and say nothing about
// what apply changes.
Json Masked(Json obj) {
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    obj["metadata"].erase("managedFields");
    obj["metadata"].erase("resourceVersion");
  }
  return obj;
}

std::string FileName(const ManifestObject& m) {
  return absl::StrCat(std::string(api::kGroup), ".", std::string(api::kVersion), ".",
                      m.Kind(), ".", m.Name());
}

DiffResult DiffOne(client::Client& client, const ManifestObject& m,
                   const client::WriteOptions& dry_run) {
  DiffResult result;
  const api::KindInfo* kind = api::FindKind(m.Kind());
  LiveHint hint;
  hint.known = true;
  absl::StatusOr<Json> live = client.Get(kind->kind, m.Name());
  if (live.ok()) {
    hint.object = *live;
  } else if (!absl::IsNotFound(live.status())) {
    result.status = live.status();
    return result;
  }
  ApplyOutcome outcome = Applier(&client, dry_run).Apply(m, hint);
  if (!outcome.status.ok()) {
    result.status = outcome.status;
    return result;
  }
  if (outcome.action == ApplyOutcome::Action::kUnchanged) return result;
  std::string before = hint.object ? RenderObject(Masked(*hint.object), "yaml") : "";
  std::string after = RenderObject(Masked(outcome.result), "yaml");
  const std::string name = FileName(m);
  std::string diff = UnifiedDiff(before, after, "live/" + name, "merged/" + name);
  if (!diff.empty()) {
    result.diff = absl::StrCat("diff -u -N live/", name, " merged/", name, "\n", diff);
  }
  return result;
}

}  // namespace

int RunDiff(const Context& ctx, const DiffOptions& options) {
  ManifestSet set = LoadManifests(options.files, *ctx.io.in, Checks::kValidate);
  if (!set.problems.empty()) {
    ctx.err() << "error: the manifests have problems:\n";
    for (const std::string& problem : set.problems) ctx.err() << problem << "\n";
    return kExitError;
  }
  if (!ctx.CheckReachable()) return kExitError;
  const int workers = std::max(
      1, std::min<int>(ctx.concurrency, static_cast<int>(set.objects.size())));
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < workers; ++i) clients.push_back(ctx.NewWorkerClient());
  std::vector<DiffResult> results(set.objects.size());
  bool different = false, failed = false;
  RunInOrder(
      set.objects.size(), workers,
      [&](int worker, size_t i) {
        results[i] = DiffOne(*clients[worker], set.objects[i], ctx.Writes(true));
      },
      [&](size_t i) {
        if (!results[i].status.ok()) {
          ctx.err() << FormatServerError(results[i].status,
                                         absl::StrCat("error when diffing \"",
                                                      set.objects[i].Location(), "\""))
                    << "\n";
          failed = true;
        }
        different = different || !results[i].diff.empty();
        ctx.out() << results[i].diff;
      });
  if (failed) return kExitError;
  return different ? kExitDifferent : 0;
}

}  // namespace vigil::cli
