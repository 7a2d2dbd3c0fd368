// CliTest: a real Vigil API server (RocksDB store in a temp dir, Registry,
// ApiServer on a free port) and a way to run `vigil` command lines against
// it in-process, capturing what they print.
#ifndef VIGIL_TESTS_CLI_CLI_FIXTURE_H_
#define VIGIL_TESTS_CLI_CLI_FIXTURE_H_

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api_server.h"
#include "server/registry.h"
#include "store/store.h"

namespace vigil::cli::testing {

// A stream buffer that several threads may write while another reads it.
class SyncStringBuf : public std::streambuf {
 public:
  std::string Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return c;
    std::lock_guard<std::mutex> lock(mu_);
    text_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    store::RocksDbStoreOptions options;
    options.sync = false;  // these tests are not about durability
    auto store = store::OpenRocksDbStore((dir_ / "store").string(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ = std::make_unique<server::Registry>(
        std::shared_ptr<store::Store>(std::move(*store)));
    server_ = std::make_unique<server::ApiServer>(registry_.get(),
                                                  server::ApiServerOptions{"127.0.0.1", 0});
    absl::StatusOr<int> port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status();
    url_ = "http://127.0.0.1:" + std::to_string(*port);
  }

  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    registry_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Runs `vigil --server URL args...`.
  CliResult Vigil(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--server", url_});
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    CliResult result;
    result.exit_code = RunVigil(args, {&in, &out, &err, nullptr});
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  // Writes a manifest under the test's directory; returns its path.
  std::string Write(const std::string& relative, const std::string& content) {
    std::filesystem::path path = dir_ / "manifests" / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path.string();
  }

  std::string ManifestDir() const { return (dir_ / "manifests").string(); }
  server::Registry& registry() { return *registry_; }
  const std::string& url() const { return url_; }

  std::filesystem::path dir_;
  std::unique_ptr<server::Registry> registry_;
  std::unique_ptr<server::ApiServer> server_;
  std::string url_;
};

// Manifests used across the tests.
inline std::string GroupYaml(const std::string& name, const std::string& model = "2N",
                             const std::string& extra_spec = "") {
  return "apiVersion: vigil.io/v1\nkind: ServiceGroup\nmetadata:\n  name: " + name +
         "\n  labels: {app: demo}\nspec:\n  redundancyModel: " + model + "\n" + extra_spec;
}

inline std::string UnitYaml(const std::string& name, const std::string& group, int rank) {
  return "apiVersion: vigil.io/v1\nkind: ServiceUnit\nmetadata:\n  name: " + name +
         "\n  labels: {app: demo}\nspec: {serviceGroup: " + group +
         ", node: local, rank: " + std::to_string(rank) + "}\n";
}

inline std::string InstanceYaml(const std::string& name, const std::string& group) {
  return "apiVersion: vigil.io/v1\nkind: ServiceInstance\nmetadata:\n  name: " + name +
         "\n  labels: {app: demo}\nspec:\n  serviceGroup: " + group +
         "\n  csis:\n  - {name: http, csType: http, attributes: {PORT: \"8080\"}}\n";
}

// The repository's manifests/ directory.
inline std::string RepoManifests() {
  return (std::filesystem::path(VIGIL_SOURCE_DIR) / "manifests").string();
}

}  // namespace vigil::cli::testing

#endif  // VIGIL_TESTS_CLI_CLI_FIXTURE_H_
