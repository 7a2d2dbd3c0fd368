// EventLineCache: the serialized lines of recent watch events, shared by the
// watch streams of one server, so that an event fanned out to N watchers is
// serialized once rather than N times.
//
// A line is `{"type":"MODIFIED","object":{...}}\n`; it is keyed by the
// object's kind and resourceVersion (one store event per revision) and the
// event type (a label-selector watch may report the same revision as
// DELETED). The least recently added lines are dropped beyond the capacity.
//
// Thread safety: safe for concurrent use.
#ifndef VIGIL_SERVER_EVENT_LINE_CACHE_H_
#define VIGIL_SERVER_EVENT_LINE_CACHE_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "api/object.h"

namespace vigil::server {

// `{"type":"<type>","object":<object>}\n`, serialized without copying.
std::string WatchEventLine(const char* type, const api::Json& object);

class EventLineCache {
 public:
  explicit EventLineCache(size_t capacity = 4096) : capacity_(capacity) {}

  // The line of the event (type, object), serialized on first use. Objects
  // without a resourceVersion are serialized every time.
  std::shared_ptr<const std::string> Line(const char* type, const api::Json& object);

 private:
  const size_t capacity_;
  // Every watcher of an event looks its line up at about the same moment:
  // lookups share the lock.
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> lines_;  // GUARDED_BY(mu_)
  std::deque<std::string> order_;  // GUARDED_BY(mu_): keys, oldest first
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_EVENT_LINE_CACHE_H_
