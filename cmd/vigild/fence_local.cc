#include "cmd/vigild/fence_local.h"

#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "agent/adoption_store.h"
#include "agent/process.h"

namespace vigil::vigild {

int FenceLocalNode(const std::string& data_dir, const std::string& node,
                   std::chrono::milliseconds timeout) {
  const std::string path = data_dir + "/agent/" + node + ".json";
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
