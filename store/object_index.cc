#include "store/object_index.h"

#include <mutex>

namespace vigil::store {

std::optional<StoredObject> ObjectIndex::Find(const std::string& kind,
                                              const std::string& name) const {
  std::shared_lock lock(mu_);
  auto kind_it = kinds_.find(kind);
  if (kind_it == kinds_.end()) return std::nullopt;
  auto it = kind_it->second.find(name);
  if (it == kind_it->second.end()) return std::nullopt;
  return it->second;
}

ObjectIndex::KindSnapshot ObjectIndex::SnapshotKind(
    const std::string& kind) const {
  KindSnapshot snapshot;
  std::shared_lock lock(mu_);
  snapshot.revision = revision_;
  auto kind_it = kinds_.find(kind);
  if (kind_it == kinds_.end()) return snapshot;
  snapshot.objects.reserve(kind_it->second.size());
  for (const auto& [name, object] : kind_it->second) {
    snapshot.objects.emplace_back(name, object);
  }
  return snapshot;
}

int64_t ObjectIndex::revision() const {
  std::shared_lock lock(mu_);
  return revision_;
}

size_t ObjectIndex::size() const {
  std::shared_lock lock(mu_);
  return size_;
}

void ObjectIndex::Apply(const std::vector<IndexChange>& changes,
                        int64_t new_revision) {
  std::unique_lock lock(mu_);
  for (const IndexChange& change : changes) {
    Objects& objects = kinds_[change.kind];
    if (change.object.has_value()) {
      auto [it, inserted] = objects.insert_or_assign(change.name, *change.object);
      if (inserted) ++size_;
    } else if (objects.erase(change.name) > 0) {
      --size_;
    }
  }
  revision_ = new_revision;
}

}  // namespace vigil::store
