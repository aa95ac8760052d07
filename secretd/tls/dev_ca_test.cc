#include "secretd/tls/dev_ca.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"

namespace secretd::tls {
namespace {

using ::common::testing::StatusIs;

X509* ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// 0 when `leaf` chains to `ca` for TLS server use with host `host`.
int VerifyChain(const DevTlsMaterial& m, const std::string& host) {
  X509* ca = ParseCert(m.ca.certificate_pem);
  X509* leaf = ParseCert(m.server.certificate_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  int ok = X509_verify_cert(ctx);
  int err = ok == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return err;
}

TEST(DevCaTest, ServerCertificateChainsToTheCaForItsNames) {
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial m, MakeDevTlsMaterial({}, absl::Now()));
  EXPECT_EQ(VerifyChain(m, "localhost"), 0);
  EXPECT_EQ(VerifyChain(m, "evil.example"), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(DevCaTest, ExtraSansAreIncluded) {
  ASSERT_OK_AND_ASSIGN(
      DevTlsMaterial m,
      MakeDevTlsMaterial({"secretd.internal", "10.1.2.3"}, absl::Now()));
  EXPECT_EQ(VerifyChain(m, "secretd.internal"), 0);
  EXPECT_EQ(VerifyChain(m, "localhost"), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(DevCaTest, CertificatesFromAnotherCaDoNotChain) {
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial a, MakeDevTlsMaterial({}, absl::Now()));
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial b, MakeDevTlsMaterial({}, absl::Now()));
  a.ca = b.ca;
  EXPECT_NE(VerifyChain(a, "localhost"), 0);
}

TEST(DevCaTest, BadSansAreRefused) {
  EXPECT_THAT(
      MakeDevTlsMaterial({"bad name"}, absl::Now()),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          "--tls-san \"bad name\" is neither an IP address nor a DNS name"));
  EXPECT_THAT(ValidateSan("a..b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateSan("*.svc.cluster.local"));
  EXPECT_OK(ValidateSan("::1"));
}

TEST(DevCaTest, PrivateKeysArePkcs8Pem) {
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial m, MakeDevTlsMaterial({}, absl::Now()));
  EXPECT_THAT(m.server.private_key_pem,
              ::testing::StartsWith("-----BEGIN PRIVATE KEY-----"));
}

// A real TLS handshake over loopback: a gRPC server with the dev server
// certificate, a client pinning the dev CA.
TEST(DevCaTest, GrpcClientPinningTheCaTalksToTheServer) {
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial m, MakeDevTlsMaterial({}, absl::Now()));
  ASSERT_OK_AND_ASSIGN(DevTlsMaterial other,
                       MakeDevTlsMaterial({}, absl::Now()));
  grpc::SslServerCredentialsOptions opts;
  opts.pem_key_cert_pairs.push_back(
      {m.server.private_key_pem, m.server.certificate_pem});
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(opts),
                           &port);
  secretd::v1::Broker::Service
      broker;  // the health service needs one sync service
  builder.RegisterService(&broker);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  auto check = [&](const std::string& ca_pem) {
    grpc::SslCredentialsOptions copts;
    copts.pem_root_certs = ca_pem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                             grpc::SslCredentials(copts), args);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse resp;
    return stub->Check(&ctx, {}, &resp);
  };
  EXPECT_TRUE(check(m.ca.certificate_pem).ok());
  EXPECT_EQ(check(other.ca.certificate_pem).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  server->Shutdown();
}

}  // namespace
}  // namespace secretd::tls
