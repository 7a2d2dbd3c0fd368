// The REST handlers of the vigil.io/v1 resources: get, list, watch, create,
// replace, patch, delete and deletecollection, on an object or its /status.
//
// Thread safety: safe for concurrent use (all state is in the Registry).
#ifndef VIGIL_SERVER_RESOURCE_HANDLERS_H_
#define VIGIL_SERVER_RESOURCE_HANDLERS_H_

#include <string>
#include <string_view>

#include <httplib.h>

#include "absl/status/statusor.h"
#include "api/object.h"
#include "server/registry.h"
#include "server/watch_handler.h"

namespace vigil::server {

// What a path under /apis/vigil.io/v1/ names.
struct ResourcePath {
  const api::KindInfo* kind = nullptr;
  std::string name;     // "" = the collection
  bool status = false;  // the /status subresource
  // Who asks, for the audit log: set by the API server in secure mode (the
  // authenticated user); "" = RequestUser(req) (plain mode).
  std::string user;
};

// Parses "<plural>[/<name>[/status]]" (the part after "/apis/vigil.io/v1/").
// Errors: NotFound for an unknown resource or subresource.
absl::StatusOr<ResourcePath> ParseResourcePath(std::string_view rest);

class ResourceHandlers {
 public:
  // REQUIRES: registry and sessions outlive the handlers.
  ResourceHandlers(Registry& registry, WatchSessions& sessions,
                   absl::Duration watch_heartbeat);

  void Get(const httplib::Request& req, httplib::Response& res,
           const ResourcePath& path);
  void Create(const httplib::Request& req, httplib::Response& res,
              const ResourcePath& path);
  void Replace(const httplib::Request& req, httplib::Response& res,
               const ResourcePath& path);
  void Patch(const httplib::Request& req, httplib::Response& res,
             const ResourcePath& path);
  void Delete(const httplib::Request& req, httplib::Response& res,
              const ResourcePath& path);

 private:
  void GetObject(const httplib::Request& req, httplib::Response& res,
                 const ResourcePath& path);
  void List(const httplib::Request& req, httplib::Response& res,
            const ResourcePath& path);
  void Watch(const httplib::Request& req, httplib::Response& res,
             const ResourcePath& path);
  void DeleteCollection(const httplib::Request& req, httplib::Response& res,
                        const ResourcePath& path);

  Registry& registry_;
  WatchSessions& sessions_;
  const absl::Duration watch_heartbeat_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_RESOURCE_HANDLERS_H_
