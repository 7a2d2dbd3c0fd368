// Ending what a test's vigild started: components keep running when vigild
// stops (the next vigild adopts them), so a test that kills its vigild
// leaves them behind. The node agent records every process it starts in
// <data-dir>/agent/<node>.json (agent/adoption_store.h); this ends exactly
// those, checked by their kernel start time so that a reused PID is never
// hit.
//
// Thread safety: call from one thread after the test's vigild processes
// have ended.
#ifndef VIGIL_TESTS_E2E_LEFTOVERS_H_
#define VIGIL_TESTS_E2E_LEFTOVERS_H_

#include <signal.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"

namespace vigil::e2e {

// Field 22 of /proc/PID/stat (start time in clock ticks); 0 if gone.
inline uint64_t StartTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

// SIGKILLs the process group of every component recorded under `data_dir`
// that still runs.
inline void KillRecordedComponents(const std::filesystem::path& data_dir) {
  std::error_code error;
  const std::filesystem::path agent_dir = data_dir / "agent";
  if (!std::filesystem::is_directory(agent_dir, error)) return;
  for (const auto& entry : std::filesystem::directory_iterator(agent_dir, error)) {
    if (entry.path().extension() != ".json") continue;
    nlohmann::json records = nlohmann::json::parse(std::ifstream(entry.path()), nullptr, false);
    if (!records.is_object() || !records.contains("components")) continue;
    const nlohmann::json& components = records["components"];
    if (!components.is_object()) continue;
    for (const auto& [name, record] : components.items()) {
      const int64_t pid = record.value("pid", int64_t{0});
      const uint64_t ticks = record.value("startTicks", uint64_t{0});
      if (pid <= 1 || ticks == 0 || StartTicks(pid) != ticks) continue;
      kill(static_cast<pid_t>(-pid), SIGKILL);
      kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
}

}  // namespace vigil::e2e

#endif  // VIGIL_TESTS_E2E_LEFTOVERS_H_
