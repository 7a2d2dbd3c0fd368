#include "server/object_interner.h"

#include <algorithm>
#include <utility>

namespace vigil::server {

std::shared_ptr<const api::Json> ObjectInterner::Intern(api::Json obj) {
  std::string resource_version = api::ResourceVersionOf(obj);
  if (resource_version.empty()) return std::make_shared<const api::Json>(std::move(obj));
  std::string key = api::KindOf(obj) + "/" + api::NameOf(obj);
  std::lock_guard lock(mu_);
  Entry& entry = entries_[std::move(key)];
  if (entry.resource_version == resource_version) {
    if (std::shared_ptr<const api::Json> held = entry.object.lock()) return held;
  }
  auto shared = std::make_shared<const api::Json>(std::move(obj));
  entry = Entry{std::move(resource_version), shared};
  if (entries_.size() >= sweep_at_) Sweep();
  return shared;
}

size_t ObjectInterner::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void ObjectInterner::Sweep() {
  std::erase_if(entries_, [](const auto& item) { return item.second.object.expired(); });
  sweep_at_ = std::max(kMinSweepSize, 2 * entries_.size());
}

}  // namespace vigil::server
