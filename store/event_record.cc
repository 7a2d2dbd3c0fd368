#include "store/event_record.h"

#include <cstdint>

namespace vigil::store {
namespace {

constexpr uint8_t kMaxType = static_cast<uint8_t>(Event::Type::kBookmark);

void AppendField(std::string_view field, std::string* out) {
  auto size = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out->append(field);
}

// Consumes one length-prefixed field from the front of `input`.
bool ReadField(std::string_view* input, std::string_view* field) {
  if (input->size() < 4) return false;
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) {
    size = (size << 8) | static_cast<uint8_t>((*input)[i]);
  }
  input->remove_prefix(4);
  if (input->size() < size) return false;
  *field = input->substr(0, size);
  input->remove_prefix(size);
  return true;
}

}  // namespace

std::string EncodeEventRecord(const EventRecord& record) {
  std::string out;
  out.reserve(1 + 16 + record.kind.size() + record.name.size() +
              record.after.size() + record.before.size());
  out.push_back(static_cast<char>(record.type));
  AppendField(record.kind, &out);
  AppendField(record.name, &out);
  AppendField(record.after, &out);
  AppendField(record.before, &out);
  return out;
}

std::optional<EventRecord> DecodeEventRecord(std::string_view value) {
  if (value.empty() || static_cast<uint8_t>(value[0]) > kMaxType) {
    return std::nullopt;
  }
  EventRecord record;
  record.type = static_cast<Event::Type>(value[0]);
  value.remove_prefix(1);
  std::string_view kind, name, after, before;
  if (!ReadField(&value, &kind) || !ReadField(&value, &name) ||
      !ReadField(&value, &after) || !ReadField(&value, &before) ||
      !value.empty()) {
    return std::nullopt;
  }
  record.kind = kind;
  record.name = name;
  record.after = after;
  record.before = before;
  return record;
}

std::optional<std::string_view> PeekEventKind(std::string_view value) {
  if (value.empty()) return std::nullopt;
  value.remove_prefix(1);
  std::string_view kind;
  if (!ReadField(&value, &kind)) return std::nullopt;
  return kind;
}

}  // namespace vigil::store
