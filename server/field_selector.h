// Field selectors on list and watch requests. As for Kubernetes custom
// resources, only metadata.name is selectable ("metadata.name=vlc",
// "metadata.name!=old"); kubectl uses it for `get NAME -w` and `delete --wait`.
//
// Thread safety: immutable after Parse.
#ifndef VIGIL_SERVER_FIELD_SELECTOR_H_
#define VIGIL_SERVER_FIELD_SELECTOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/object.h"

namespace vigil::server {

class FieldSelector {
 public:
  // Parses comma-separated `field=value`, `field==value`, `field!=value`.
  // Errors: MalformedRequest for bad syntax or an unsupported field.
  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  // Whether `obj` satisfies every requirement (the empty selector: always).
  bool Matches(const api::Json& obj) const;

  bool empty() const { return requirements_.empty(); }

 private:
  struct Requirement {
    std::string value;
    bool equals = true;  // false: !=
  };
  std::vector<Requirement> requirements_;  // all on metadata.name
};

}  // namespace vigil::server

#endif  // VIGIL_SERVER_FIELD_SELECTOR_H_
