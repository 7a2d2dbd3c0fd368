// ListenInBackground: the accept loop runs when it returns, so a stop() right
// after it always ends the listener.
#include "base/http_listener.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

namespace vigil {
namespace {

TEST(ListenInBackgroundTest, ReturnsWithTheAcceptLoopRunning) {
  // A plain thread running listen_after_bind is usually not yet accepting
  // here; stop() would then be ignored and join() would never return.
  for (int round = 0; round < 50; ++round) {
    httplib::Server server;
    ASSERT_GT(server.bind_to_any_port("127.0.0.1"), 0);
    std::thread listener = ListenInBackground(server);
    const bool running_at_return = server.is_running();
    // Let a late loop start anyway, so the stop() below ends it either way.
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
    listener.join();
    ASSERT_TRUE(running_at_return) << "round " << round;
  }
}

TEST(ListenInBackgroundTest, ReturnsWhenTheListenerEndsAtOnce) {
  httplib::Server server;  // never bound: listen_after_bind fails at once
  std::thread listener = ListenInBackground(server);
  listener.join();
  EXPECT_FALSE(server.is_running());
}

}  // namespace
}  // namespace vigil
