// UnifiedDiff: the differences between two texts in unified format (as
// `diff -u` prints them), for `vigil diff`.
//
// Thread safety: pure function.
#ifndef VIGIL_CLI_UNIFIED_DIFF_H_
#define VIGIL_CLI_UNIFIED_DIFF_H_

#include <string>

namespace vigil::cli {

// Returns "" when the texts are equal; otherwise "--- from_name", "+++
// to_name" and hunks with `context` lines of context around each change.
// Lines are compared whole; texts are expected to be small (objects).
std::string UnifiedDiff(const std::string& from, const std::string& to,
                        const std::string& from_name, const std::string& to_name,
                        int context = 3);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_UNIFIED_DIFF_H_
