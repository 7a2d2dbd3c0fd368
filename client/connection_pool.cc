#include "client/connection_pool.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <utility>

namespace vigil::client {
namespace {

// A certificate store holding every certificate of `pem`; nullptr if none
// parses (the connection then fails verification: it never goes unverified).
X509_STORE* StoreOf(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (bio != nullptr && store != nullptr) {
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  return store;
}

}  // namespace

std::unique_ptr<httplib::Client> ConnectionPool::NewConnection(
    std::chrono::milliseconds read_timeout, bool keep_alive) const {
  auto http = std::make_unique<httplib::Client>(options_.server);
  http->set_connection_timeout(options_.timeout);
  http->set_read_timeout(read_timeout);
  http->set_write_timeout(options_.timeout);
  http->set_keep_alive(keep_alive);
  http->set_tcp_nodelay(true);  // a request is two writes: no Nagle delay
  http->set_decompress(false);  // local traffic: compression costs more than it saves
  if (!options_.bearer_token.empty()) http->set_bearer_token_auth(options_.bearer_token);
  http->enable_server_certificate_verification(true);
  if (!options_.ca_pem.empty()) {
    http->set_ca_cert_store(StoreOf(options_.ca_pem));  // the connection owns it
  } else if (!options_.ca_file.empty()) {
    http->set_ca_cert_path(options_.ca_file);
  }
  return http;
}

std::unique_ptr<httplib::Client> ConnectionPool::Acquire(bool* reused) {
  const Clock::time_point now = Clock::now();
  std::vector<Idle> expired;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      Idle idle = std::move(idle_.back());
      idle_.pop_back();
      if (now - idle.since <= kMaxIdle) {
        *reused = true;
        return std::move(idle.http);
      }
      expired.push_back(std::move(idle));
    }
  }
  *reused = false;
  return NewConnection(options_.timeout, /*keep_alive=*/true);
}

void ConnectionPool::Release(std::unique_ptr<httplib::Client> http) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() >= kMaxIdleConnections) return;  // closed on return
  idle_.push_back({std::move(http), Clock::now()});
}

}  // namespace vigil::client
