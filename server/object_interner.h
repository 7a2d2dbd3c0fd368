// ObjectInterner: one immutable copy of each object version for all the
// readers of one store in a process.
//
// Every in-process informer of a kind (the assignment controller's, the
// incident recorder's, the embedded agent's) receives its own parse of each
// object, and a parsed object takes several times its JSON text (a 1.2 KiB
// ServiceInstance ~8 KiB). Interning by (kind, name, resourceVersion) lets
// them keep one shared copy: a version of an object is immutable, and within
// one store a resourceVersion names exactly one version of an object.
//
// The interner holds only weak references: a version lives as long as some
// reader holds it. Entries of versions nobody holds any more are dropped
// when the table has doubled since the last sweep (amortized O(1)).
//
// Thread safety: thread-safe.
#ifndef VIGIL_SERVER_OBJECT_INTERNER_H_
#define VIGIL_SERVER_OBJECT_INTERNER_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/object.h"

namespace vigil::server {

class ObjectInterner {
 public:
  // `obj` as an immutable shared object: the copy already held by another
  // reader if one holds the same (kind, name, resourceVersion), otherwise
  // `obj` itself, from then on handed to the next reader of that version.
  // An object without a resourceVersion is never shared.
  // REQUIRES: obj is a version as stored (read from the store, unmodified).
  std::shared_ptr<const api::Json> Intern(api::Json obj);

  // Entries in the table, including versions no longer held that the next
  // sweep drops.
  size_t size() const;

 private:
  struct Entry {
    std::string resource_version;
    std::weak_ptr<const api::Json> object;
  };
  static constexpr size_t kMinSweepSize = 1024;

  // Drops the entries of versions no longer held. REQUIRES: mu_ held.
  void Sweep();

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_); key "kind/name"
  size_t sweep_at_ = kMinSweepSize;                 // GUARDED_BY(mu_)
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_OBJECT_INTERNER_H_
