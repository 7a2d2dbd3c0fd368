// Non-throwing field access on JSON documents received from the network.
//
// nlohmann::json::value() throws when a key is present with another type;
// bodies from clients and servers are untrusted, so Vigil's REST code reads
// fields through these helpers instead.
//
// Thread safety: pure functions.
#ifndef VIGIL_CLIENT_JSON_FIELDS_H_
#define VIGIL_CLIENT_JSON_FIELDS_H_

#include <string>
#include <string_view>

#include "api/object.h"

namespace vigil::client {

// obj[key] if obj is an object and the value is a string; otherwise "".
inline std::string StringField(const api::Json& obj, std::string_view key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// obj[key] if obj is an object and the value is an object; otherwise {}.
inline api::Json ObjectField(const api::Json& obj, std::string_view key) {
  if (!obj.is_object()) return api::Json::object();
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return api::Json::object();
  return *it;
}

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_JSON_FIELDS_H_
