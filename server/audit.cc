#include "api/strings.h"
#include "server/audit.h"

#include "absl/strings/str_cat.h"

namespace vigil::server {

std::string FormatAuditLine(const AuditRecord& record) {
  return api::Cat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", record.time, absl::UTCTimeZone()),
      " audit user=", record.user.empty() ? "unknown" : record.user,
      " verb=", record.verb, " kind=", record.kind, " name=", record.name,
      " resourceVersion=", record.resource_version);
}

}  // namespace vigil::server
