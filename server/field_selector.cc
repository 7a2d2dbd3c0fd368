#include "api/strings.h"
#include "server/field_selector.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/errors.h"

namespace vigil::server {

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text_std) {
  const absl::string_view text = api::ToAbsl(text_std);
  FieldSelector out;
  for (absl::string_view term : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    term = absl::StripAsciiWhitespace(term);
    size_t op = term.find_first_of("!=");
    if (op == absl::string_view::npos || op == 0) {
      return api::MalformedRequest(
          api::Cat("invalid field selector \"", text, "\": expected field=value"));
    }
    absl::string_view field = absl::StripAsciiWhitespace(term.substr(0, op));
    Requirement req;
    absl::string_view rest = term.substr(op);
    if (absl::ConsumePrefix(&rest, "!=")) {
      req.equals = false;
    } else if (!absl::ConsumePrefix(&rest, "==") &&
               !absl::ConsumePrefix(&rest, "=")) {
      return api::MalformedRequest(
          api::Cat("invalid field selector \"", text, "\": expected field=value"));
    }
    if (field != "metadata.name") {
      return api::MalformedRequest(api::Cat(
          "field label not supported: \"", field,
          "\" (only \"metadata.name\" is selectable)"));
    }
    req.value = std::string(absl::StripAsciiWhitespace(rest));
    out.requirements_.push_back(std::move(req));
  }
  return out;
}

bool FieldSelector::Matches(const api::Json& obj) const {
  if (requirements_.empty()) return true;
  const std::string name = api::NameOf(obj);
  for (const Requirement& req : requirements_) {
    if ((name == req.value) != req.equals) return false;
  }
  return true;
}

}  // namespace vigil::server
