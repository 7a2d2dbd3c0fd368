// The audit line the Registry writes for every successful write.
//
// Thread safety: pure functions.
#ifndef VIGIL_SERVER_AUDIT_H_
#define VIGIL_SERVER_AUDIT_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace vigil::server {

struct AuditRecord {
  absl::Time time;
  std::string_view user;   // "" is written as "unknown"
  std::string_view verb;   // create, update, update-status, patch, delete, ...
  std::string_view kind;
  std::string_view name;
  std::string_view resource_version;
};

// "2026-11-25T10:00:00.123Z audit user=alice verb=create
//  kind=ServiceGroup name=vlc resourceVersion=12" (one line, no newline).
std::string FormatAuditLine(const AuditRecord& record);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_AUDIT_H_
