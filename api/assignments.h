// Reading a ServiceInstance's assignments as stored (status.assignments),
// for clients, tests and benchmarks that watch failovers happen.
//
// Thread safety: pure functions.
#ifndef VIGIL_API_ASSIGNMENTS_H_
#define VIGIL_API_ASSIGNMENTS_H_

#include <string>
#include <string_view>

#include "api/object.h"

namespace vigil::api {

// The unit holding a confirmed assignment of `si` (a ServiceInstance
// object) in `ha_state` ("Active", "Standby", ...), or "" if none.
inline std::string ConfirmedUnitOf(const Json& si, std::string_view ha_state) {
  const Json status = si.value("status", Json::object());
  for (const Json& a : status.value("assignments", Json::array())) {
    if (a.value("haState", "") == ha_state && a.value("confirmed", false)) {
      return a.value("unit", "");
    }
  }
  return "";
}

}  // namespace vigil::api

#endif  // VIGIL_API_ASSIGNMENTS_H_
