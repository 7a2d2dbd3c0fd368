#include "cli/output.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/codec.h"
#include "api/errors.h"

namespace vigil::cli {
namespace {

constexpr size_t kMinColumnWidth = 6;  // kubectl's tabwriter minwidth
constexpr size_t kColumnPadding = 3;

// "X is invalid: [a, b]" -> "X is invalid"; other messages unchanged.
std::string HeadOfInvalidMessage(const std::string& message) {
  size_t bracket = message.rfind(": [");
  if (bracket != std::string::npos && absl::EndsWith(message, "]")) {
    return message.substr(0, bracket);
  }
  return message;
}

std::string Plural(int64_t n, const char* unit) {
  return absl::StrCat(n, unit);
}

}  // namespace

std::string ReasonOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound: return "NotFound";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExists";
    case absl::StatusCode::kAborted: return "Conflict";
    case absl::StatusCode::kFailedPrecondition: return "Conflict";
    case absl::StatusCode::kInvalidArgument:
      return api::IsMalformedRequest(status) ? "BadRequest" : "Invalid";
    case absl::StatusCode::kOutOfRange: return "Expired";
    case absl::StatusCode::kPermissionDenied: return "Forbidden";
    case absl::StatusCode::kUnauthenticated: return "Unauthorized";
    case absl::StatusCode::kResourceExhausted: return "TooManyRequests";
    case absl::StatusCode::kUnimplemented: return "MethodNotAllowed";
    default: return "InternalError";
  }
}

std::string FormatServerError(const absl::Status& status,
                              const std::string& context) {
  std::string prefix = context.empty() ? "" : absl::StrCat(context, ": ");
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return absl::StrCat("error: ", prefix, status.message());
    default:
      break;
  }
  std::string text =
      absl::StrCat("Error from server (", ReasonOf(status), "): ", prefix);
  std::vector<api::FieldError> causes = api::CausesOf(status);
  if (causes.empty()) return absl::StrCat(text, status.message());
  absl::StrAppend(&text, HeadOfInvalidMessage(std::string(status.message())), ":");
  for (const api::FieldError& cause : causes) {
    absl::StrAppend(&text, "\n* ", cause.ToString());
  }
  return text;
}

std::string HumanDuration(std::chrono::seconds age) {
  const int64_t seconds = age.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return Plural(seconds, "s");
  const int64_t minutes = seconds / 60;
  if (minutes < 10) {
    return seconds % 60 == 0 ? Plural(minutes, "m")
                             : absl::StrCat(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) return Plural(minutes, "m");
  const int64_t hours = minutes / 60;
  if (hours < 8) {
    return minutes % 60 == 0 ? Plural(hours, "h")
                             : absl::StrCat(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) return Plural(hours, "h");
  const int64_t days = hours / 24;
  if (hours < 24 * 8) {
    return hours % 24 == 0 ? Plural(days, "d")
                           : absl::StrCat(days, "d", hours % 24, "h");
  }
  if (days < 365 * 2) return Plural(days, "d");
  if (days < 365 * 8 && days % 365 != 0) {
    return absl::StrCat(days / 365, "y", days % 365, "d");
  }
  return Plural(days / 365, "y");
}

std::string AgeOf(const std::string& rfc3339) {
  absl::Time then;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &then, &error)) {
    return "<unknown>";
  }
  return HumanDuration(std::chrono::seconds(
      absl::ToInt64Seconds(absl::Now() - then)));
}

std::string CellText(const Json& cell, std::string_view column_type) {
  if (cell.is_null()) return "<none>";
  if (cell.is_string()) {
    const std::string& text = cell.get_ref<const std::string&>();
    if (column_type == "date" && text.size() >= 20 && text[4] == '-' &&
        text[10] == 'T') {
      return AgeOf(text);
    }
    return text;
  }
  if (cell.is_array()) {
    std::vector<std::string> parts;
    for (const Json& item : cell) parts.push_back(CellText(item, ""));
    return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
  }
  return cell.dump();
}

TableWriter::TableWriter(std::vector<std::string> headers)
    : headers_(std::move(headers)), widths_(headers_.size(), 0) {
  for (std::string& header : headers_) header = absl::AsciiStrToUpper(header);
  Fit({headers_});
}

void TableWriter::Fit(const std::vector<std::vector<std::string>>& rows) {
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths_.size(); ++i) {
      widths_[i] = std::max({widths_[i], row[i].size() + kColumnPadding,
                             kMinColumnWidth});
    }
  }
}

std::string TableWriter::HeaderLine() const { return Line(headers_); }

std::string TableWriter::RowLine(const std::vector<std::string>& cells) const {
  return Line(cells);
}

std::string TableWriter::Line(const std::vector<std::string>& cells) const {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 == cells.size()) break;
    size_t width = i < widths_.size() ? widths_[i] : kMinColumnWidth;
    size_t pad = std::max(width, cells[i].size() + kColumnPadding) - cells[i].size();
    line.append(pad, ' ');
  }
  // Trailing blanks of empty last cells would be invisible noise.
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

std::string RenderObject(const Json& obj, std::string_view format) {
  if (format == "json") return obj.dump(4) + "\n";
  std::string yaml = api::ToYaml(obj);
  if (yaml.empty() || yaml.back() != '\n') yaml += "\n";
  return yaml;
}

}  // namespace vigil::cli
