#include "cmd/vigild/fence_local.h"

#include <signal.h>

#include <iostream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "agent/adoption_store.h"
#include "agent/process.h"

namespace vigil::vigild {

int FenceLocalNode(const std::string& data_dir, const std::string& node,
                   std::chrono::milliseconds timeout) {
  const std::string path = agent::AgentRecordPath(data_dir, node);
  absl::StatusOr<agent::AdoptionRecords> records = agent::LoadAdoptionRecords(path);
  if (!records.ok()) {
    std::cerr << "vigild fence-local: " << path << ": " << records.status().message() << "\n";
    return 1;
  }
  agent::PosixSpawner spawner;
  std::vector<std::unique_ptr<agent::Process>> running;
  for (const auto& [component, record] : *records) {
    absl::StatusOr<std::unique_ptr<agent::Process>> process =
        spawner.Adopt(record.pid, record.start_ticks);
    if (!process.ok()) continue;  // gone already
    (void)(*process)->SignalGroup(SIGKILL);
    std::cout << "killed " << component << " (pid " << record.pid << ")\n";
    running.push_back(*std::move(process));
  }
  // Started by the agent but not recorded yet (it died in between).
  std::set<pid_t> recorded;
  for (const auto& [component, record] : *records) recorded.insert(record.pid);
  for (const auto& [pid, ticks] : agent::FindGroupLeadersWithEnv(agent::kAgentRecordVariable, path)) {
    if (recorded.contains(pid)) continue;
    absl::StatusOr<std::unique_ptr<agent::Process>> process = spawner.Adopt(pid, ticks);
    if (!process.ok()) continue;
    (void)(*process)->SignalGroup(SIGKILL);
    std::cout << "killed unrecorded process group " << pid << "\n";
    running.push_back(*std::move(process));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& process : running) {
    while (process->GroupAlive()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        std::cerr << "vigild fence-local: pid " << process->pid() << " still runs after "
                  << timeout.count() << "ms\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::cout << "node " << node << " fenced: " << running.size() << " process(es) stopped\n";
  return 0;
}

}  // namespace vigil::vigild
