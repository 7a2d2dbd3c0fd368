// Bridges std::string_view and absl::string_view: this Debian abseil is built
// with its own absl::string_view class, which does not convert from
// std::string_view.
//
// Thread safety: pure functions.
#ifndef VIGIL_API_STRINGS_H_
#define VIGIL_API_STRINGS_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil::api {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

namespace strings_internal {
template <typename T>
decltype(auto) Arg(const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string_view> &&
                !std::is_convertible_v<const T&, absl::string_view>) {
    return ToAbsl(std::string_view(value));
  } else {
    return (value);
  }
}
}  // namespace strings_internal

// absl::StrCat that also takes std::string_view arguments.
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(strings_internal::Arg(args)...);
}

// absl::StrAppend that also takes std::string_view arguments.
template <typename... Args>
void Append(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Arg(args)...);
}

}  // namespace vigil::api

#endif  // VIGIL_API_STRINGS_H_
