#include "auth/pki.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "auth/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST(Pki, ServerCertificateVerifiesAgainstItsCaForEachSan) {
  auto ca = GenerateCa("test-ca", 30);
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto server = GenerateServerCert(*ca, {"127.0.0.2", "::1", "localhost", "hv1.example"}, 30);
  ASSERT_TRUE(server.ok()) << server.status();
  for (const char* host : {"127.0.0.2", "::1", "localhost", "hv1.example"}) {
    EXPECT_TRUE(VerifyServerCert(server->cert_pem, ca->cert_pem, host).ok()) << host;
  }
  EXPECT_THAT(VerifyServerCert(server->cert_pem, ca->cert_pem, "10.0.0.1").message(),
              HasSubstr("do not cover \"10.0.0.1\""));
  EXPECT_THAT(VerifyServerCert(server->cert_pem, ca->cert_pem, "other.example").message(),
              HasSubstr("do not cover"));
}

TEST(Pki, ServerCertificateDoesNotVerifyAgainstAnotherCa) {
  auto ca = GenerateCa("test-ca", 30);
  auto other = GenerateCa("other-ca", 30);
  ASSERT_TRUE(ca.ok() && other.ok());
  auto server = GenerateServerCert(*ca, {"127.0.0.1"}, 30);
  ASSERT_TRUE(server.ok());
  EXPECT_THAT(VerifyServerCert(server->cert_pem, other->cert_pem, "127.0.0.1").message(),
              HasSubstr("does not verify against the CA"));
}

TEST(Pki, EnsureServingPkiCreatesFilesOnceWithPrivateKeysOwnerOnly) {
  char pattern[] = "/tmp/vigil-pki-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = std::string(pattern) + "/pki";
  const PkiFiles files = PkiFilesIn(dir);
  auto created = EnsureServingPki(dir, {"127.0.0.1", "localhost"});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(*created, UnorderedElementsAre(files.ca_cert, files.ca_key, files.server_cert,
                                             files.server_key));
  for (const std::string& key : {files.ca_key, files.server_key}) {
    struct stat st;
    ASSERT_EQ(stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  auto cert = ReadWholeFile(files.server_cert, "cert");
  auto ca = ReadWholeFile(files.ca_cert, "ca");
  ASSERT_TRUE(cert.ok() && ca.ok());
  EXPECT_TRUE(VerifyServerCert(*cert, *ca, "127.0.0.1").ok());
  auto again = EnsureServingPki(dir, {"127.0.0.1"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(*ReadWholeFile(files.server_cert, "cert"), *cert);  // never overwritten
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace vigil::auth
