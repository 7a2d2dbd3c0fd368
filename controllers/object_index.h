// ObjectIndex: which objects point at which keys (ServiceUnit -> its group,
// ServiceUnit -> its node, ServiceInstance -> its sponsors, Operation -> its
// target), kept current by informer handlers so that an event maps to the
// affected ServiceGroups without scanning a cache.
//
// Thread safety: every method may be called from any thread.
#ifndef VIGIL_CONTROLLERS_OBJECT_INDEX_H_
#define VIGIL_CONTROLLERS_OBJECT_INDEX_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace vigil::controllers {

class ObjectIndex {
 public:
  // Records that `member` points at exactly `keys` (replacing what it
  // pointed at before; empty keys: at nothing, i.e. removes it).
  void Set(const std::string& member, const std::vector<std::string>& keys);

  // The members pointing at `key`, sorted.
  std::vector<std::string> MembersOf(const std::string& key) const;
  // The keys `member` points at, sorted.
  std::vector<std::string> KeysOf(const std::string& member) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> members_;  // GUARDED_BY(mu_) key -> members
  std::map<std::string, std::set<std::string>> keys_;     // GUARDED_BY(mu_) member -> keys
};

}  // namespace vigil::controllers

#endif  // VIGIL_CONTROLLERS_OBJECT_INDEX_H_
