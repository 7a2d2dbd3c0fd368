#include "controllers/object_index.h"

namespace vigil::controllers {

void ObjectIndex::Set(const std::string& member, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  auto old = keys_.find(member);
  if (old != keys_.end()) {
    for (const std::string& key : old->second) {
      auto it = members_.find(key);
      if (it == members_.end()) continue;
      it->second.erase(member);
      if (it->second.empty()) members_.erase(it);
    }
    keys_.erase(old);
  }
  if (keys.empty()) return;
  std::set<std::string>& mine = keys_[member];
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    mine.insert(key);
    members_[key].insert(member);
  }
  if (mine.empty()) keys_.erase(member);
}

std::vector<std::string> ObjectIndex::MembersOf(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = members_.find(key);
  if (it == members_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> ObjectIndex::KeysOf(const std::string& member) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(member);
  if (it == keys_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace vigil::controllers
