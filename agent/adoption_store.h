// The agent's memory of the processes it started, so that a restarted agent
// re-attaches to them (ComponentRunner::Adopt) instead of starting them
// again: one small JSON file per node in the data dir, replaced atomically
// (written to a temporary file, fsynced, renamed, directory fsynced), so a
// crash leaves either the old or the new file, never a torn one.
//
// Thread safety: pure functions; callers serialize writes to one path.
#ifndef VIGIL_AGENT_ADOPTION_STORE_H_
#define VIGIL_AGENT_ADOPTION_STORE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "agent/component_runner.h"

namespace vigil::agent {

using AdoptionRecords = std::map<std::string, AdoptionRecord>;  // by component

// Where the agent of `node` with data dir `data_dir` keeps its records:
// <data_dir>/agent/<node>.json, with data_dir made absolute (the path also
// marks the processes the agent starts, VIGIL_AGENT_RECORD).
std::string AgentRecordPath(const std::string& data_dir, const std::string& node);

// Reads the records; a missing file reads as none.
// Errors: DataLoss if the file exists but cannot be parsed.
absl::StatusOr<AdoptionRecords> LoadAdoptionRecords(const std::string& path);
// Replaces the file with `records` (creating its directory).
// Errors: Internal with the failing step and errno text.
absl::Status SaveAdoptionRecords(const std::string& path, const AdoptionRecords& records);

api::Json ToJson(const AdoptionRecords& records);
AdoptionRecords AdoptionRecordsFromJson(const api::Json& json);

}  // namespace vigil::agent

#endif  // VIGIL_AGENT_ADOPTION_STORE_H_
