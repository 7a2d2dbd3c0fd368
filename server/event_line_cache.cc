#include "server/event_line_cache.h"

#include "api/strings.h"
#include "server/http_util.h"

namespace vigil::server {

std::string WatchEventLine(const char* type, const api::Json& object) {
  return api::Cat("{\"type\":\"", type, "\",\"object\":", DumpJson(object), "}\n");
}

std::shared_ptr<const std::string> EventLineCache::Line(const char* type,
                                                        const api::Json& object) {
  const std::string rv = api::ResourceVersionOf(object);
  if (rv.empty()) return std::make_shared<const std::string>(WatchEventLine(type, object));
  std::string key = api::Cat(api::KindOf(object), "/", rv, "/", type);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = lines_.find(key);
    if (it != lines_.end()) return it->second;
  }
  // Serialized outside the lock; concurrent misses on one key both serialize,
  // and the first stored line wins.
  auto line = std::make_shared<const std::string>(WatchEventLine(type, object));
  std::lock_guard<std::shared_mutex> lock(mu_);
  auto [it, inserted] = lines_.emplace(key, line);
  if (!inserted) return it->second;
  order_.push_back(std::move(key));
  if (order_.size() > capacity_) {
    lines_.erase(order_.front());
    order_.pop_front();
  }
  return line;
}

}  // namespace vigil::server
