// The in-memory index of current objects: (kind, name) -> (mod revision,
// JSON text), plus the store revision it reflects. It makes Get and List
// fast and gives the committer the current state to check preconditions
// against. Objects are kept as their JSON text (compact: ~1 KiB per typical
// object) and shared, so snapshots copy pointers, not documents.
//
// Thread safety: thread-safe. Readers share a lock; Apply takes it
// exclusively, so a reader sees every change of a batch or none.
#ifndef VIGIL_STORE_OBJECT_INDEX_H_
#define VIGIL_STORE_OBJECT_INDEX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace vigil::store {

struct StoredObject {
  int64_t mod_revision = 0;
  std::shared_ptr<const std::string> json;  // never null
};

// One change of a committed batch: `object` is the new state, or nullopt when
// the object was deleted.
struct IndexChange {
  std::string kind;
  std::string name;
  std::optional<StoredObject> object;
};

class ObjectIndex {
 public:
  ObjectIndex() = default;
  ObjectIndex(const ObjectIndex&) = delete;
  ObjectIndex& operator=(const ObjectIndex&) = delete;

  // The object, or nullopt if absent.
  std::optional<StoredObject> Find(const std::string& kind,
                                   const std::string& name) const;

  // Every object of `kind` sorted by name, with the revision they reflect.
  struct KindSnapshot {
    std::vector<std::pair<std::string, StoredObject>> objects;
    int64_t revision = 0;
  };
  KindSnapshot SnapshotKind(const std::string& kind) const;

  // The store revision: the revision of the last applied batch.
  int64_t revision() const;

  // Applies the changes of one committed batch and sets the revision.
  // REQUIRES: new_revision >= revision().
  void Apply(const std::vector<IndexChange>& changes, int64_t new_revision);

  size_t size() const;

 private:
  using Objects = std::map<std::string, StoredObject, std::less<>>;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Objects> kinds_;  // GUARDED_BY(mu_)
  int64_t revision_ = 0;                            // GUARDED_BY(mu_)
  size_t size_ = 0;                                 // GUARDED_BY(mu_)
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_OBJECT_INDEX_H_
