#include "metrics/exposition_parser.h"

#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "metrics/metrics.h"

namespace vigil::metrics {
namespace {

using Labels = std::map<std::string, std::string>;

// This abseil's string_view is its own type, not std::string_view.
absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }
std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

// Reads a sample value or timestamp: a float, +Inf, -Inf or NaN.
bool ParseNumber(std::string_view text, double* out) {
  if (text == "+Inf" || text == "Inf") {
    *out = INFINITY;
  } else if (text == "-Inf") {
    *out = -INFINITY;
  } else if (text == "NaN") {
    *out = NAN;
  } else {
    return !text.empty() && text.find_first_of(" \t") == std::string_view::npos &&
           absl::SimpleAtod(Absl(text), out);
  }
  return true;
}

// Reads `{name="value",...}` starting at text[*pos] == '{'.
std::optional<std::string> ParseLabels(std::string_view text, size_t* pos, Labels* labels) {
  size_t i = *pos + 1;
  while (true) {
    if (i < text.size() && text[i] == '}') break;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return "a label without '='";
    const std::string name(text.substr(i, eq - i));
    if (!ValidLabelName(name) && name != "__name__") return "invalid label name \"" + name + "\"";
    if (eq + 1 >= text.size() || text[eq + 1] != '"') return "label value not quoted";
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] != '\\') {
        value += text[j];
        continue;
      }
      if (++j >= text.size()) return "unterminated escape";
      if (text[j] == 'n') {
        value += '\n';
      } else if (text[j] == '\\' || text[j] == '"') {
        value += text[j];
      } else {
        return absl::StrCat("invalid escape \\", std::string(1, text[j]));
      }
    }
    if (j >= text.size()) return "unterminated label value";
    if (!labels->emplace(name, value).second) return "label \"" + name + "\" repeated";
    i = j + 1;
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '}') break;
    return "expected ',' or '}' after a label";
  }
  *pos = i + 1;
  return std::nullopt;
}

std::optional<std::string> ParseSample(std::string_view line, ParsedSample* sample) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  sample->name = std::string(line.substr(0, i));
  if (!ValidMetricName(sample->name)) return "invalid metric name \"" + sample->name + "\"";
  if (i < line.size() && line[i] == '{') {
    if (auto error = ParseLabels(line, &i, &sample->labels)) return error;
  }
  if (i >= line.size() || line[i] != ' ') return "expected a space before the value";
  std::vector<absl::string_view> rest = absl::StrSplit(Absl(line.substr(i + 1)), ' ');
  if (rest.empty() || rest.size() > 2) return "expected a value and an optional timestamp";
  if (!ParseNumber(Std(rest[0]), &sample->value)) {
    return "invalid value \"" + std::string(rest[0]) + "\"";
  }
  int64_t timestamp = 0;
  if (rest.size() == 2 && !absl::SimpleAtoi(rest[1], &timestamp)) {
    return "invalid timestamp \"" + std::string(rest[1]) + "\"";
  }
  return std::nullopt;
}

// Whether a sample called `sample` belongs to family `family` of `type`.
bool BelongsTo(const std::string& sample, const ParsedFamily& family) {
  if (sample == family.name) return family.type != "histogram";
  if (family.type == "histogram" || family.type == "summary") {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (sample == family.name + suffix) {
        return family.type == "histogram" || std::string_view(suffix) != "_bucket";
      }
    }
  }
  return false;
}

// The family name a sample would belong to, when it starts a family of its
// own (no TYPE line): the sample's name.
class Parser {
 public:
  absl::StatusOr<std::vector<ParsedFamily>> Run(std::string_view text);

 private:
  std::optional<std::string> Comment(std::string_view line);
  std::optional<std::string> Sample(std::string_view line);
  ParsedFamily& Open(const std::string& name);
  std::optional<std::string> CheckFamily(const ParsedFamily& family) const;

  std::vector<ParsedFamily> families_;
  std::set<std::string> closed_;       // families whose samples ended
  std::set<std::string> seen_series_;  // name + labels, for duplicates
};

ParsedFamily& Parser::Open(const std::string& name) {
  if (families_.empty() || families_.back().name != name) {
    if (!families_.empty()) closed_.insert(families_.back().name);
    ParsedFamily family;
    family.name = name;
    families_.push_back(std::move(family));
  }
  return families_.back();
}

std::optional<std::string> Parser::Comment(std::string_view line) {
  std::vector<absl::string_view> parts = absl::StrSplit(Absl(line), absl::MaxSplits(' ', 3));
  if (parts.size() < 3 || (parts[1] != "HELP" && parts[1] != "TYPE")) return std::nullopt;
  const std::string name(parts[2]);
  if (!ValidMetricName(name)) return "invalid metric name \"" + name + "\"";
  if (closed_.count(name) > 0) return "family \"" + name + "\" appears twice";
  const bool known = !families_.empty() && families_.back().name == name;
  if (known && parts[1] == "TYPE" && !families_.back().samples.empty()) {
    return "TYPE after the family's samples";
  }
  ParsedFamily& family = Open(name);
  const std::string value = parts.size() > 3 ? std::string(parts[3]) : "";
  if (parts[1] == "HELP") {
    family.help = value;
    return std::nullopt;
  }
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                               "untyped"};
  if (kTypes.count(value) == 0) return "unknown type \"" + value + "\"";
  family.type = value;
  return std::nullopt;
}

std::optional<std::string> Parser::Sample(std::string_view line) {
  ParsedSample sample;
  if (auto error = ParseSample(line, &sample)) return error;
  if (families_.empty() || !BelongsTo(sample.name, families_.back())) {
    if (closed_.count(sample.name) > 0) return "family \"" + sample.name + "\" appears twice";
    Open(sample.name);
    if (!BelongsTo(sample.name, families_.back())) {
      return "sample \"" + sample.name + "\" does not belong to a family";
    }
  }
  std::string series = sample.name;
  for (const auto& [name, value] : sample.labels)
    absl::StrAppend(&series, "\x1f", name, "=", value);
  if (!seen_series_.insert(series).second) return "duplicate sample";
  const ParsedFamily& family = families_.back();
  if (family.type == "counter" && !(sample.value >= 0)) return "a counter is negative";
  if (sample.name == family.name + "_bucket" && sample.labels.count("le") == 0) {
    return "a bucket without \"le\"";
  }
  families_.back().samples.push_back(std::move(sample));
  return std::nullopt;
}

// The histogram rules, per series (labels without "le").
std::optional<std::string> Parser::CheckFamily(const ParsedFamily& family) const {
  if (family.type != "histogram") return std::nullopt;
  struct Series {
    double last_le = -INFINITY;
    double last_count = 0;
    std::optional<double> inf, count;
  };
  std::map<Labels, Series> series;
  for (const ParsedSample& sample : family.samples) {
    Labels labels = sample.labels;
    labels.erase("le");
    Series& s = series[labels];
    if (sample.name == family.name + "_count") s.count = sample.value;
    if (sample.name != family.name + "_bucket") continue;
    double le = 0;
    if (!ParseNumber(sample.labels.at("le"), &le) || std::isnan(le)) return "invalid \"le\"";
    if (le <= s.last_le) return family.name + ": bucket bounds not increasing";
    if (sample.value < s.last_count) return family.name + ": bucket counts decrease";
    s.last_le = le;
    s.last_count = sample.value;
    if (std::isinf(le)) s.inf = sample.value;
  }
  for (const auto& [labels, s] : series) {
    if (!s.inf.has_value()) return family.name + ": a series without a +Inf bucket";
    if (!s.count.has_value() || *s.count != *s.inf) {
      return family.name + ": the +Inf bucket differs from _count";
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<ParsedFamily>> Parser::Run(std::string_view text) {
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("the exposition does not end with a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(Absl(text), '\n');
  if (!lines.empty()) lines.pop_back();  // after the final newline
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string_view line = Std(lines[n]);
    std::optional<std::string> error;
    if (line.empty()) continue;
    error = line[0] == '#' ? Comment(line) : Sample(line);
    if (error.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", n + 1, " \"", Absl(line), "\": ", *error));
    }
  }
  for (const ParsedFamily& family : families_) {
    if (auto error = CheckFamily(family)) return absl::InvalidArgumentError(*error);
  }
  return families_;
}

}  // namespace

absl::StatusOr<std::vector<ParsedFamily>> ParseExposition(std::string_view text) {
  return Parser().Run(text);
}

const ParsedFamily* FindFamily(const std::vector<ParsedFamily>& families, std::string_view name) {
  for (const ParsedFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::optional<double> FindValue(const std::vector<ParsedFamily>& families,
                                std::string_view sample_name, const Labels& labels) {
  for (const ParsedFamily& family : families) {
    for (const ParsedSample& sample : family.samples) {
      if (sample.name != sample_name) continue;
      bool match = true;
      for (const auto& [name, value] : labels) {
        auto it = sample.labels.find(name);
        match = match && it != sample.labels.end() && it->second == value;
      }
      if (match) return sample.value;
    }
  }
  return std::nullopt;
}

}  // namespace vigil::metrics
