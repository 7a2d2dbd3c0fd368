// The TLS material vigild serves with: a self-signed CA and a server
// certificate it signs, generated with the OpenSSL C API (ECDSA P-256 keys,
// SHA-256 signatures), PEM-encoded.
//
// Thread safety: pure functions, except EnsureServingPki (the file system).
#ifndef VIGIL_AUTH_PKI_H_
#define VIGIL_AUTH_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::auth {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 private key
};

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign) named
// `common_name`, valid for `days` days from now.
// Errors: Internal naming the OpenSSL step that failed.
absl::StatusOr<CertAndKey> GenerateCa(const std::string& common_name, int days);

// A server certificate (serverAuth) signed by `ca`, whose subjectAltNames are
// `hosts`: IP addresses become IP SANs, anything else DNS SANs.
// Errors: InvalidArgument for an unparsable CA or no hosts; Internal as above.
absl::StatusOr<CertAndKey> GenerateServerCert(const CertAndKey& ca,
                                              const std::vector<std::string>& hosts, int days);

// OK if `cert_pem` chains to `ca_pem` and is valid for `host` (an IP address
// or a DNS name, matched against its SANs). Errors: InvalidArgument naming
// what does not verify.
absl::Status VerifyServerCert(const std::string& cert_pem, const std::string& ca_pem,
                              const std::string& host);

// Where EnsureServingPki keeps its files: DIR/ca.crt, ca.key, server.crt,
// server.key.
struct PkiFiles {
  std::string ca_cert, ca_key, server_cert, server_key;
};
PkiFiles PkiFilesIn(const std::string& dir);

// Creates `dir` (0700) and, for each file of PkiFilesIn(dir) that is missing,
// generates it: the CA (10 years) if ca.crt is missing, the server
// certificate (1 year, SANs `hosts`) if server.crt is missing. Existing files
// are never overwritten. Keys are written with mode 0600, certificates 0644.
// Returns the names of the files it created.
// Errors: I/O errors naming the file; FailedPrecondition if server.crt is
// missing while ca.crt exists without ca.key.
absl::StatusOr<std::vector<std::string>> EnsureServingPki(const std::string& dir,
                                                          const std::vector<std::string>& hosts);

}  // namespace vigil::auth

#endif  // VIGIL_AUTH_PKI_H_
