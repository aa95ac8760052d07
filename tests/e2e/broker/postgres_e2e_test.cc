// End to end on PostgreSQL: two real `secretd serve` replicas on one
// database (`--store postgresql://...`), each with its own audit log,
// sharing state: a challenge from one is accepted by the other, a
// single-use token spent on one is refused by the other, a role put into the
// database reaches both. Runs on the server of SECRETD_TEST_POSTGRES_URL
// (tools/test sets it) or, without it, on a private one it starts and stops
// (TestPostgresUrl).
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/testing/postgres_test_server.h"
#include "secretd/vault/secret_vault.h"
#include "tests/e2e/broker/harness.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.pg";
constexpr char kIssuer[] = "attest.pg";
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Attestor":["attest.pg"]},
   "Action":"secretd:AssumeRole"}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"}]})";

struct Replica {
  std::unique_ptr<ServerProcess> server;
  std::unique_ptr<secretd::v1::Broker::Stub> stub;
};

class PostgresE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = TestSchema::Create();
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
    auto dir = TestDataDir::Create(TempPath("data"));
    ASSERT_THAT(dir, IsOk());
    dir_ = *std::move(dir);
    auto store = PostgresStore::Open(schema_->url(), clock_, {});
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    const std::string keys_dir = TempPath("attest");
    ASSERT_EQ(mkdir(keys_dir.c_str(), 0700), 0);
    auto attestor = Attestor::Create(keys_dir, kIssuer, "pg-key");
    ASSERT_THAT(attestor, IsOk());
    attestor_ = *std::move(attestor);
    ASSERT_OK(store_->PutTrustBundle(kIssuer, attestor_.jwks_json()));
    for (auto [name, single_use] : std::vector<std::pair<std::string, bool>>{
             {"web", false}, {"once", true}}) {
      RoleRecord role;
      role.name = name;
      role.trust_policy = {"trust.json", kTrust};
      role.permission_policies = {{"read.json", kRead}};
      role.single_use_tokens = single_use;
      ASSERT_OK(store_->PutRole(role));
    }
    SecretVault vault(*store_, dir_->keyring().Current()->ring, random_);
    ASSERT_THAT(vault.Put("app/db/password",
                          keys::SecretBytes::CopyFrom("pg-shared-value")),
                IsOk());
    for (const char* id : {"replica-a", "replica-b"}) {
      auto server = ServerProcess::Start(
          {"--data-dir", dir_->root(), "--audience", kAudience, "--store",
           schema_->url(), "--replica-id", id, "--refresh-interval", "100ms"});
      ASSERT_THAT(server, IsOk());
      Replica r;
      r.server = *std::move(server);
      r.stub =
          secretd::v1::Broker::NewStub(TlsChannel(*dir_, r.server->port()));
      replicas_.push_back(std::move(r));
    }
  }

  std::string Nonce(Replica& r) {
    grpc::ClientContext ctx;
    secretd::v1::GetChallengeResponse c;
    grpc::Status s = r.stub->GetChallenge(&ctx, {}, &c);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return c.challenge();
  }

  std::string Token(Replica& challenger) {
    Attestor::IssueOptions o;
    o.audience = kAudience;
    auto t = attestor_.Issue(Nonce(challenger), pair_.public_key(), o);
    EXPECT_THAT(t, IsOk());
    return t.value_or("");
  }

  grpc::Status Provision(Replica& r, const std::string& token,
                         const std::string& role, std::string* request_id) {
    grpc::ClientContext ctx;
    secretd::v1::ProvisionRequest req;
    req.set_attestation_token(token);
    req.set_role(role);
    req.add_secrets("app/db/password");
    secretd::v1::ProvisionResponse resp;
    grpc::Status s = r.stub->Provision(&ctx, req, &resp);
    *request_id = s.ok() ? resp.request_id() : RequestIdIn(s.error_message());
    if (s.ok()) {
      auto opened = keys::OpenSealed(pair_, resp.sealed_bundle());
      EXPECT_THAT(opened, IsOk());
    }
    return s;
  }

  common::RealClock clock_;
  keys::SystemRandom random_;
  std::unique_ptr<TestSchema> schema_;
  std::unique_ptr<TestDataDir> dir_;
  std::unique_ptr<PostgresStore> store_;
  Attestor attestor_;
  keys::X25519KeyPair pair_ = keys::X25519KeyPair::Generate();
  std::vector<Replica> replicas_;
};

TEST_F(PostgresE2eTest, StartupLineNamesTheDatabaseWithoutThePassword) {
  for (Replica& r : replicas_) {
    const std::string store = r.server->startup_line()["store"];
    EXPECT_THAT(store, HasSubstr("postgresql://"));
    EXPECT_THAT(r.server->LogText(), Not(HasSubstr("password=")));
  }
}

TEST_F(PostgresE2eTest, AChallengeFromOneReplicaIsAcceptedByTheOther) {
  std::string id;
  grpc::Status s = Provision(replicas_[1], Token(replicas_[0]), "web", &id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(RecordsFor(ReadAuditLog(dir_->AuditPath("replica-b")), id).size(),
            1u);
  EXPECT_TRUE(
      RecordsFor(ReadAuditLog(dir_->AuditPath("replica-a")), id).empty());
}

TEST_F(PostgresE2eTest, ASingleUseTokenSpentOnOneReplicaIsRefusedByTheOther) {
  const std::string token = Token(replicas_[0]);
  std::string first, second;
  ASSERT_TRUE(Provision(replicas_[0], token, "once", &first).ok());
  grpc::Status again = Provision(replicas_[1], token, "once", &second);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<Json> records =
      RecordsFor(ReadAuditLog(dir_->AuditPath("replica-b")), second);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["reason"], "token.replayed");
}

TEST_F(PostgresE2eTest, ARolePutIntoTheDatabaseReachesBothReplicas) {
  const int64_t counter = replicas_[0].server->startup_line()["change_counter"];
  RoleRecord late;
  late.name = "late";
  late.trust_policy = {"trust.json", kTrust};
  late.permission_policies = {{"read.json", kRead}};
  ASSERT_OK(store_->PutRole(late));
  for (Replica& r : replicas_) {
    ASSERT_TRUE(r.server->WaitForLog([&](const Json& j) {
      return j.value("msg", "") == "state loaded" &&
             j.value("change_counter", int64_t{0}) > counter;
    }));
    std::string id;
    grpc::Status s = Provision(r, Token(r), "late", &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
}

TEST(PostgresStartupTest, UnreachableServerFailsAfterRetrying) {
  auto dir = TestDataDir::Create(TempPath("data"));
  ASSERT_THAT(dir, IsOk());
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretdBinary, "serve", "--data-dir", (*dir)->root(), "--listen",
       "127.0.0.1:0", "--audience", kAudience, "--store",
       "postgresql://secretd:hunter2@127.0.0.1:1/secretd?connect_timeout=1",
       "--store-startup-timeout", "2s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PostgreSQL store unreachable; retrying"));
  EXPECT_THAT(r.err, HasSubstr("secretd: "));
  EXPECT_THAT(r.err, HasSubstr("cannot reach the database"));
  EXPECT_THAT(r.err, Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace secretd::testing
