// REST paths and query strings of the vigil.io/v1 API, shared by HttpClient
// and tests.
//
// Thread safety: pure functions.
#ifndef VIGIL_CLIENT_REST_PATHS_H_
#define VIGIL_CLIENT_REST_PATHS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::client {

// "/apis/vigil.io/v1/<plural>[/<name>][/status]" for a kind given by any of
// its names. Errors: NotFound for an unknown kind (known kinds listed).
absl::StatusOr<std::string> ResourcePath(const std::string& kind,
                                         const std::string& name = "",
                                         bool status = false);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string EncodeQueryValue(const std::string& value);

// "?a=1&b=x%20y" from the pairs with non-empty values; "" if none.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace vigil::client

#endif  // VIGIL_CLIENT_REST_PATHS_H_
