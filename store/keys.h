// The RocksDB key layout of the store, in one place.
//
//   o/<kind>/<name>      the current object (JSON text)
//   e/<revision be64>    one event-log record (see event_record.h)
//   m/revision           the store revision (decimal)
//   m/compacted          the compacted revision (decimal)
//
// Revisions are encoded big-endian so that RocksDB's bytewise order is
// numeric order: an iterator walks the event log oldest first.
//
// Thread safety: pure functions.
#ifndef VIGIL_STORE_KEYS_H_
#define VIGIL_STORE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::store::keys {

inline constexpr std::string_view kObjectPrefix = "o/";
inline constexpr std::string_view kEventPrefix = "e/";
inline constexpr std::string_view kRevisionKey = "m/revision";
inline constexpr std::string_view kCompactedKey = "m/compacted";

// "o/<kind>/<name>". REQUIRES: kind contains no '/'.
std::string ObjectKey(std::string_view kind, std::string_view name);

// "o/<kind>/": every object of one kind starts with it.
std::string ObjectKindPrefix(std::string_view kind);

// Splits an object key into kind and name; nullopt if it is not one.
struct ObjectId {
  std::string kind;
  std::string name;
};
std::optional<ObjectId> ParseObjectKey(std::string_view key);

// "e/" followed by the 8-byte big-endian revision. REQUIRES: revision >= 0.
std::string EventKey(int64_t revision);

// The revision of an event key; nullopt if `key` is not one.
std::optional<int64_t> ParseEventKey(std::string_view key);

// Decimal text of a meta value, and back (nullopt if malformed).
std::string EncodeMetaValue(int64_t value);
std::optional<int64_t> ParseMetaValue(std::string_view value);

}  // namespace vigil::store::keys

#endif  // VIGIL_STORE_KEYS_H_
