// Registry: the Kubernetes API semantics of Vigil on top of a Store.
//
// It is the in-process Client (client/client.h) and what the HTTP server
// calls: defaulting and validation on create/update (every problem reported,
// nothing stored on error), the status subresource split (Update keeps the
// stored status, UpdateStatus keeps the stored spec and metadata), JSON merge
// patch, finalizers and deletionTimestamp, label-selector filtering, dry-run,
// and an audit line per write naming the user.
//
// Thread safety: safe for concurrent use.
#ifndef VIGIL_SERVER_REGISTRY_H_
#define VIGIL_SERVER_REGISTRY_H_

#include <memory>

#include "client/client.h"
#include "store/store.h"

namespace vigil::server {

class Registry : public client::Client {
 public:
  // REQUIRES: store != nullptr; it outlives no one but is shared.
  explicit Registry(std::shared_ptr<store::Store> store);
  ~Registry() override;

  absl::StatusOr<client::Json> Get(const std::string& kind,
                                   const std::string& name) override;
  absl::StatusOr<client::ObjectList> List(
      const std::string& kind, const client::ListOptions& options) override;
  absl::StatusOr<client::Json> Create(const client::Json& obj,
                                      const client::WriteOptions& options) override;
  absl::StatusOr<client::Json> Update(const client::Json& obj,
                                      const client::WriteOptions& options) override;
  absl::StatusOr<client::Json> UpdateStatus(
      const client::Json& obj, const client::WriteOptions& options) override;
  absl::StatusOr<client::Json> Patch(const std::string& kind,
                                     const std::string& name,
                                     const client::Json& merge_patch, bool status,
                                     const client::WriteOptions& options) override;
  absl::StatusOr<client::Json> Delete(
      const std::string& kind, const std::string& name,
      std::optional<int64_t> expected_resource_version,
      const client::WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<client::WatchStream>> Watch(
      const std::string& kind, const client::ListOptions& options) override;

  store::Store& store() { return *store_; }

 private:
  std::shared_ptr<store::Store> store_;
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_REGISTRY_H_
