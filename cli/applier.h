// Applier: the client-side apply of one object, shared by `apply` (which
// stores the result) and `diff` (which asks for a server-side dry run).
//
// Like kubectl: create when absent; otherwise compute the three-way merge
// patch from the last-applied annotation, the manifest and the live object,
// and send it only if it is not empty ("unchanged" otherwise).
//
// Thread safety: an Applier uses its client from one thread at a time; give
// each worker its own Applier.
#ifndef VIGIL_CLI_APPLIER_H_
#define VIGIL_CLI_APPLIER_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "api/object.h"
#include "cli/manifest.h"
#include "client/client.h"

namespace vigil::cli {

// What is known about the live object before applying, e.g. from a List
// done up front for many objects of one kind. Stale knowledge is tolerated:
// the applier re-reads the object when the server disagrees.
struct LiveHint {
  bool known = false;         // false: GET the object first
  std::optional<api::Json> object;  // when known: the object, or absent
};

struct ApplyOutcome {
  enum class Action { kCreated, kConfigured, kUnchanged };
  Action action = Action::kUnchanged;
  absl::Status status;          // not ok: the object was not applied
  api::Json result;             // the object as stored (or as it would be)
  bool adopted = false;         // the live object had no last-applied annotation
  const char* Verb() const;     // "created" / "configured" / "unchanged"
};

class Applier {
 public:
  // REQUIRES: client outlives the Applier.
  // `options` says whether the writes are a dry run and who makes them.
  Applier(client::Client* client, client::WriteOptions options);

  ApplyOutcome Apply(const ManifestObject& manifest, const LiveHint& hint);

 private:
  ApplyOutcome ApplyTo(const api::Json& modified, const std::string& kind,
                       const std::optional<api::Json>& live);
  ApplyOutcome PatchLive(const api::Json& modified, const std::string& kind,
                         const api::Json& live);

  client::Client* client_;
  client::WriteOptions write_options_;
};

}  // namespace vigil::cli

#endif  // VIGIL_CLI_APPLIER_H_
