// A strict parser of the Prometheus text exposition format (0.0.4), used by
// tests to check that /metrics output is valid and to read figures from it.
//
// It checks what a Prometheus server would reject or misread: names and
// label syntax, escapes, values, one TYPE per family before its samples,
// a family's samples kept together, sample names matching their family
// (name, or name_bucket/_sum/_count for a histogram), duplicate samples,
// and per histogram series: increasing "le" bounds ending with "+Inf",
// cumulative bucket counts that never decrease, and the +Inf bucket equal to
// _count. Comments other than HELP and TYPE are skipped.
//
// Thread safety: pure functions.
#ifndef VIGIL_METRICS_EXPOSITION_PARSER_H_
#define VIGIL_METRICS_EXPOSITION_PARSER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::metrics {

struct ParsedSample {
  std::string name;                          // as written: foo_bucket, foo_sum, ...
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0;
};

struct ParsedFamily {
  std::string name;
  std::string help;
  std::string type = "untyped";  // counter, gauge, histogram, summary, untyped
  std::vector<ParsedSample> samples;
};

// Parses a whole exposition.
// Errors: InvalidArgument naming the line number, the line and what is wrong
// (e.g. `line 7 "foo_bucket{le=\"1\"} 3": bucket counts decrease`).
absl::StatusOr<std::vector<ParsedFamily>> ParseExposition(std::string_view text);

// The family called `name`, or nullptr.
const ParsedFamily* FindFamily(const std::vector<ParsedFamily>& families, std::string_view name);

// The value of the sample called `sample_name` whose labels include every
// label in `labels`, or nullopt if there is none. With several, the first.
std::optional<double> FindValue(const std::vector<ParsedFamily>& families,
                                std::string_view sample_name,
                                const std::map<std::string, std::string>& labels = {});

}  // namespace vigil::metrics

#endif  // VIGIL_METRICS_EXPOSITION_PARSER_H_
