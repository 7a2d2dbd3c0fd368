// vigil delete: by name, by selector (-l / --all), or by manifests (-f).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "cli/commands.h"
#include "cli/kinds.h"
#include "cli/manifest.h"
#include "cli/ordered_pool.h"
#include "cli/retry.h"
#include "cli/output.h"

namespace vigil::cli {
namespace {

using api::Json;

// Deletes each target concurrently; prints in order. Returns failures.
int DeleteAll(const Context& ctx, const std::vector<ObjectRef>& targets,
              const DeleteOptions& options) {
  const int workers = std::max(1, std::min<int>(ctx.concurrency,
                                                static_cast<int>(targets.size())));
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < workers; ++i) clients.push_back(ctx.NewWorkerClient());
  const client::WriteOptions write = ctx.Writes(options.dry_run);
  std::vector<absl::Status> results(targets.size());
  int failures = 0;
  RunInOrder(
      targets.size(), workers,
      [&](int worker, size_t i) {
        int attempts = 0;
        absl::StatusOr<Json> deleted = RetryUnavailable([&] {
          ++attempts;
          return clients[worker]->Delete(targets[i].kind->kind, targets[i].name,
                                         std::nullopt, write);
        });
        // A retried delete that had landed the first time finds nothing.
        results[i] = attempts > 1 && absl::IsNotFound(deleted.status())
                         ? absl::OkStatus()
                         : deleted.status();
      },
      [&](size_t i) {
        const ObjectRef& t = targets[i];
        if (absl::IsNotFound(results[i]) && options.ignore_not_found) return;
        if (!results[i].ok()) {
          ctx.err() << FormatServerError(results[i]) << "\n";
          ++failures;
          return;
        }
        ctx.out() << QualifiedKind(*t.kind) << " \"" << t.name << "\" deleted"
                  << (options.dry_run ? " (dry run)" : "") << "\n";
      });
  return failures;
}

absl::Status TargetsFromFiles(const Context& ctx, const DeleteOptions& options,
                              std::vector<ObjectRef>* targets) {
  if (!options.args.empty()) {
    return absl::InvalidArgumentError(
        "when -f is given, no resource type or name may be given");
  }
  ManifestSet set =
      LoadManifests(options.files, *ctx.io.in, Checks::kIdentityOnly);
  if (!set.problems.empty()) {
    std::string text = "the manifests have problems; nothing was deleted:";
    for (const std::string& p : set.problems) absl::StrAppend(&text, "\n", p);
    return absl::InvalidArgumentError(text);
  }
  for (const ManifestObject& m : set.objects) {
    targets->push_back({api::FindKind(m.Kind()), m.Name()});
  }
  return absl::OkStatus();
}

absl::Status TargetsFromArgs(client::HttpClient& client,
                             const DeleteOptions& options,
                             std::vector<ObjectRef>* targets) {
  std::vector<const api::KindInfo*> kinds;
  absl::Status status = ParseKindArgs(options.args, &kinds, targets);
  if (!status.ok() || !targets->empty()) {
    if (status.ok() && (options.all || !options.selector.empty())) {
      return absl::InvalidArgumentError(
          "names cannot be given together with -l or --all");
    }
    return status;
  }
  if (!options.all && options.selector.empty()) {
    return absl::InvalidArgumentError(
        "resource(s) were provided, but no name was specified (use -l SELECTOR "
        "or --all to delete several)");
  }
  for (const api::KindInfo* kind : kinds) {
    absl::StatusOr<client::ObjectList> list =
        client.List(kind->kind, {.label_selector = options.selector});
    if (!list.ok()) return list.status();
    for (const Json& item : list->items) targets->push_back({kind, api::NameOf(item)});
  }
  return absl::OkStatus();
}

}  // namespace

int RunDelete(const Context& ctx, const DeleteOptions& options) {
  std::vector<ObjectRef> targets;
  std::unique_ptr<client::HttpClient> client = ctx.NewClient();
  absl::Status status = options.files.empty()
                            ? TargetsFromArgs(*client, options, &targets)
                            : TargetsFromFiles(ctx, options, &targets);
  if (!status.ok()) {
    ctx.err() << (absl::IsInvalidArgument(status) && !api::IsMalformedRequest(status)
                      ? absl::StrCat("error: ", status.message())
                      : FormatServerError(status))
              << "\n";
    return 1;
  }
  if (!options.files.empty() && !ctx.CheckReachable()) return 1;
  if (targets.empty()) {
    ctx.err() << "No resources found\n";
    return 0;
  }
  return DeleteAll(ctx, targets, options) == 0 ? 0 : 1;
}

}  // namespace vigil::cli
