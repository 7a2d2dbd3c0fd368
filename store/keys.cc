#include "store/keys.h"

#include <charconv>

namespace vigil::store::keys {

std::string ObjectKey(std::string_view kind, std::string_view name) {
  std::string key = ObjectKindPrefix(kind);
  key.append(name);
  return key;
}

std::string ObjectKindPrefix(std::string_view kind) {
  std::string prefix(kObjectPrefix);
  prefix.append(kind);
  prefix.push_back('/');
  return prefix;
}

std::optional<ObjectId> ParseObjectKey(std::string_view key) {
  if (!key.starts_with(kObjectPrefix)) return std::nullopt;
  key.remove_prefix(kObjectPrefix.size());
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return ObjectId{std::string(key.substr(0, slash)),
                  std::string(key.substr(slash + 1))};
}

std::string EventKey(int64_t revision) {
  std::string key(kEventPrefix);
  auto value = static_cast<uint64_t>(revision);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  return key;
}

std::optional<int64_t> ParseEventKey(std::string_view key) {
  if (key.size() != kEventPrefix.size() + 8 || !key.starts_with(kEventPrefix)) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = kEventPrefix.size(); i < key.size(); ++i) {
    value = (value << 8) | static_cast<uint8_t>(key[i]);
  }
  return static_cast<int64_t>(value);
}

std::string EncodeMetaValue(int64_t value) { return std::to_string(value); }

std::optional<int64_t> ParseMetaValue(std::string_view value) {
  int64_t parsed = 0;
  auto [end, error] =
      std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size()) {
    return std::nullopt;
  }
  return parsed;
}

}  // namespace vigil::store::keys
