#include "auth/pki.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "api/strings.h"
#include "auth/files.h"

namespace vigil::auth {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

absl::Status OpenSslError(const std::string& step) {
  return absl::InternalError(api::Cat("OpenSSL failed to ", step));
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Adds extension `nid` with OpenSSL's text syntax, `issuer` signing.
bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (extension == nullptr) return false;
  const bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

// A certificate for `key` named `common_name`, valid from now for `days`,
// with a random serial; extensions and signature are left to the caller.
CertPtr NewCertificate(EVP_PKEY* key, const std::string& common_name, int days) {
  CertPtr cert(X509_new());
  if (!cert) return nullptr;
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return nullptr;
  serial[0] &= 0x7f;  // a positive serial
  BIGNUM* number = BN_bin2bn(serial, sizeof(serial), nullptr);
  const bool ok = number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get())) &&
                  X509_set_version(cert.get(), 2) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) != nullptr &&
                  X509_set_pubkey(cert.get(), key) == 1;
  BN_free(number);
  if (!ok) return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("vigil"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  return cert;
}

absl::StatusOr<CertAndKey> Encode(X509* cert, EVP_PKEY* key) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM-encode a certificate or key");
  }
  auto text = [](BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(size));
  };
  return CertAndKey{text(cert_bio.get()), text(key_bio.get())};
}

CertPtr ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return CertPtr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

KeyPtr ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

std::string SubjectAltNames(const std::vector<std::string>& hosts) {
  std::string sans;
  for (const std::string& host : hosts) {
    if (!sans.empty()) sans += ",";
    sans += (IsIpAddress(host) ? "IP:" : "DNS:") + host;
  }
  return sans;
}

bool HostMatches(X509* cert, const std::string& host) {
  if (IsIpAddress(host)) return X509_check_ip_asc(cert, host.c_str(), 0) == 1;
  return X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
}

}  // namespace

absl::StatusOr<CertAndKey> GenerateCa(const std::string& common_name, int days) {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("generate the CA key");
  CertPtr cert = NewCertificate(key.get(), common_name, days);
  if (!cert) return OpenSslError("build the CA certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  if (!AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert.get(), cert.get(), NID_key_usage,
                    "critical,keyCertSign,cRLSign,digitalSignature") ||
      !AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return OpenSslError("sign the CA certificate");
  }
  return Encode(cert.get(), key.get());
}

absl::StatusOr<CertAndKey> GenerateServerCert(const CertAndKey& ca,
                                              const std::vector<std::string>& hosts, int days) {
  if (hosts.empty()) return absl::InvalidArgumentError("a server certificate needs a host");
  CertPtr ca_cert = ParseCert(ca.cert_pem);
  KeyPtr ca_key = ParseKey(ca.key_pem);
  if (!ca_cert || !ca_key) {
    return absl::InvalidArgumentError("the CA certificate or key is not valid PEM");
  }
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("generate the server key");
  CertPtr cert = NewCertificate(key.get(), "vigild", days);
  if (!cert) return OpenSslError("build the server certificate");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  if (!AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_key_usage,
                    "critical,digitalSignature,keyEncipherment") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid") ||
      !AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, SubjectAltNames(hosts)) ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return OpenSslError("sign the server certificate");
  }
  return Encode(cert.get(), key.get());
}

absl::Status VerifyServerCert(const std::string& cert_pem, const std::string& ca_pem,
                              const std::string& host) {
  CertPtr cert = ParseCert(cert_pem);
  CertPtr ca = ParseCert(ca_pem);
  if (!cert || !ca) return absl::InvalidArgumentError("a certificate is not valid PEM");
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpenSslError("set up certificate verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        api::Cat("the certificate does not verify against the CA: ",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  if (!HostMatches(cert.get(), host)) {
    return absl::InvalidArgumentError(
        api::Cat("the certificate's subjectAltNames do not cover \"", host, "\""));
  }
  return absl::OkStatus();
}

PkiFiles PkiFilesIn(const std::string& dir) {
  return {dir + "/ca.crt", dir + "/ca.key", dir + "/server.crt", dir + "/server.key"};
}

absl::StatusOr<std::vector<std::string>> EnsureServingPki(const std::string& dir,
                                                          const std::vector<std::string>& hosts) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        api::Cat("cannot create the PKI directory ", dir, ": ", std::strerror(errno)));
  }
  const PkiFiles files = PkiFilesIn(dir);
  std::vector<std::string> created;
  CertAndKey ca;
  if (!PathExists(files.ca_cert)) {
    absl::StatusOr<CertAndKey> generated = GenerateCa("vigil-ca", 3650);
    if (!generated.ok()) return generated.status();
    ca = *generated;
    if (absl::Status s = CreateNewFile(files.ca_key, ca.key_pem, 0600, "CA key"); !s.ok()) return s;
    if (absl::Status s = CreateNewFile(files.ca_cert, ca.cert_pem, 0644, "CA certificate"); !s.ok()) {
      return s;
    }
    created = {files.ca_cert, files.ca_key};
  }
  if (PathExists(files.server_cert)) return created;
  if (ca.cert_pem.empty()) {
    absl::StatusOr<std::string> cert = ReadWholeFile(files.ca_cert, "CA certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadWholeFile(files.ca_key, "CA key");
    if (!key.ok()) {
      return absl::FailedPreconditionError(api::Cat(
          "cannot issue ", files.server_cert, " without the CA key: ", key.status().message()));
    }
    ca = {*cert, *key};
  }
  absl::StatusOr<CertAndKey> server = GenerateServerCert(ca, hosts, 365);
  if (!server.ok()) return server.status();
  if (absl::Status s = CreateNewFile(files.server_key, server->key_pem, 0600, "server key"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CreateNewFile(files.server_cert, server->cert_pem, 0644, "server certificate");
      !s.ok()) {
    return s;
  }
  created.push_back(files.server_cert);
  created.push_back(files.server_key);
  return created;
}

}  // namespace vigil::auth
