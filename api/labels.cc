#include "api/labels.h"

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/strings.h"

namespace vigil::api {
namespace {

constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxSubdomainLength = 253;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsDns1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool IsDns1123Subdomain(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsDns1123Label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

constexpr char kSubdomainMessage[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

constexpr char kNamePartMessage[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyName',  or "
    "'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

constexpr char kLabelValueMessage[] =
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

}  // namespace

std::vector<std::string> Dns1123SubdomainErrors(std::string_view name) {
  std::vector<std::string> errors;
  if (name.size() > kMaxSubdomainLength) {
    errors.push_back("must be no more than 253 characters");
  }
  if (!IsDns1123Subdomain(name)) errors.push_back(kSubdomainMessage);
  return errors;
}

std::vector<std::string> LabelKeyErrors(std::string_view key) {
  std::vector<std::string> errors;
  std::string_view name = key;
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errors.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& error : Dns1123SubdomainErrors(prefix)) {
        errors.push_back(Cat("prefix part ", error));
      }
    }
  }
  if (name.empty()) {
    errors.push_back("name part must be non-empty");
    return errors;
  }
  if (name.size() > kMaxLabelLength) {
    errors.push_back("name part must be no more than 63 characters");
  }
  if (!IsQualifiedNamePart(name)) errors.push_back(kNamePartMessage);
  return errors;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > kMaxLabelLength) {
    errors.push_back("must be no more than 63 characters");
  }
  if (!value.empty() && !IsQualifiedNamePart(value)) {
    errors.push_back(kLabelValueMessage);
  }
  return errors;
}

namespace {

using Requirement = LabelSelector::Requirement;
using Operator = LabelSelector::Operator;

// A hand-written recursive-descent parser over the selector text.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Requirement>> ParseAll() {
    std::vector<Requirement> requirements;
    SkipSpaces();
    if (AtEnd()) return requirements;
    while (true) {
      absl::StatusOr<Requirement> requirement = ParseRequirement();
      if (!requirement.ok()) return requirement.status();
      requirements.push_back(*std::move(requirement));
      SkipSpaces();
      if (AtEnd()) return requirements;
      if (!Consume(",")) return Error("expected ',' or the end");
    }
  }

 private:
  absl::StatusOr<Requirement> ParseRequirement() {
    Requirement requirement;
    SkipSpaces();
    bool negated = Consume("!");
    SkipSpaces();
    requirement.key = Word();
    if (requirement.key.empty()) return Error("expected a label key");
    absl::Status key_status = CheckKey(requirement.key);
    if (!key_status.ok()) return key_status;
    SkipSpaces();
    if (negated) {
      requirement.op = Operator::kDoesNotExist;
      return requirement;
    }
    if (AtEnd() || Peek() == ',') {
      requirement.op = Operator::kExists;
      return requirement;
    }
    absl::Status status = ParseOperatorAndValues(requirement);
    if (!status.ok()) return status;
    return requirement;
  }

  absl::Status ParseOperatorAndValues(Requirement& requirement) {
    if (Consume("!=")) {
      requirement.op = Operator::kNotEquals;
    } else if (Consume("==") || Consume("=")) {
      requirement.op = Operator::kEquals;
    } else {
      size_t word_start = pos_;
      std::string word = Word();
      if (word == "in") {
        requirement.op = Operator::kIn;
      } else if (word == "notin") {
        requirement.op = Operator::kNotIn;
      } else {
        pos_ = word_start;
        return Error("expected one of '=', '==', '!=', 'in', 'notin'");
      }
      return ParseValueSet(requirement.values);
    }
    SkipSpaces();
    std::string value = Word();
    absl::Status status = CheckValue(value);
    if (!status.ok()) return status;
    requirement.values.push_back(std::move(value));
    return absl::OkStatus();
  }

  absl::Status ParseValueSet(std::vector<std::string>& values) {
    SkipSpaces();
    if (!Consume("(")) return Error("expected '('");
    SkipSpaces();
    if (Peek() == ')') return Error("the set of values of 'in' or 'notin' may not be empty");
    while (true) {
      SkipSpaces();
      std::string value = Word();
      absl::Status status = CheckValue(value);
      if (!status.ok()) return status;
      values.push_back(std::move(value));
      SkipSpaces();
      if (Consume(")")) break;
      if (!Consume(",")) return Error("expected ',' or ')'");
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return absl::OkStatus();
  }

  absl::Status CheckKey(std::string_view key) {
    std::vector<std::string> errors = LabelKeyErrors(key);
    if (errors.empty()) return absl::OkStatus();
    return Error(Cat("invalid label key \"", key, "\": ",
                              absl::StrJoin(errors, "; ")));
  }

  absl::Status CheckValue(std::string_view value) {
    std::vector<std::string> errors = LabelValueErrors(value);
    if (errors.empty()) return absl::OkStatus();
    return Error(Cat("invalid label value \"", value, "\": ",
                              absl::StrJoin(errors, "; ")));
  }

  // A run of characters that are not whitespace or selector punctuation.
  std::string Word() {
    size_t start = pos_;
    while (!AtEnd() && !std::isspace(static_cast<unsigned char>(Peek())) &&
           std::string_view(",()=!").find(Peek()) == std::string_view::npos) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  bool Consume(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  void SkipSpaces() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(Peek()))) ++pos_;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(Cat(
        "invalid label selector \"", text_, "\": ", what, " at position ", pos_));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool RequirementMatches(const Requirement& requirement,
                        const std::map<std::string, std::string>& labels) {
  auto it = labels.find(requirement.key);
  bool present = it != labels.end();
  auto contains = [&](const std::string& value) {
    return std::binary_search(requirement.values.begin(),
                              requirement.values.end(), value);
  };
  switch (requirement.op) {
    case Operator::kExists: return present;
    case Operator::kDoesNotExist: return !present;
    case Operator::kEquals:
    case Operator::kIn: return present && contains(it->second);
    case Operator::kNotEquals:
    case Operator::kNotIn: return !present || !contains(it->second);
  }
  return false;
}

std::string RequirementString(const Requirement& requirement) {
  const std::string& key = requirement.key;
  const std::string values = absl::StrJoin(requirement.values, ",");
  switch (requirement.op) {
    case Operator::kExists: return key;
    case Operator::kDoesNotExist: return "!" + key;
    case Operator::kEquals: return Cat(key, "=", values);
    case Operator::kNotEquals: return Cat(key, "!=", values);
    case Operator::kIn: return Cat(key, " in (", values, ")");
    case Operator::kNotIn: return Cat(key, " notin (", values, ")");
  }
  return key;
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  absl::StatusOr<std::vector<Requirement>> requirements =
      SelectorParser(text).ParseAll();
  if (!requirements.ok()) return requirements.status();
  LabelSelector selector;
  selector.requirements_ = *std::move(requirements);
  return selector;
}

bool LabelSelector::Matches(
    const std::map<std::string, std::string>& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& requirement) {
                       return RequirementMatches(requirement, labels);
                     });
}

bool LabelSelector::MatchesObject(const Json& obj) const {
  std::map<std::string, std::string> labels;
  if (obj.is_object()) {
    auto metadata = obj.find("metadata");
    if (metadata != obj.end() && metadata->is_object()) {
      auto found = metadata->find("labels");
      if (found != metadata->end() && found->is_object()) {
        for (const auto& [key, value] : found->items()) {
          if (value.is_string()) labels[key] = value.get<std::string>();
        }
      }
    }
  }
  return Matches(labels);
}

std::string LabelSelector::ToString() const {
  return absl::StrJoin(requirements_, ",",
                       [](std::string* out, const Requirement& requirement) {
                         out->append(RequirementString(requirement));
                       });
}

}  // namespace vigil::api
