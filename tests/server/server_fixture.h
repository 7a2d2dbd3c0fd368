// ServerFixture: a real Vigil API server for tests: a RocksDbStore in a temp
// dir, a Registry whose audit lines are captured, and an ApiServer on a free
// port of 127.0.0.1. Plus small builders of valid objects.
#ifndef VIGIL_TESTS_SERVER_SERVER_FIXTURE_H_
#define VIGIL_TESTS_SERVER_SERVER_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>

#include "api/object.h"
#include "gtest/gtest.h"
#include "server/api_server.h"
#include "server/registry.h"
#include "store/store.h"

namespace vigil::server::testing {

using api::Json;

inline Json ServiceGroup(const std::string& name, const std::string& model = "2N") {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceGroup"},
          {"metadata", {{"name", name}, {"labels", {{"app", "demo"}}}}},
          {"spec", {{"redundancyModel", model}}}};
}

inline Json ServiceInstance(const std::string& name, const std::string& group) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "ServiceInstance"},
          {"metadata", {{"name", name}, {"labels", {{"app", "demo"}}}}},
          {"spec",
           {{"serviceGroup", group},
            {"csis", {{{"name", "http"}, {"csType", "http"}}}}}}};
}

inline Json Node(const std::string& name) {
  return {{"apiVersion", "vigil.io/v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}}},
          {"spec", Json::object()}};
}

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto store = store::OpenRocksDbStore((dir_ / "store").string(), StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::shared_ptr<store::Store>(std::move(*store));
    registry_ = std::make_unique<Registry>(store_);
    registry_->SetAuditSink([this](const std::string& line) {
      std::lock_guard<std::mutex> lock(audit_mu_);
      audit_.push_back(line);
    });
    server_ = std::make_unique<ApiServer>(registry_.get(), ServerOptions());
    absl::StatusOr<int> port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    url_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    registry_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Tests of durability-independent behaviour run without fsync.
  virtual store::RocksDbStoreOptions StoreOptions() {
    store::RocksDbStoreOptions options;
    options.sync = false;
    return options;
  }

  virtual ApiServerOptions ServerOptions() {
    ApiServerOptions options;
    options.port = 0;
    return options;
  }

  std::unique_ptr<httplib::Client> Http() {
    auto http = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http->set_read_timeout(10, 0);
    return http;
  }

  std::vector<std::string> AuditLines() {
    std::lock_guard<std::mutex> lock(audit_mu_);
    return audit_;
  }

  Registry& registry() { return *registry_; }
  store::Store& store() { return *store_; }

  std::filesystem::path dir_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ApiServer> server_;
  int port_ = 0;
  std::string url_;

 private:
  std::mutex audit_mu_;
  std::vector<std::string> audit_;
};

}  // namespace vigil::server::testing

#endif  // VIGIL_TESTS_SERVER_SERVER_FIXTURE_H_
