// Kubernetes labels: validation of keys and values, and label selectors
// ("app=vlc,tier!=db", "env in (prod,staging)", "!canary").
//
// Thread safety: LabelSelector is immutable after Parse; pure functions.
#ifndef VIGIL_API_LABELS_H_
#define VIGIL_API_LABELS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::api {

// Problems with a label key (optional DNS-1123 subdomain prefix and '/', then
// a name of at most 63 alphanumerics, '-', '_', '.'), worded as Kubernetes
// words them. Empty when valid. Annotation keys follow the same rule.
std::vector<std::string> LabelKeyErrors(std::string_view key);

// Problems with a label value (empty, or at most 63 alphanumerics, '-', '_',
// '.', starting and ending alphanumeric). Empty when valid.
std::vector<std::string> LabelValueErrors(std::string_view value);

// Problems with an object name (a lowercase RFC 1123 subdomain of at most 253
// characters). Empty when valid.
std::vector<std::string> Dns1123SubdomainErrors(std::string_view name);

// A parsed label selector. The empty selector matches everything.
class LabelSelector {
 public:
  enum class Operator { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };

  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values;  // sorted; one for (Not)Equals
  };

  // Parses the Kubernetes selector syntax: comma-separated requirements, each
  // `key`, `!key`, `key=value`, `key==value`, `key!=value`,
  // `key in (v1,v2)` or `key notin (v1,v2)`. Whitespace around tokens is
  // ignored.
  // Errors: InvalidArgument saying what was expected where, e.g.
  //   "invalid label selector \"a in b\": expected '(' after 'in' at 5".
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // Whether `labels` (a string map) satisfies every requirement.
  bool Matches(const std::map<std::string, std::string>& labels) const;

  // Same, for the metadata.labels of an object document (absent = no labels).
  bool MatchesObject(const Json& obj) const;

  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // The canonical text, e.g. "app=vlc,env in (prod,staging),!canary".
  std::string ToString() const;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace vigil::api

#endif  // VIGIL_API_LABELS_H_
