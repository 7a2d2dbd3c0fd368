// RetryUnavailable: repeats a request whose connection failed before the
// server answered (absl Unavailable), with a short exponential backoff.
// Under a burst of concurrent connections the local server can reset a few
// (its listen queue overflows); the requests bulk commands send — GET,
// create, merge patch, delete — are safe to repeat: a repeated create that
// did land reports AlreadyExists, which the caller handles.
//
// Thread safety: a pure function of `call`.
#ifndef VIGIL_CLI_RETRY_H_
#define VIGIL_CLI_RETRY_H_

#include <chrono>
#include <thread>

#include "absl/status/status.h"

namespace vigil::cli {

inline constexpr int kRequestAttempts = 5;

// Returns the first result of `call()` that is not Unavailable, or the last
// one after kRequestAttempts attempts.
template <typename Call>
auto RetryUnavailable(const Call& call) -> decltype(call()) {
  auto result = call();
  std::chrono::milliseconds backoff(20);
  for (int attempt = 1; attempt < kRequestAttempts &&
                        absl::IsUnavailable(result.status());
       ++attempt) {
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
    result = call();
  }
  return result;
}

}  // namespace vigil::cli

#endif  // VIGIL_CLI_RETRY_H_
