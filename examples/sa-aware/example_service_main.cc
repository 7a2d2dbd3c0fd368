// vigil-sa-example: the example SA-aware service (see example_service.h).
// Started by the node agent with VIGIL_AGENT_SOCKET and VIGIL_COMPONENT set.
#include <signal.h>

#include <thread>

#include "examples/sa-aware/example_service.h"

int main() {
  // SIGTERM ends the service cleanly (the agent's terminate path).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  vigil::saf::example::ExampleService service;
  std::thread signals([&] {
    int signal_number = 0;
    sigwait(&set, &signal_number);
    service.Stop();
  });
  signals.detach();
  return service.Run();
}
