// Internal to api/: how plain YAML scalars resolve to JSON types (YAML 1.2
// core schema), and which strings must be quoted to read back as strings.
//
// Thread safety: pure functions.
#ifndef VIGIL_API_YAML_SCALARS_H_
#define VIGIL_API_YAML_SCALARS_H_

#include <string_view>

#include "api/object.h"

namespace vigil::api {

// The JSON value of a plain (unquoted) scalar: null (~, null, empty), boolean
// (true/false in three casings), integer (decimal, 0x hex, 0o octal), float;
// any other text (including .inf and .nan, which JSON cannot hold) is a
// string.
Json ResolvePlainScalar(std::string_view text);

// Whether `text` must be quoted to be read back as this very string: it would
// resolve to another type (under YAML 1.2 or, for readers like kubectl, 1.1:
// yes, no, on, off), starts or ends with a space or an indicator, contains
// ": ", " #", a control character, a line break, or is empty.
bool NeedsQuoting(std::string_view text);

}  // namespace vigil::api

#endif  // VIGIL_API_YAML_SCALARS_H_
