#include "secretd/admin/admin_service.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "keys/jwk.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "secretd/admin/testing/admin_fixture.h"

namespace secretd {
namespace {

using ::secretd::testing::kIssuer;
using ::secretd::testing::PublicJwks;
using ::secretd::testing::ReadPolicy;
using ::secretd::testing::RoleRequest;
using ::secretd::testing::TrustPolicy;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The service behind a real gRPC server, reached over an in-process
// channel (the peer is then unknown: uid and pid -1).
class AdminServiceTest : public secretd::testing::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    grpc::ServerBuilder builder;
    builder.RegisterService(&service());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Admin::NewStub(server_->InProcessChannel({}));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Runs one call and remembers its request id metadata.
  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const Req& request, Resp* response) {
    grpc::ClientContext context;
    grpc::Status status = ((*stub_).*method)(&context, request, response);
    last_request_id_.clear();
    const auto& trailers = context.GetServerTrailingMetadata();
    auto it = trailers.find(kRequestIdMetadataKey);
    if (it != trailers.end()) {
      last_request_id_.assign(it->second.data(), it->second.size());
    }
    return status;
  }

  grpc::Status PutTrust(const std::string& issuer, const std::string& jwks,
                        v1::PutTrustResponse* response = nullptr) {
    v1::PutTrustRequest request;
    request.set_issuer(issuer);
    request.set_jwks_json(jwks);
    v1::PutTrustResponse ignored;
    return Call(&v1::Admin::Stub::PutTrust, request,
                response != nullptr ? response : &ignored);
  }
  grpc::Status PutRole(const v1::PutRoleRequest& request,
                       v1::PutRoleResponse* response = nullptr) {
    v1::PutRoleResponse ignored;
    return Call(&v1::Admin::Stub::PutRole, request,
                response != nullptr ? response : &ignored);
  }
  grpc::Status PutSecret(const std::string& name, const std::string& value,
                         v1::PutSecretResponse* response = nullptr) {
    v1::PutSecretRequest request;
    request.set_name(name);
    request.set_value(value);
    v1::PutSecretResponse ignored;
    return Call(&v1::Admin::Stub::PutSecret, request,
                response != nullptr ? response : &ignored);
  }
  grpc::Status Disable(const std::string& name, int64_t version) {
    v1::DisableSecretVersionRequest request;
    request.set_name(name);
    request.set_version(version);
    v1::DisableSecretVersionResponse response;
    return Call(&v1::Admin::Stub::DisableSecretVersion, request, &response);
  }
  grpc::Status DeleteTrust(const std::string& issuer) {
    v1::DeleteTrustRequest request;
    request.set_issuer(issuer);
    v1::DeleteTrustResponse response;
    return Call(&v1::Admin::Stub::DeleteTrust, request, &response);
  }
  grpc::Status DeleteRole(const std::string& name) {
    v1::DeleteRoleRequest request;
    request.set_name(name);
    v1::DeleteRoleResponse response;
    return Call(&v1::Admin::Stub::DeleteRole, request, &response);
  }
  grpc::Status RotateKek(v1::RotateKekResponse* response) {
    return Call(&v1::Admin::Stub::RotateKek, v1::RotateKekRequest(), response);
  }

  int64_t ChangeCounter() {
    absl::StatusOr<int64_t> c = store().GetChangeCounter();
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : -1;
  }
  // The fields of every audit record, as JSON text.
  std::vector<std::string> RecordFields() {
    std::vector<std::string> out;
    for (const audit::Record& r : audit().records()) {
      out.push_back(r.fields.dump());
    }
    return out;
  }

  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Admin::Stub> stub_;
  std::string last_request_id_;
};

MATCHER_P(GrpcIs, code, "") {
  *result_listener << "status " << arg.error_code() << ": "
                   << arg.error_message();
  return arg.error_code() == code;
}
MATCHER_P2(GrpcIs, code, message, "") {
  *result_listener << "status " << arg.error_code() << ": "
                   << arg.error_message();
  return arg.error_code() == code && arg.error_message() == message;
}

// ---- Trust bundles ----

TEST_F(AdminServiceTest, PutTrustStoresTheJwksAndRecordsItsKeyIds) {
  const std::string jwks = PublicJwks(random(), {"k1", "k2"});
  v1::PutTrustResponse response;
  ASSERT_THAT(PutTrust(kIssuer, jwks, &response), GrpcIs(grpc::OK));
  EXPECT_EQ(response.issuer(), kIssuer);
  EXPECT_THAT(response.key_ids(), ElementsAre("k1", "k2"));
  ASSERT_OK_AND_ASSIGN(auto bundles, store().ListTrustBundles());
  ASSERT_THAT(bundles, SizeIs(1));
  EXPECT_EQ(bundles[0].jwks_json, jwks);
  EXPECT_EQ(ChangeCounter(), 1);
  EXPECT_EQ(changes(), 1);
  ASSERT_THAT(audit().records(), SizeIs(1));
  const audit::Record r = audit().records()[0];
  EXPECT_EQ(r.type, "admin.trust.put");
  EXPECT_EQ(r.request_id, last_request_id_);
  EXPECT_THAT(r.request_id, SizeIs(16));
  EXPECT_EQ(r.fields.dump(),
            R"({"status":"OK","message":"trust bundle of issuer )"
            R"(\"https://attest.example\" put with 2 keys","peer_uid":-1,)"
            R"("peer_pid":-1,"issuer":"https://attest.example",)"
            R"("key_ids":["k1","k2"]})");
}

TEST_F(AdminServiceTest, PutTrustReplacesTheIssuersBundle) {
  ASSERT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"old"})),
              GrpcIs(grpc::OK));
  const std::string next = PublicJwks(random(), {"new"});
  ASSERT_THAT(PutTrust(kIssuer, next), GrpcIs(grpc::OK));
  ASSERT_OK_AND_ASSIGN(auto bundles, store().ListTrustBundles());
  ASSERT_THAT(bundles, SizeIs(1));
  EXPECT_EQ(bundles[0].jwks_json, next);
}

TEST_F(AdminServiceTest, PutTrustRefusesPrivateKeysAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(
      keys::Jwk key,
      keys::Jwk::Generate(keys::SignatureAlgorithm::kEdDSA, "k1", random()));
  ASSERT_OK_AND_ASSIGN(keys::SecretBytes private_jwk,
                       key.ToPrivateJson(keys::InsecureSecretAccess::Get()));
  const std::string jwks = absl::StrCat(
      R"({"keys":[)",
      private_jwk.AsStringView(keys::InsecureSecretAccess::Get()), "]}");
  grpc::Status s = PutTrust(kIssuer, jwks);
  EXPECT_THAT(s, GrpcIs(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(s.error_message(),
              HasSubstr("JWKS for issuer \"https://attest.example\": keys[0]"));
  EXPECT_THAT(s.error_message(), HasSubstr("private"));
  ASSERT_OK_AND_ASSIGN(auto bundles, store().ListTrustBundles());
  EXPECT_THAT(bundles, IsEmpty());
  EXPECT_EQ(ChangeCounter(), 0);
  EXPECT_EQ(changes(), 0);
  ASSERT_THAT(audit().records(), SizeIs(1));
  EXPECT_EQ(audit().records()[0].fields["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(audit().records()[0].fields["message"], s.error_message());
  // The private member is not echoed anywhere.
  const std::string d = nlohmann::json::parse(
      private_jwk.AsStringView(keys::InsecureSecretAccess::Get()))["d"];
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr(d)));
  EXPECT_THAT(audit().records()[0].fields.dump(), ::testing::Not(HasSubstr(d)));
}

TEST_F(AdminServiceTest, PutTrustListsEveryKeyThatCannotVerify) {
  nlohmann::json set = nlohmann::json::parse(PublicJwks(random(), {"a", "b"}));
  set["keys"][0]["use"] = "enc";  // not a signing key
  set["keys"][1].erase("kid");    // tokens cannot select it
  keys::X25519KeyPair x = keys::X25519KeyPair::Generate(random());
  ASSERT_OK_AND_ASSIGN(keys::Jwk xjwk,
                       keys::Jwk::FromX25519PublicKey(x.public_key()));
  nlohmann::json xj = xjwk.ToPublicJson();
  xj["kid"] = "x";
  set["keys"].push_back(xj);  // cannot sign at all
  grpc::Status s = PutTrust(kIssuer, set.dump());
  ASSERT_THAT(s, GrpcIs(grpc::INVALID_ARGUMENT));
  const std::vector<std::string> lines =
      absl::StrSplit(s.error_message(), '\n');
  ASSERT_THAT(lines, SizeIs(3)) << s.error_message();
  EXPECT_THAT(lines[0], HasSubstr("keys[0]: "));
  EXPECT_THAT(lines[0], HasSubstr("\"use\""));
  EXPECT_EQ(lines[1],
            "JWKS for issuer \"https://attest.example\": keys[1]: has no "
            "\"kid\"; tokens select their key by kid, so give every key one");
  EXPECT_EQ(lines[2],
            "JWKS for issuer \"https://attest.example\": keys[2]: a OKP X25519 "
            "key cannot verify signatures; a trust bundle holds Ed25519, "
            "P-256 or RSA signing keys");
  EXPECT_EQ(ChangeCounter(), 0);
}

TEST_F(AdminServiceTest, PutTrustRefusesMalformedRequests) {
  const std::string jwks = PublicJwks(random(), {"k1"});
  EXPECT_THAT(PutTrust("", jwks),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "the issuer is empty; give the token issuer's \"iss\" "
                     "value, e.g. https://attest.example"));
  EXPECT_THAT(PutTrust("a\nb", jwks), GrpcIs(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(PutTrust(std::string(1025, 'i'), jwks),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "the issuer is 1025 bytes; the limit is 1024"));
  EXPECT_THAT(PutTrust(kIssuer, R"({"keys":[]})"),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "JWKS for issuer \"https://attest.example\": has no "
                     "keys; to stop trusting an issuer use \"secretctl trust "
                     "delete\""));
  EXPECT_THAT(PutTrust(kIssuer, "{"), GrpcIs(grpc::INVALID_ARGUMENT));
  const std::string big = absl::StrCat(R"({"keys":[],"pad":")",
                                       std::string(64 * 1024, 'x'), R"("})");
  EXPECT_THAT(
      PutTrust(kIssuer, big),
      GrpcIs(grpc::INVALID_ARGUMENT,
             absl::StrCat("JWKS for issuer \"https://attest.example\": ",
                          big.size(), " bytes; the limit is 65536")));
  EXPECT_EQ(ChangeCounter(), 0);
  EXPECT_EQ(changes(), 0);
  EXPECT_THAT(audit().records(), SizeIs(6));
  for (const audit::Record& r : audit().records()) {
    EXPECT_EQ(r.fields["status"], "INVALID_ARGUMENT");
  }
}

TEST_F(AdminServiceTest, ListTrustShowsEveryIssuerWithItsKeyIds) {
  clock().Advance(absl::Seconds(1000));
  ASSERT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"k1", "k2"})),
              GrpcIs(grpc::OK));
  ASSERT_THAT(PutTrust("https://b.example", PublicJwks(random(), {"b1"})),
              GrpcIs(grpc::OK));
  v1::ListTrustResponse response;
  ASSERT_THAT(
      Call(&v1::Admin::Stub::ListTrust, v1::ListTrustRequest(), &response),
      GrpcIs(grpc::OK));
  EXPECT_THAT(last_request_id_, SizeIs(16));
  ASSERT_THAT(response.bundles(), SizeIs(2));
  EXPECT_EQ(response.bundles(0).issuer(), kIssuer);
  EXPECT_THAT(response.bundles(0).key_ids(), ElementsAre("k1", "k2"));
  EXPECT_EQ(response.bundles(0).updated_at(),
            absl::ToUnixSeconds(clock().Now()));
  EXPECT_EQ(response.bundles(1).issuer(), "https://b.example");
  // Reads are not audited.
  EXPECT_THAT(audit().records(), SizeIs(2));
}

TEST_F(AdminServiceTest, DeleteTrustRemovesTheIssuerOrIsNotFound) {
  ASSERT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"k1"})),
              GrpcIs(grpc::OK));
  EXPECT_THAT(DeleteTrust("https://other.example"),
              GrpcIs(grpc::NOT_FOUND,
                     "issuer \"https://other.example\" is not trusted; "
                     "\"secretctl trust list\" shows the trusted issuers"));
  EXPECT_EQ(ChangeCounter(), 1);
  ASSERT_THAT(DeleteTrust(kIssuer), GrpcIs(grpc::OK));
  ASSERT_OK_AND_ASSIGN(auto bundles, store().ListTrustBundles());
  EXPECT_THAT(bundles, IsEmpty());
  EXPECT_EQ(ChangeCounter(), 2);
  EXPECT_EQ(changes(), 2);
  EXPECT_THAT(
      RecordFields(),
      ElementsAre(
          HasSubstr(R"("status":"OK")"),
          R"({"status":"NOT_FOUND","message":"issuer \"https://other.example\" )"
          R"(is not trusted; \"secretctl trust list\" shows the trusted )"
          R"(issuers","peer_uid":-1,"peer_pid":-1,)"
          R"("issuer":"https://other.example"})",
          R"({"status":"OK","message":"trust bundle of issuer )"
          R"(\"https://attest.example\" deleted","peer_uid":-1,)"
          R"("peer_pid":-1,"issuer":"https://attest.example"})"));
  EXPECT_EQ(audit().records()[2].type, "admin.trust.delete");
}

// ---- Roles ----

TEST_F(AdminServiceTest, PutRoleStoresTheRoleWithDefaultsFilledIn) {
  clock().Advance(absl::Seconds(5000));
  v1::PutRoleResponse response;
  ASSERT_THAT(PutRole(RoleRequest("web"), &response), GrpcIs(grpc::OK));
  EXPECT_EQ(response.role().name(), "web");
  EXPECT_EQ(response.role().max_token_lifetime_seconds(), 600);
  EXPECT_EQ(response.role().secret_ttl_seconds(), 3600);
  EXPECT_EQ(response.role().updated_at(), absl::ToUnixSeconds(clock().Now()));
  EXPECT_EQ(response.role().trust_policy().document(), TrustPolicy("web"));
  ASSERT_OK_AND_ASSIGN(RoleRecord stored, store().GetRole("web"));
  EXPECT_EQ(stored.trust_policy.name, "trust.json");
  ASSERT_THAT(stored.permission_policies, SizeIs(1));
  EXPECT_EQ(stored.permission_policies[0].document, ReadPolicy());
  EXPECT_EQ(ChangeCounter(), 1);
  EXPECT_EQ(changes(), 1);
  EXPECT_THAT(
      RecordFields(),
      ElementsAre(R"({"status":"OK","message":"role \"web\" put",)"
                  R"("peer_uid":-1,"peer_pid":-1,"role":"web",)"
                  R"("trust_policy":"trust.json",)"
                  R"("permission_policies":["read.json"],)"
                  R"("max_token_lifetime_seconds":600,)"
                  R"("secret_ttl_seconds":3600,"single_use_tokens":false})"));
  EXPECT_EQ(audit().records()[0].type, "admin.role.put");
}

TEST_F(AdminServiceTest, PutRoleKeepsLimitsAndReplacesTheRole) {
  ASSERT_THAT(PutRole(RoleRequest("web")), GrpcIs(grpc::OK));
  v1::PutRoleRequest request = RoleRequest("web");
  request.mutable_role()->set_max_token_lifetime_seconds(120);
  request.mutable_role()->set_secret_ttl_seconds(60);
  request.mutable_role()->set_single_use_tokens(true);
  v1::PolicyDocument* more = request.mutable_role()->add_permission_policies();
  more->set_name("more.json");
  more->set_document(ReadPolicy("shared/*"));
  ASSERT_THAT(PutRole(request), GrpcIs(grpc::OK));
  ASSERT_OK_AND_ASSIGN(RoleRecord stored, store().GetRole("web"));
  EXPECT_EQ(stored.max_token_lifetime_seconds, 120);
  EXPECT_EQ(stored.secret_ttl_seconds, 60);
  EXPECT_TRUE(stored.single_use_tokens);
  ASSERT_THAT(stored.permission_policies, SizeIs(2));
  EXPECT_EQ(stored.permission_policies[1].name, "more.json");
  EXPECT_EQ(ChangeCounter(), 2);
}

// Issue 5: a bad policy is refused with every error listed; nothing changes.
TEST_F(AdminServiceTest,
       PutRoleWithBadPoliciesListsEveryErrorAndChangesNothing) {
  ASSERT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"k1"})),
              GrpcIs(grpc::OK));
  const int64_t counter = ChangeCounter();
  const std::vector<audit::Record> before = audit().records();

  v1::PutRoleRequest request = RoleRequest("web");
  v1::Role* role = request.mutable_role();
  role->set_max_token_lifetime_seconds(999999);
  role->mutable_trust_policy()->set_document(
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", )"
      R"("Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole", )"
      R"("Resource": "role/web", "Condition": {"StringLik": )"
      R"({"claim:sub": "i-*"}}}]})");
  role->mutable_permission_policies(0)->set_document(
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "allow", )"
      R"("Action": "secrets:Get", "Resource": "secret/*"}]})");
  v1::PolicyDocument* second = role->add_permission_policies();
  second->set_name("second.json");
  second->set_document(
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", )"
      R"("Action": "secrets:Get", "NotAction": "x:y", )"
      R"("Resource": "secret/*"}]})");
  v1::PolicyDocument* unnamed = role->add_permission_policies();
  unnamed->set_document(ReadPolicy());

  grpc::Status s = PutRole(request);
  ASSERT_THAT(s, GrpcIs(grpc::INVALID_ARGUMENT));
  const std::vector<std::string> lines =
      absl::StrSplit(s.error_message(), '\n');
  EXPECT_THAT(
      lines,
      ElementsAre(
          "role \"web\": permission policy 3 has no name; name it "
          "(secretctl uses the file's base name)",
          "role \"web\": max_token_lifetime must be a whole number of "
          "seconds between 1 and 86400, got 999999",
          "policy \"trust.json\": Statement[0].Condition.StringLik: unknown "
          "operator; did you mean StringLike?",
          "policy \"read.json\": Statement[0].Effect: expected \"Allow\" or "
          "\"Deny\", got \"allow\" (values are case-sensitive)",
          "policy \"second.json\": Statement[0]: has both Action and "
          "NotAction; keep one of them"))
      << s.error_message();

  // Nothing changed: store, change counter, callback; one record, refused.
  EXPECT_THAT(store().GetRole("web"),
              ::common::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ChangeCounter(), counter);
  EXPECT_EQ(changes(), 1);
  const std::vector<audit::Record> after = audit().records();
  ASSERT_EQ(after.size(), before.size() + 1);
  const audit::Record r = after.back();
  EXPECT_EQ(r.type, "admin.role.put");
  EXPECT_EQ(r.request_id, last_request_id_);
  nlohmann::ordered_json expected = {
      {"status", "INVALID_ARGUMENT"},
      {"message", s.error_message()},
      {"peer_uid", -1},
      {"peer_pid", -1},
      {"role", "web"},
      {"trust_policy", "trust.json"},
      {"permission_policies", {"read.json", "second.json", ""}},
      {"max_token_lifetime_seconds", 999999},
      {"secret_ttl_seconds", 3600},
      {"single_use_tokens", false}};
  EXPECT_EQ(r.fields, expected);
  // The policy texts are not in the record.
  EXPECT_THAT(r.fields.dump(), ::testing::Not(HasSubstr("secrets:Get")));
}

TEST_F(AdminServiceTest, PutRoleRefusesAnOversizedPolicyAndAMissingRole) {
  v1::PutRoleRequest request = RoleRequest("web");
  request.mutable_role()->mutable_permission_policies(0)->set_document(
      absl::StrCat(ReadPolicy(), std::string(10 * 1024, ' ')));
  grpc::Status s = PutRole(request);
  EXPECT_THAT(s, GrpcIs(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(s.error_message(), HasSubstr("policy \"read.json\": "));
  EXPECT_THAT(s.error_message(), HasSubstr("10240"));
  EXPECT_THAT(PutRole(v1::PutRoleRequest()),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "the request has no role; set PutRoleRequest.role"));
  EXPECT_EQ(ChangeCounter(), 0);
}

TEST_F(AdminServiceTest, GetRoleReturnsTheDocumentsOrIsNotFound) {
  ASSERT_THAT(PutRole(RoleRequest("web")), GrpcIs(grpc::OK));
  v1::GetRoleRequest request;
  request.set_name("web");
  v1::Role role;
  ASSERT_THAT(Call(&v1::Admin::Stub::GetRole, request, &role),
              GrpcIs(grpc::OK));
  EXPECT_EQ(role.trust_policy().name(), "trust.json");
  EXPECT_EQ(role.trust_policy().document(), TrustPolicy("web"));
  ASSERT_THAT(role.permission_policies(), SizeIs(1));
  EXPECT_EQ(role.permission_policies(0).document(), ReadPolicy());
  request.set_name("db");
  EXPECT_THAT(Call(&v1::Admin::Stub::GetRole, request, &role),
              GrpcIs(grpc::NOT_FOUND,
                     "no role is named \"db\"; \"secretctl role list\" shows "
                     "the roles"));
}

TEST_F(AdminServiceTest, ListRolesGivesNamesAndLimitsWithoutDocuments) {
  ASSERT_THAT(PutRole(RoleRequest("web")), GrpcIs(grpc::OK));
  ASSERT_THAT(PutRole(RoleRequest("db")), GrpcIs(grpc::OK));
  v1::ListRolesResponse response;
  ASSERT_THAT(
      Call(&v1::Admin::Stub::ListRoles, v1::ListRolesRequest(), &response),
      GrpcIs(grpc::OK));
  ASSERT_THAT(response.roles(), SizeIs(2));
  EXPECT_EQ(response.roles(0).name(), "db");
  EXPECT_EQ(response.roles(1).name(), "web");
  EXPECT_EQ(response.roles(1).trust_policy().name(), "trust.json");
  EXPECT_EQ(response.roles(1).trust_policy().document(), "");
  EXPECT_EQ(response.roles(1).permission_policies(0).name(), "read.json");
  EXPECT_EQ(response.roles(1).permission_policies(0).document(), "");
  EXPECT_EQ(response.roles(1).secret_ttl_seconds(), 3600);
}

TEST_F(AdminServiceTest, DeleteRoleRemovesTheRoleOrIsNotFound) {
  ASSERT_THAT(PutRole(RoleRequest("web")), GrpcIs(grpc::OK));
  EXPECT_THAT(DeleteRole("db"),
              GrpcIs(grpc::NOT_FOUND,
                     "no role is named \"db\"; \"secretctl role list\" shows "
                     "the roles"));
  EXPECT_THAT(DeleteRole(""), GrpcIs(grpc::INVALID_ARGUMENT,
                                     "the role name is empty; name the role"));
  EXPECT_EQ(ChangeCounter(), 1);
  ASSERT_THAT(DeleteRole("web"), GrpcIs(grpc::OK));
  EXPECT_THAT(store().GetRole("web"),
              ::common::testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ChangeCounter(), 2);
  const std::vector<audit::Record> records = audit().records();
  ASSERT_THAT(records, SizeIs(4));
  EXPECT_EQ(records[1].fields["status"], "NOT_FOUND");
  EXPECT_EQ(records[2].fields["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(records[3].type, "admin.role.delete");
  EXPECT_EQ(records[3].fields.dump(),
            R"({"status":"OK","message":"role \"web\" deleted",)"
            R"("peer_uid":-1,"peer_pid":-1,"role":"web"})");
}

// ---- Secrets ----

TEST_F(AdminServiceTest, PutSecretStoresNumberedVersionsAndRecordsThem) {
  v1::PutSecretResponse response;
  ASSERT_THAT(PutSecret("app/db/password", "hunter2", &response),
              GrpcIs(grpc::OK));
  EXPECT_EQ(response.name(), "app/db/password");
  EXPECT_EQ(response.version(), 1);
  ASSERT_THAT(PutSecret("app/db/password", "hunter3", &response),
              GrpcIs(grpc::OK));
  EXPECT_EQ(response.version(), 2);
  // Readable with the broker's keys.
  SecretVault vault(store(), keyring().Current()->ring, random());
  ASSERT_OK_AND_ASSIGN(SecretVault::Plaintext p,
                       vault.Read("app/db/password", 1));
  EXPECT_EQ(p.value.AsStringView(keys::InsecureSecretAccess::Get()), "hunter2");
  EXPECT_EQ(ChangeCounter(), 2);
  EXPECT_EQ(changes(), 2);
  EXPECT_THAT(
      RecordFields(),
      ElementsAre(R"({"status":"OK","message":"version 1 of secret )"
                  R"(\"app/db/password\" put","peer_uid":-1,"peer_pid":-1,)"
                  R"("secret":"app/db/password","version":1})",
                  HasSubstr(R"("version":2})")));
  EXPECT_EQ(audit().records()[0].type, "admin.secret.put");
}

TEST_F(AdminServiceTest, PutSecretRefusesBadNamesAndSizes) {
  grpc::Status s = PutSecret("app/../x", "v");
  EXPECT_THAT(s, GrpcIs(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(PutSecret("app/x", ""),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "the value is empty; a secret needs at least one byte"));
  EXPECT_THAT(PutSecret("app/x", std::string(64 * 1024 + 1, 'v')),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "the value is 65537 bytes; the limit is 65536"));
  EXPECT_EQ(ChangeCounter(), 0);
  EXPECT_THAT(RecordFields(),
              ElementsAre(HasSubstr(R"("secret":"app/../x","version":null})"),
                          HasSubstr(R"("status":"INVALID_ARGUMENT")"),
                          HasSubstr(R"("status":"INVALID_ARGUMENT")")));
  EXPECT_THAT(PutSecret("app/x", std::string(64 * 1024, 'v')),
              GrpcIs(grpc::OK));
}

TEST_F(AdminServiceTest, ListSecretsGivesVersionsAndTheCurrentOne) {
  clock().Advance(absl::Seconds(7));
  ASSERT_THAT(PutSecret("app/a", "1"), GrpcIs(grpc::OK));
  ASSERT_THAT(PutSecret("app/a", "2"), GrpcIs(grpc::OK));
  ASSERT_THAT(PutSecret("other/b", "1"), GrpcIs(grpc::OK));
  ASSERT_THAT(Disable("app/a", 2), GrpcIs(grpc::OK));
  v1::ListSecretsRequest request;
  request.set_prefix("app/");
  v1::ListSecretsResponse response;
  ASSERT_THAT(Call(&v1::Admin::Stub::ListSecrets, request, &response),
              GrpcIs(grpc::OK));
  ASSERT_THAT(response.secrets(), SizeIs(1));
  const v1::SecretInfo& a = response.secrets(0);
  EXPECT_EQ(a.name(), "app/a");
  EXPECT_EQ(a.current_version(), 1);
  ASSERT_THAT(a.versions(), SizeIs(2));
  EXPECT_TRUE(a.versions(0).enabled());
  EXPECT_FALSE(a.versions(1).enabled());
  EXPECT_EQ(a.versions(1).created_at(), absl::ToUnixSeconds(clock().Now()));
  EXPECT_EQ(a.versions(1).kek_id(), keyring().Current()->current.id());
  request.set_prefix("");
  ASSERT_THAT(Call(&v1::Admin::Stub::ListSecrets, request, &response),
              GrpcIs(grpc::OK));
  EXPECT_THAT(response.secrets(), SizeIs(2));
}

TEST_F(AdminServiceTest, DisableSecretVersionCoversEveryCase) {
  ASSERT_THAT(PutSecret("app/a", "1"), GrpcIs(grpc::OK));
  ASSERT_THAT(PutSecret("app/a", "2"), GrpcIs(grpc::OK));
  ASSERT_THAT(Disable("app/a", 2), GrpcIs(grpc::OK));
  EXPECT_EQ(ChangeCounter(), 3);
  ASSERT_THAT(Disable("app/a", 2), GrpcIs(grpc::OK));  // already: no change
  EXPECT_EQ(ChangeCounter(), 3);
  EXPECT_THAT(Disable("app/a", 3),
              GrpcIs(grpc::NOT_FOUND,
                     "secret \"app/a\" has no version 3 (its latest is 2)"));
  EXPECT_THAT(Disable("app/b", 1),
              GrpcIs(grpc::NOT_FOUND,
                     "no secret is named \"app/b\"; \"secretctl secret "
                     "list\" shows the secrets"));
  EXPECT_THAT(Disable("app/a", 0),
              GrpcIs(grpc::INVALID_ARGUMENT,
                     "version 0 is not a version number; versions start at 1 "
                     "(\"secretctl secret list\" shows them)"));
  EXPECT_THAT(Disable("", 1), GrpcIs(grpc::INVALID_ARGUMENT));
  std::vector<std::string> fields = RecordFields();
  ASSERT_THAT(fields, SizeIs(8));
  EXPECT_EQ(fields[2],
            R"({"status":"OK","message":"version 2 of secret \"app/a\" )"
            R"(disabled","peer_uid":-1,"peer_pid":-1,"secret":"app/a",)"
            R"("version":2})");
  EXPECT_THAT(fields[3], HasSubstr("was already disabled"));
  EXPECT_THAT(fields[4], HasSubstr(R"("status":"NOT_FOUND")"));
  EXPECT_EQ(audit().records()[2].type, "admin.secret.disable");
}

// ---- KEK rotation ----

TEST_F(AdminServiceTest, RotateKekRewrapsEverySecretAndRecordsBothIds) {
  ASSERT_THAT(PutSecret("app/a", "1"), GrpcIs(grpc::OK));
  ASSERT_THAT(PutSecret("app/b", "2"), GrpcIs(grpc::OK));
  const std::string old_id = keyring().Current()->current.id();
  v1::RotateKekResponse response;
  ASSERT_THAT(RotateKek(&response), GrpcIs(grpc::OK));
  EXPECT_EQ(response.old_kek_id(), old_id);
  EXPECT_EQ(response.new_kek_id(), keyring().Current()->current.id());
  EXPECT_NE(response.new_kek_id(), old_id);
  EXPECT_EQ(response.rewrapped(), 2);
  EXPECT_EQ(changes(), 3);
  const audit::Record r = audit().records().back();
  EXPECT_EQ(r.type, "admin.kek.rotate");
  EXPECT_EQ(
      r.fields.dump(),
      absl::StrCat(R"({"status":"OK","message":"KEK rotation from )", old_id,
                   " to ", response.new_kek_id(),
                   R"(","peer_uid":-1,"peer_pid":-1,"old_kek_id":")", old_id,
                   R"(","new_kek_id":")", response.new_kek_id(), R"("})"));
}

// ---- Fail closed ----

TEST_F(AdminServiceTest, AuditFailureRefusesEveryChangeAndChangesNothing) {
  ASSERT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"k1"})),
              GrpcIs(grpc::OK));
  ASSERT_THAT(PutRole(RoleRequest("web")), GrpcIs(grpc::OK));
  ASSERT_THAT(PutSecret("app/a", "1"), GrpcIs(grpc::OK));
  const int64_t counter = ChangeCounter();
  const std::string kek_id = keyring().Current()->current.id();
  audit().SetFailing(true);

  const std::string kUnavailable =
      "the audit log cannot be written (audit log unavailable (fake)); "
      "nothing was changed: fix the audit log (disk space, permissions) and "
      "retry";
  EXPECT_THAT(PutTrust("https://b.example", PublicJwks(random(), {"b"})),
              GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  EXPECT_THAT(DeleteTrust(kIssuer), GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  EXPECT_THAT(PutRole(RoleRequest("db")),
              GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  EXPECT_THAT(DeleteRole("web"), GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  EXPECT_THAT(PutSecret("app/a", "2"), GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  EXPECT_THAT(Disable("app/a", 1), GrpcIs(grpc::UNAVAILABLE, kUnavailable));
  v1::RotateKekResponse rotated;
  EXPECT_THAT(RotateKek(&rotated), GrpcIs(grpc::UNAVAILABLE, kUnavailable));

  EXPECT_EQ(ChangeCounter(), counter);
  EXPECT_EQ(changes(), 3);
  ASSERT_OK_AND_ASSIGN(auto bundles, store().ListTrustBundles());
  EXPECT_THAT(bundles, SizeIs(1));
  EXPECT_OK(store().GetRole("web").status());
  ASSERT_OK_AND_ASSIGN(auto secrets, store().ListSecrets(""));
  ASSERT_THAT(secrets, SizeIs(1));
  EXPECT_EQ(secrets[0].latest_version, 1);  // version 2 was not consumed
  EXPECT_TRUE(secrets[0].versions[0].enabled);
  EXPECT_EQ(keyring().Current()->current.id(), kek_id);
  EXPECT_EQ(access(layout().kek_next.c_str(), F_OK), -1);
  EXPECT_THAT(audit().records(), SizeIs(3));

  // Once the log works again, so does the service.
  audit().SetFailing(false);
  v1::PutSecretResponse response;
  ASSERT_THAT(PutSecret("app/a", "2", &response), GrpcIs(grpc::OK));
  EXPECT_EQ(response.version(), 2);
}

TEST_F(AdminServiceTest, StoreFailureAfterTheRecordIsRecordedAsTheOutcome) {
  store().SetError(absl::UnavailableError("database is locked"));
  EXPECT_THAT(PutTrust(kIssuer, PublicJwks(random(), {"k1"})),
              GrpcIs(grpc::UNAVAILABLE, "database is locked"));
  EXPECT_THAT(PutRole(RoleRequest("web")),
              GrpcIs(grpc::UNAVAILABLE, "database is locked"));
  // The store fails before the version is assigned: never announced.
  EXPECT_THAT(PutSecret("app/a", "1"),
              GrpcIs(grpc::UNAVAILABLE, "database is locked"));
  EXPECT_EQ(changes(), 0);
  const std::vector<audit::Record> records = audit().records();
  ASSERT_THAT(records, SizeIs(5));
  EXPECT_EQ(records[0].fields["status"], "OK");
  EXPECT_EQ(records[1].request_id, records[0].request_id);
  EXPECT_EQ(records[1].type, "admin.trust.put");
  EXPECT_EQ(records[1].fields["status"], "UNAVAILABLE");
  EXPECT_EQ(records[1].fields["message"],
            "failed after its audit record; database is locked");
  EXPECT_EQ(records[2].fields["status"], "OK");
  EXPECT_EQ(records[3].fields["status"], "UNAVAILABLE");
  EXPECT_EQ(records[3].request_id, records[2].request_id);
  EXPECT_EQ(records[4].type, "admin.secret.put");
  EXPECT_EQ(records[4].fields.dump(),
            R"({"status":"UNAVAILABLE","message":"database is locked",)"
            R"("peer_uid":-1,"peer_pid":-1,"secret":"app/a","version":null})");
}

// ---- Values never leak ----

TEST_F(AdminServiceTest, SecretValuesNeverReachLogsRecordsOrErrors) {
  absl::Mutex mu;
  std::string logs;
  common::log::SetSink([&](absl::string_view line) {
    absl::MutexLock lock(&mu);
    logs.append(line.data(), line.size());
  });
  const std::string value = "VALUE-5f1c9e2a-do-not-leak";
  std::vector<std::string> messages;
  messages.push_back(PutSecret("app/a", value).error_message());
  messages.push_back(PutSecret("app/a", value).error_message());
  messages.push_back(PutSecret("bad name", value).error_message());
  messages.push_back(
      PutSecret("app/big", absl::StrCat(value, std::string(70000, 'x')))
          .error_message());
  audit().SetFailing(true);
  messages.push_back(PutSecret("app/a", value).error_message());
  audit().SetFailing(false);
  store().SetError(absl::UnavailableError("database is locked"));
  messages.push_back(PutSecret("app/a", value).error_message());
  common::log::SetSink(nullptr);

  EXPECT_THAT(logs, HasSubstr("admin.secret.put"));
  EXPECT_THAT(logs, ::testing::Not(HasSubstr("VALUE-5f1c")));
  for (const std::string& m : messages) {
    EXPECT_THAT(m, ::testing::Not(HasSubstr("VALUE-5f1c")));
  }
  for (const std::string& fields : RecordFields()) {
    EXPECT_THAT(fields, ::testing::Not(HasSubstr("VALUE-5f1c")));
  }
  // OK, OK, bad name, too big, (audit down: none), store down.
  EXPECT_THAT(audit().records(), SizeIs(5));
}

TEST_F(AdminServiceTest, DeniedPeersAreRecorded) {
  service().RecordDeniedPeer({1001, 1001, 4242}, "uid 1001 may not connect");
  ASSERT_THAT(audit().records(), SizeIs(1));
  const audit::Record r = audit().records()[0];
  EXPECT_EQ(r.type, "admin.denied");
  EXPECT_THAT(r.request_id, SizeIs(16));
  EXPECT_EQ(r.fields.dump(),
            R"({"status":"PERMISSION_DENIED","message":"uid 1001 may not )"
            R"(connect","peer_uid":1001,"peer_pid":4242})");
}

}  // namespace
}  // namespace secretd
