// Client: the one way controllers, agents and the CLI read and write Vigil
// objects. Two implementations behave identically:
//   - server::Registry (in-process, server/registry.h), used by the
//     controllers and the embedded agent inside vigild;
//   - HttpClient (client/http_client.h), speaking the Kubernetes REST API,
//     used by the CLI and remote agents.
//
// All objects are JSON documents (api/object.h). Errors are absl::Status with
// the codes in api/errors.h (NotFound, AlreadyExists, Aborted = conflict,
// InvalidArgument = invalid with causes, OutOfRange = expired, ...).
//
// Thread safety: implementations are safe for concurrent use.
#ifndef VIGIL_CLIENT_CLIENT_H_
#define VIGIL_CLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::client {

using api::Json;

struct WriteOptions {
  bool dry_run = false;   // validate and default, return the result, store nothing
  std::string user;       // who makes the write (audit); "" = unknown
};

struct ListOptions {
  // Kubernetes label selector: "app=vlc,tier!=db,env in (a,b),!legacy,key".
  std::string label_selector;
  // List: 0 = current state; N = the state as of revision N.
  // Watch: 0 = from now; N = every change after revision N.
  int64_t resource_version = 0;
};

struct ObjectList {
  std::vector<Json> items;       // sorted by name
  int64_t resource_version = 0;  // revision of the list (start a watch here)
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kAdded;
  Json object;  // bookmark: only kind and metadata.resourceVersion
};

// A stream of changes. Events arrive in revision order.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Waits up to `timeout` for the next event; nullopt on timeout.
  // Errors: OutOfRange if the start revision was compacted (re-list);
  // Cancelled after Cancel(); Unavailable if the connection broke.
  virtual absl::StatusOr<std::optional<WatchEvent>> Next(
      std::chrono::milliseconds timeout) = 0;
  // Ends the stream; safe from any thread, unblocks Next().
  virtual void Cancel() = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  virtual absl::StatusOr<Json> Get(const std::string& kind,
                                   const std::string& name) = 0;
  virtual absl::StatusOr<ObjectList> List(const std::string& kind,
                                          const ListOptions& options = {}) = 0;
  // Defaults, validates and stores a new object; its status is dropped.
  virtual absl::StatusOr<Json> Create(const Json& obj,
                                      const WriteOptions& options = {}) = 0;
  // Replaces spec/metadata of an existing object (status is kept as stored).
  // Compare-and-swap when metadata.resourceVersion is set.
  virtual absl::StatusOr<Json> Update(const Json& obj,
                                      const WriteOptions& options = {}) = 0;
  // Replaces only the status (the /status subresource); spec is kept.
  // Compare-and-swap when metadata.resourceVersion is set.
  virtual absl::StatusOr<Json> UpdateStatus(const Json& obj,
                                            const WriteOptions& options = {}) = 0;
  // Applies an RFC 7386 JSON merge patch to the object (or, with
  // status = true, to its status subresource).
  virtual absl::StatusOr<Json> Patch(const std::string& kind,
                                     const std::string& name,
                                     const Json& merge_patch, bool status = false,
                                     const WriteOptions& options = {}) = 0;
  // Deletes an object. With finalizers present it is only marked
  // (deletionTimestamp set) and removed once they are gone. Returns the object
  // as deleted or marked.
  virtual absl::StatusOr<Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version = std::nullopt,
      const WriteOptions& options = {}) = 0;
  // Watches one kind. See ListOptions for the start revision.
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> Watch(
      const std::string& kind, const ListOptions& options = {}) = 0;

  // `obj` as an immutable object for a long-lived cache (an informer's).
  // An implementation may return the copy already handed out for the same
  // version (kind, name, resourceVersion), so that the caches of one process
  // hold one copy of it; this one returns a new one.
  // REQUIRES: obj was read through this client (Get, List, Watch) and not
  // modified.
  virtual std::shared_ptr<const Json> Share(Json obj) {
    return std::make_shared<const Json>(std::move(obj));
  }
};

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_CLIENT_H_
