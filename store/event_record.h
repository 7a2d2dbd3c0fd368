// The value of one event-log entry ("e/<revision>"): what changed and the
// object before and after, so that history can be replayed forwards (watch)
// and rolled back (list at a revision).
//
// Encoding: one type byte, then kind, name, after and before, each as a
// 4-byte big-endian length followed by the bytes. The JSON texts are stored
// verbatim, so writing an event never re-serializes an object.
//
// Thread safety: plain value type; pure functions.
#ifndef VIGIL_STORE_EVENT_RECORD_H_
#define VIGIL_STORE_EVENT_RECORD_H_

#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace vigil::store {

struct EventRecord {
  Event::Type type = Event::Type::kAdded;
  std::string kind;
  std::string name;
  // JSON text of the object after the change; for kDeleted the object as
  // deleted (resourceVersion = the deletion revision).
  std::string after;
  // JSON text of the object before the change; empty for kAdded.
  std::string before;
};

std::string EncodeEventRecord(const EventRecord& record);

// Returns nullopt if `value` is not a well-formed record.
std::optional<EventRecord> DecodeEventRecord(std::string_view value);

// Reads only the kind of an encoded record (cheap filtering during replay);
// nullopt if malformed.
std::optional<std::string_view> PeekEventKind(std::string_view value);

}  // namespace vigil::store

#endif  // VIGIL_STORE_EVENT_RECORD_H_
