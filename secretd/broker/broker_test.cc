// The Provision handler with fakes: MemoryStore, FakeAuditSink, FakeClock,
// TestIssuer. Every path asserts the exact status code, the audit reason and
// what was (not) released.
#include "secretd/broker/broker.h"

#include <memory>
#include <string>
#include <vector>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/kek.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/test_tokens.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/audit/testing/fake_audit_sink.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/testing/memory_store.h"
#include "secretd/vault/secret_vault.h"

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.test";
constexpr char kIssuer[] = "attest.test";

constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"Instances","Effect":"Allow","Principal":{"Attestor":["attest.test"]},
   "Action":"secretd:AssumeRole"},
  {"Sid":"NoQuarantine","Effect":"Deny","Principal":{"Attestor":"*"},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringEquals":{"claim:tags/env":"quarantine"}}}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"App","Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"},
  {"Effect":"Deny","Action":"secrets:Get","Resource":"secret/app/forbidden"},
  {"Sid":"Internal","Effect":"Allow","Action":"secrets:Get",
   "Resource":"secret/internal/*",
   "Condition":{"IpAddress":{"secretd:SourceIp":"10.0.0.0/8"}}},
  {"Sid":"Own","Effect":"Allow","Action":"secrets:Get",
   "Resource":"secret/hosts/${claim:sub}/*"}]})";

// A key source whose Reload installs `next` (if set).
class TestKeys final : public BrokerKeySource {
 public:
  explicit TestKeys(keys::RandomSource& random)
      : release_(keys::Ed25519Signer::Generate(random)) {
    current_ = MakeSet(keys::Kek::Generate(random), {});
  }
  static std::shared_ptr<const KeySet> MakeSet(keys::Kek current,
                                               std::vector<keys::Kek> retired) {
    auto set = KeySet::Create(std::move(current), std::move(retired),
                              absl::Seconds(300));
    if (!set.ok()) abort();
    return *set;
  }
  std::shared_ptr<const KeySet> Current() const override { return current_; }
  const keys::Ed25519Signer& release_signer() const override {
    return *release_;
  }
  absl::Status Reload() override {
    ++reloads;
    if (next != nullptr) current_ = next;
    return absl::OkStatus();
  }

  std::shared_ptr<const KeySet> next;
  int reloads = 0;

 private:
  std::unique_ptr<keys::Ed25519Signer> release_;
  std::shared_ptr<const KeySet> current_;
};

struct Released {
  secretd::v1::SecretBundle bundle;
};

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(store_.PutTrustBundle(kIssuer, issuer_.jwks()->ToJson().dump()));
    RoleRecord web;
    web.name = "web";
    web.trust_policy = {"trust.json", kTrust};
    web.permission_policies = {{"read.json", kRead}};
    web.max_token_lifetime_seconds = 600;
    web.secret_ttl_seconds = 3600;
    ASSERT_OK(store_.PutRole(web));
    web.name = "once";
    web.single_use_tokens = true;
    ASSERT_OK(store_.PutRole(web));
    Put("app/db/password", "hunter2");
    Put("app/tls", "tls-v1");
    Put("app/tls", "tls-v2");
    Put("app/forbidden", "nope");
    Put("internal/key", "internal-value");
    Put("hosts/i-0123456789/id", "host-value");
    ASSERT_TRUE(cache_.Refresh().ok());
    BrokerOptions options;
    options.audience = kAudience;
    broker_ = std::make_unique<Broker>(options, cache_, keys_, store_, audit_,
                                       clock_, random_);
  }

  void Put(const std::string& name, const std::string& value) {
    SecretVault vault(store_, keys_.Current()->ring, random_);
    ASSERT_THAT(vault.Put(name, keys::SecretBytes::CopyFrom(value)), IsOk());
  }

  // Claims for a fresh challenge and `pair_`.
  Json Claims() {
    const std::string nonce = broker_->GetChallenge().challenge();
    return issuer_.Claims(clock_, kAudience, nonce, pair_.public_key());
  }
  std::string Token() { return issuer_.Sign(Claims()); }

  secretd::v1::ProvisionRequest Request(
      const std::string& token, const std::string& role,
      const std::vector<std::string>& secrets) {
    secretd::v1::ProvisionRequest r;
    r.set_attestation_token(token);
    r.set_role(role);
    for (const std::string& s : secrets) r.add_secrets(s);
    return r;
  }

  ProvisionOutcome Provision(const std::string& token, const std::string& role,
                             const std::vector<std::string>& secrets,
                             const std::string& ip = "203.0.113.7") {
    return broker_->Provision(Request(token, role, secrets), {ip});
  }

  // Verifies the release signature and opens the bundle.
  secretd::v1::SecretBundle Open(const secretd::v1::ProvisionResponse& r) {
    auto verifier =
        keys::Ed25519Verifier::Create(keys_.release_signer().public_key());
    EXPECT_THAT(verifier, IsOk());
    EXPECT_OK((*verifier)->Verify(std::string("secretd-release-v1\0", 19) +
                                      pair_.public_key() + r.sealed_bundle(),
                                  r.signature()));
    auto opened = keys::OpenSealed(pair_, r.sealed_bundle());
    EXPECT_THAT(opened, IsOk());
    secretd::v1::SecretBundle bundle;
    EXPECT_TRUE(bundle.ParseFromString(
        std::string(opened->AsStringView(keys::InsecureSecretAccess::Get()))));
    return bundle;
  }

  // The only audit record so far, as plain JSON.
  Json OnlyRecord() {
    std::vector<audit::Record> records = audit_.records();
    EXPECT_EQ(records.size(), 1u);
    if (records.empty()) return Json();
    EXPECT_EQ(records[0].type, "provision");
    return Json::parse(records[0].fields.dump());
  }

  void ExpectTokenRejected(const std::string& token,
                           const std::string& reason) {
    ProvisionOutcome out = Provision(token, "web", {"app/db/password"});
    EXPECT_THAT(out.status,
                StatusIs(absl::StatusCode::kUnauthenticated,
                         absl::StrCat("attestation token rejected (request ",
                                      out.request_id,
                                      "); an operator can find the reason in "
                                      "the audit log")));
    EXPECT_EQ(out.reason, reason);
    Json record = OnlyRecord();
    EXPECT_EQ(record["decision"], "deny");
    EXPECT_EQ(record["reason"], reason);
    EXPECT_EQ(record["status"], "UNAUTHENTICATED");
    EXPECT_EQ(record["token_sha256"], keys::Sha256Hex(token));
    EXPECT_EQ(record["released"], Json::array());
    EXPECT_EQ(out.response.sealed_bundle(), "");
  }

  common::testing::FakeClock clock_{absl::FromUnixSeconds(1764139305)};
  keys::testing::FakeRandom random_{42};
  testing::MemoryStore store_{clock_};
  audit::testing::FakeAuditSink audit_;
  TestKeys keys_{random_};
  StateCache cache_{store_, clock_};
  keys::testing::TestIssuer issuer_{kIssuer};
  keys::X25519KeyPair pair_ = keys::X25519KeyPair::Generate(random_);
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, GetChallengeGivesAChallengeTheKeysAcceptAndTheAudience) {
  secretd::v1::GetChallengeResponse c = broker_->GetChallenge();
  EXPECT_EQ(c.audience(), kAudience);
  EXPECT_EQ(c.expires_at(), 1764139305 + 300);
  EXPECT_EQ(c.challenge().size(), 54u);
  EXPECT_OK(keys_.Current()->challenge.Check(c.challenge(), clock_));
  EXPECT_TRUE(audit_.records().empty()) << "challenges are not audited";
}

TEST_F(BrokerTest, ProvisionReleasesASealedSignedBundleThatAnswersTheRequest) {
  const std::string token = Token();
  ProvisionOutcome out =
      Provision(token, "web", {"app/db/password", "app/tls@1"});
  ASSERT_OK(out.status);
  EXPECT_EQ(out.reason, "ok");
  EXPECT_TRUE(out.audited);
  EXPECT_EQ(out.response.request_id(), out.request_id);
  EXPECT_EQ(out.request_id.size(), 16u);
  EXPECT_EQ(out.response.release_key_id(),
            keys::PublicKeyId(keys_.release_signer().public_key()));
  EXPECT_EQ(out.response.expires_at(), 1764139305 + 3600);

  secretd::v1::SecretBundle b = Open(out.response);
  EXPECT_EQ(b.request_id(), out.request_id);
  EXPECT_EQ(b.role(), "web");
  EXPECT_EQ(b.subject(), "i-0123456789");
  EXPECT_EQ(b.token_id(), "jti-1764139305");
  EXPECT_EQ(b.token_sha256(), keys::Sha256(token));
  EXPECT_EQ(b.issued_at(), 1764139305);
  EXPECT_EQ(b.expires_at(), 1764139305 + 3600);
  ASSERT_EQ(b.secrets_size(), 2);
  EXPECT_EQ(b.secrets(0).name(), "app/db/password");
  EXPECT_EQ(b.secrets(0).version(), 1);
  EXPECT_EQ(b.secrets(0).value(), "hunter2");
  EXPECT_EQ(b.secrets(1).name(), "app/tls");
  EXPECT_EQ(b.secrets(1).version(), 1);
  EXPECT_EQ(b.secrets(1).value(), "tls-v1");
}

TEST_F(BrokerTest, AllowedProvisionHasExactlyOneCompleteAuditRecord) {
  const std::string token = Token();
  ProvisionOutcome out =
      Provision(token, "web", {"app/db/password", "app/tls"});
  ASSERT_OK(out.status);
  std::vector<audit::Record> records = audit_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].request_id, out.request_id);
  // Members in the documented order (docs/audit.md).
  std::vector<std::string> keys;
  for (auto& [k, v] : records[0].fields.items()) keys.push_back(k);
  EXPECT_THAT(keys,
              ElementsAre("decision", "reason", "status", "message", "subject",
                          "issuer", "role", "token_jti", "token_sha256",
                          "recipient_key_sha256", "source_ip", "requested",
                          "released", "denied", "statements", "expires_at"));
  Json r = OnlyRecord();
  EXPECT_EQ(r["decision"], "allow");
  EXPECT_EQ(r["reason"], "ok");
  EXPECT_EQ(r["status"], "OK");
  EXPECT_EQ(r["subject"], "i-0123456789");
  EXPECT_EQ(r["issuer"], kIssuer);
  EXPECT_EQ(r["role"], "web");
  EXPECT_EQ(r["token_jti"], "jti-1764139305");
  EXPECT_EQ(r["token_sha256"], keys::Sha256Hex(token));
  EXPECT_EQ(r["recipient_key_sha256"], keys::Sha256Hex(pair_.public_key()));
  EXPECT_EQ(r["source_ip"], "203.0.113.7");
  EXPECT_EQ(r["requested"],
            Json::parse(R"([{"name":"app/db/password","version":null},
                                            {"name":"app/tls","version":null}])"));
  EXPECT_EQ(r["released"],
            Json::parse(R"([{"name":"app/db/password","version":1},
                                           {"name":"app/tls","version":2}])"));
  EXPECT_EQ(r["denied"], Json::array());
  EXPECT_EQ(r["statements"], Json::parse(R"([
    {"policy":"trust.json","sid":"Instances","index":0,"effect":"Allow","resource":"role/web"},
    {"policy":"read.json","sid":"App","index":0,"effect":"Allow","resource":"secret/app/db/password"},
    {"policy":"read.json","sid":"App","index":0,"effect":"Allow","resource":"secret/app/tls"}])"));
  EXPECT_EQ(r["expires_at"], 1764139305 + 3600);
  EXPECT_EQ(r["message"],
            "released app/db/password@1, app/tls@2 to subject "
            "\"i-0123456789\" of issuer \"attest.test\" as role \"web\"");
  // Neither a value nor the token is in the record.
  const std::string text = records[0].fields.dump();
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("tls-v2")));
  EXPECT_THAT(text, Not(HasSubstr(token.substr(0, 40))));
}

TEST_F(BrokerTest, BadSignatureIsUnauthenticated) {
  keys::testing::TestIssuer impostor(kIssuer, keys::SignatureAlgorithm::kEdDSA,
                                     "test-key-1", /*seed=*/99);
  ExpectTokenRejected(impostor.Sign(Claims()), "token.bad_signature");
}

TEST_F(BrokerTest, UnknownIssuerIsUnauthenticated) {
  keys::testing::TestIssuer other("other.issuer");
  Json claims = Claims();
  claims["iss"] = "other.issuer";
  ExpectTokenRejected(other.Sign(claims), "token.unknown_issuer");
}

TEST_F(BrokerTest, UnknownKidIsUnauthenticated) {
  keys::testing::TestIssuer other(kIssuer, keys::SignatureAlgorithm::kEdDSA,
                                  "rotated-away", 7);
  ExpectTokenRejected(other.Sign(Claims()), "token.unknown_kid");
}

TEST_F(BrokerTest, ExpiredTokenIsUnauthenticated) {
  Json claims = Claims();
  claims["iat"] = 1764139305 - 100;
  claims["exp"] = 1764139305 - 31;
  ExpectTokenRejected(issuer_.Sign(claims), "token.expired");
}

TEST_F(BrokerTest, TokenNotYetValidIsUnauthenticated) {
  Json claims = Claims();
  claims["nbf"] = 1764139305 + 60;
  ExpectTokenRejected(issuer_.Sign(claims), "token.not_yet_valid");
}

TEST_F(BrokerTest, WrongAudienceIsUnauthenticated) {
  Json claims = Claims();
  claims["aud"] = "another.broker";
  ExpectTokenRejected(issuer_.Sign(claims), "token.wrong_audience");
}

TEST_F(BrokerTest, LifetimeLongerThanTheRolesMaximumIsUnauthenticated) {
  Json claims = Claims();
  claims["exp"] = claims["iat"].get<int64_t>() + 601;
  ExpectTokenRejected(issuer_.Sign(claims), "token.lifetime_too_long");
}

TEST_F(BrokerTest, MissingNonceIsUnauthenticated) {
  Json claims = Claims();
  claims.erase("nonce");
  ExpectTokenRejected(issuer_.Sign(claims), "token.nonce_missing");
}

TEST_F(BrokerTest, ForgedNonceIsUnauthenticated) {
  Json claims = Claims();
  claims["nonce"] = keys::Base64UrlEncode(std::string(40, 'f'));
  ExpectTokenRejected(issuer_.Sign(claims), "token.nonce_invalid");
}

TEST_F(BrokerTest, ExpiredNonceIsUnauthenticated) {
  const std::string nonce = broker_->GetChallenge().challenge();
  clock_.Advance(absl::Seconds(301));
  ExpectTokenRejected(issuer_.Sign(issuer_.Claims(clock_, kAudience, nonce,
                                                  pair_.public_key())),
                      "token.nonce_expired");
}

TEST_F(BrokerTest, MissingCnfIsUnauthenticated) {
  Json claims = Claims();
  claims.erase("cnf");
  ExpectTokenRejected(issuer_.Sign(claims), "token.cnf_missing");
}

TEST_F(BrokerTest, LowOrderCnfKeyIsUnauthenticated) {
  Json claims = Claims();
  claims["cnf"]["jwk"]["x"] = keys::Base64UrlEncode(std::string(32, '\0'));
  ExpectTokenRejected(issuer_.Sign(claims), "token.cnf_invalid");
}

TEST_F(BrokerTest, ClaimsThatWouldAliasInThePolicyContextAreUnauthenticated) {
  // "Tags" and "tags" would both feed claim:tags/...; a claim "tags/env"
  // would alias the tag env: either could let a Deny statement fail open.
  Json twins = Claims();
  twins["tags"] = {{"env", "quarantine"}};
  twins["Tags"] = {{"env", "prod"}};
  ExpectTokenRejected(issuer_.Sign(twins), "token.claim_invalid");
}

TEST_F(BrokerTest, ClaimNamedLikeATagIsUnauthenticated) {
  Json claims = Claims();
  claims["tags/env"] = "prod";
  ExpectTokenRejected(issuer_.Sign(claims), "token.claim_invalid");
}

TEST_F(BrokerTest, GarbageTokenIsUnauthenticated) {
  ExpectTokenRejected("not-a-token", "token.malformed");
}

TEST_F(BrokerTest, UnknownRoleIsPermissionDeniedAfterTheTokenIsVerified) {
  ProvisionOutcome out = Provision(Token(), "no-such-role", {"app/tls"});
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("permission denied: this token may not "
                                    "assume role \"no-such-role\" (request ",
                                    out.request_id, ")")));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "role.not_found");
  EXPECT_EQ(r["status"], "PERMISSION_DENIED");
  EXPECT_EQ(r["subject"], "i-0123456789") << "the token was verified first";
  EXPECT_EQ(r["message"], "role \"no-such-role\" does not exist");
}

TEST_F(BrokerTest,
       UnknownRoleWithABadTokenIsUnauthenticatedSoRolesCannotBeProbed) {
  ProvisionOutcome out = Provision("x.y.z", "no-such-role", {"app/tls"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(OnlyRecord()["reason"], "token.malformed");
}

TEST_F(BrokerTest, TrustPolicyExplicitDenyIsPermissionDenied) {
  Json claims = Claims();
  claims["tags"] = {{"env", "quarantine"}};
  ProvisionOutcome out =
      Provision(issuer_.Sign(claims), "web", {"app/db/password"});
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("permission denied: this token may not "
                                    "assume role \"web\" (request ",
                                    out.request_id, ")")));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "trust.explicit_deny");
  EXPECT_EQ(r["statements"], Json::parse(R"([{"policy":"trust.json",
      "sid":"NoQuarantine","index":1,"effect":"Deny","resource":"role/web"}])"));
  EXPECT_EQ(r["released"], Json::array());
}

TEST_F(BrokerTest, TrustPolicyImplicitDenyIsPermissionDenied) {
  // A second trusted issuer that the trust policy does not name.
  keys::testing::TestIssuer other("other.issuer",
                                  keys::SignatureAlgorithm::kEdDSA, "k", 5);
  ASSERT_OK(
      store_.PutTrustBundle("other.issuer", other.jwks()->ToJson().dump()));
  ASSERT_TRUE(cache_.Refresh().ok());
  Json claims = Claims();
  claims["iss"] = "other.issuer";
  ProvisionOutcome out = Provision(other.Sign(claims), "web", {"app/tls"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kPermissionDenied));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "trust.implicit_deny");
  EXPECT_EQ(r["issuer"], "other.issuer");
  EXPECT_EQ(r["statements"], Json::array());
}

TEST_F(BrokerTest, OneDeniedSecretOfSeveralReleasesNothing) {
  ProvisionOutcome out = Provision(
      Token(), "web", {"app/db/password", "app/forbidden", "app/tls"});
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("permission denied: role \"web\" may not "
                                    "read secret \"app/forbidden\" (request ",
                                    out.request_id, ")")));
  EXPECT_EQ(out.response.sealed_bundle(), "");
  Json r = OnlyRecord();
  EXPECT_EQ(r["decision"], "deny");
  EXPECT_EQ(r["reason"], "permission.explicit_deny");
  EXPECT_EQ(r["released"], Json::array());
  EXPECT_EQ(r["denied"], Json::parse(R"(["app/forbidden"])"));
  EXPECT_EQ(r["statements"][2],
            Json::parse(R"({"policy":"read.json","sid":null,"index":1,
                "effect":"Deny","resource":"secret/app/forbidden"})"));
  EXPECT_THAT(r["message"].get<std::string>(),
              HasSubstr("\"app/forbidden\": explicit deny by \"read.json\" "
                        "Statement[1]"));
}

TEST_F(BrokerTest, ImplicitlyDeniedSecretIsPermissionDenied) {
  ProvisionOutcome out = Provision(Token(), "web", {"other/thing"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(OnlyRecord()["reason"], "permission.implicit_deny");
}

TEST_F(BrokerTest, UnknownSecretIsDeniedExactlyLikeAPolicyDeny) {
  ProvisionOutcome unknown = Provision(Token(), "web", {"app/does-not-exist"});
  EXPECT_THAT(unknown.status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("permission denied: role \"web\" may not "
                                    "read secret \"app/does-not-exist\" "
                                    "(request ",
                                    unknown.request_id, ")")));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "secret.not_found");
  EXPECT_EQ(r["denied"], Json::parse(R"(["app/does-not-exist"])"));
}

TEST_F(BrokerTest, PinnedVersionThatDoesNotExistIsDenied) {
  ProvisionOutcome out = Provision(Token(), "web", {"app/tls@9"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(OnlyRecord()["reason"], "secret.not_found");
}

TEST_F(BrokerTest, DisabledVersionIsNeverReleased) {
  ASSERT_OK(store_.DisableSecretVersion("app/tls", 1));
  ProvisionOutcome pinned = Provision(Token(), "web", {"app/tls@1"});
  EXPECT_THAT(pinned.status, StatusIs(absl::StatusCode::kPermissionDenied));
  ProvisionOutcome current = Provision(Token(), "web", {"app/tls"});
  ASSERT_OK(current.status);
  EXPECT_EQ(Open(current.response).secrets(0).version(), 2);
}

TEST_F(BrokerTest, SourceIpConditionUsesTheCallersAddress) {
  EXPECT_THAT(Provision(Token(), "web", {"internal/key"}, "10.1.2.3").status,
              IsOk());
  EXPECT_THAT(Provision(Token(), "web", {"internal/key"}, "192.0.2.1").status,
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Provision(Token(), "web", {"internal/key"}, "").status,
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(BrokerTest, PolicyVariablesSeeTheVerifiedClaims) {
  ProvisionOutcome own = Provision(Token(), "web", {"hosts/i-0123456789/id"});
  ASSERT_OK(own.status);
  EXPECT_EQ(Open(own.response).secrets(0).value(), "host-value");
  Json claims = Claims();
  claims["sub"] = "i-someone-else";
  EXPECT_THAT(
      Provision(issuer_.Sign(claims), "web", {"hosts/i-0123456789/id"}).status,
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(BrokerTest, SingleUseTokenIsRefusedTheSecondTime) {
  const std::string token = Token();
  ASSERT_OK(Provision(token, "once", {"app/tls"}).status);
  ProvisionOutcome again = Provision(token, "once", {"app/tls"});
  EXPECT_THAT(again.status, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(again.reason, "token.replayed");
  std::vector<audit::Record> records = audit_.records();
  ASSERT_EQ(records.size(), 2u);
  const Json second = Json::parse(records[1].fields.dump());
  EXPECT_EQ(second["reason"], "token.replayed");
  EXPECT_EQ(second["released"], Json::array());
  // The role without the flag accepts a token as often as it is valid.
  const std::string reusable = Token();
  ASSERT_OK(Provision(reusable, "web", {"app/tls"}).status);
  ASSERT_OK(Provision(reusable, "web", {"app/tls"}).status);
}

struct MalformedCase {
  std::string name;
  std::string token;  // "VALID" for a valid token
  std::string role;
  std::vector<std::string> secrets;
  std::string reason;
  std::string message;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

class BrokerMalformedTest
    : public BrokerTest,
      public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(BrokerMalformedTest, IsInvalidArgumentWithItsReason) {
  const MalformedCase& c = GetParam();
  ProvisionOutcome out =
      Provision(c.token == "VALID" ? Token() : c.token, c.role, c.secrets);
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("invalid request: ", c.message,
                                    " (request ", out.request_id, ")")));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], c.reason);
  EXPECT_EQ(r["status"], "INVALID_ARGUMENT");
  EXPECT_EQ(r["message"], c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Requests, BrokerMalformedTest,
    ::testing::Values(
        MalformedCase{"EmptyToken",
                      "",
                      "web",
                      {"app/tls"},
                      "request.token_missing",
                      "attestation_token is empty"},
        MalformedCase{"EmptyRole",
                      "VALID",
                      "",
                      {"app/tls"},
                      "request.invalid_role",
                      "role is empty"},
        MalformedCase{"BadRole",
                      "VALID",
                      "a//b",
                      {"app/tls"},
                      "request.invalid_role",
                      "role \"a//b\" is not a valid role name"},
        MalformedCase{"NoSecrets",
                      "VALID",
                      "web",
                      {},
                      "request.no_secrets",
                      "no secret requested; name at least one"},
        MalformedCase{"BadSecretName",
                      "VALID",
                      "web",
                      {"app/tls", "../etc"},
                      "request.invalid_secret_name",
                      "secrets[1]: secret name \"../etc\" is invalid: a "
                      "segment may not be '.' or '..'"},
        MalformedCase{"DuplicateName",
                      "VALID",
                      "web",
                      {"app/tls", "app/tls@1"},
                      "request.duplicate_secret",
                      "secret \"app/tls\" is named twice; name each secret "
                      "once"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) {
      return info.param.name;
    });

TEST_F(BrokerTest, TooManySecretsIsResourceExhausted) {
  std::vector<std::string> names;
  for (int i = 0; i < 65; ++i) names.push_back(absl::StrCat("app/s", i));
  ProvisionOutcome out = Provision(Token(), "web", names);
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("request over limit: 65 secrets requested; "
                                    "the limit is 64 per request (request ",
                                    out.request_id, ")")));
  EXPECT_EQ(OnlyRecord()["reason"], "request.too_many_secrets");
}

TEST_F(BrokerTest, OversizedTokenIsResourceExhausted) {
  ProvisionOutcome out =
      Provision(std::string(16 * 1024 + 1, 'a'), "web", {"app/tls"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(OnlyRecord()["reason"], "request.token_too_large");
}

TEST_F(BrokerTest, OverLimitRejectionIsAuditedOnlyWhenAsked) {
  ProvisionOutcome audited = broker_->RejectOverLimit(
      Request(Token(), "web", {"app/tls"}), {"127.0.0.1"},
      "65 requests in flight; the limit is 64", true);
  EXPECT_THAT(audited.status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(audited.audited);
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "request.over_limit");
  EXPECT_EQ(r["message"],
            "refused without processing: 65 requests in flight; the limit is "
            "64");
  ProvisionOutcome quiet = broker_->RejectOverLimit(
      Request(Token(), "web", {"app/tls"}), {"127.0.0.1"}, "busy", false);
  EXPECT_THAT(quiet.status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(quiet.audited);
  EXPECT_EQ(audit_.records().size(), 1u);
}

TEST_F(BrokerTest, AuditFailureReleasesNothingAndIsUnavailable) {
  audit_.SetFailing(true);
  ProvisionOutcome out = Provision(Token(), "web", {"app/db/password"});
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("secretd cannot write its audit log, so "
                                    "nothing was released (request ",
                                    out.request_id, "); retry later")));
  EXPECT_EQ(out.reason, "audit.unavailable");
  EXPECT_FALSE(out.audited);
  EXPECT_EQ(out.response.sealed_bundle(), "");
  EXPECT_EQ(out.response.signature(), "");
  // Denials cannot be answered without their record either.
  EXPECT_THAT(Provision("bad", "web", {"app/tls"}).status,
              StatusIs(absl::StatusCode::kUnavailable));
  audit_.SetFailing(false);
  EXPECT_OK(Provision(Token(), "web", {"app/db/password"}).status);
}

TEST_F(BrokerTest, StoreUnavailableIsUnavailableAndAudited) {
  const std::string token = Token();
  store_.SetError(absl::UnavailableError("database is locked"));
  ProvisionOutcome out = Provision(token, "web", {"app/db/password"});
  EXPECT_THAT(out.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("secretd cannot serve this request now "
                                    "(request ",
                                    out.request_id, "); retry later")));
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "store.unavailable");
  EXPECT_EQ(r["status"], "UNAVAILABLE");
  EXPECT_EQ(r["released"], Json::array());
}

TEST_F(BrokerTest, SecretUnderAnUnknownKekReloadsTheKeyringOnce) {
  // Another replica rotated the KEK: the row is wrapped by a KEK this broker
  // learns only by reloading.
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  std::vector<keys::Kek> retired;
  retired.push_back(
      *keys::Kek::FromBytes(keys_.Current()->current.key(access).Clone()));
  std::shared_ptr<const KeySet> after =
      TestKeys::MakeSet(keys::Kek::Generate(random_), std::move(retired));
  SecretVault vault(store_, after->ring, random_);
  ASSERT_THAT(vault.Put("app/new", keys::SecretBytes::CopyFrom("fresh")),
              IsOk());
  keys_.next = after;
  ProvisionOutcome out = Provision(Token(), "web", {"app/new"});
  ASSERT_OK(out.status);
  EXPECT_EQ(keys_.reloads, 1);
  EXPECT_EQ(Open(out.response).secrets(0).value(), "fresh");
}

TEST_F(BrokerTest, SecretUnderAKekNobodyHasFailsClosed) {
  keys::Kek lost = keys::Kek::Generate(random_);
  std::shared_ptr<const KeySet> other = TestKeys::MakeSet(std::move(lost), {});
  SecretVault vault(store_, other->ring, random_);
  ASSERT_THAT(vault.Put("app/orphan", keys::SecretBytes::CopyFrom("x")),
              IsOk());
  ProvisionOutcome out = Provision(Token(), "web", {"app/orphan"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(keys_.reloads, 1);
  Json r = OnlyRecord();
  EXPECT_EQ(r["reason"], "secret.decrypt_failed");
  EXPECT_THAT(r["message"].get<std::string>(),
              HasSubstr("which this broker does not hold"));
}

TEST_F(BrokerTest, TamperedRowFailsClosed) {
  auto row = store_.GetSecretVersion("app/db/password", 1);
  ASSERT_THAT(row, IsOk());
  EncryptedSecretFields f = row->fields;
  f.ciphertext[30] ^= 1;
  auto counter = store_.GetChangeCounter();
  ASSERT_OK(store_.ReplaceSecretFields(*counter, {{"app/db/password", 1, f}}));
  ProvisionOutcome out = Provision(Token(), "web", {"app/db/password"});
  EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(OnlyRecord()["reason"], "secret.decrypt_failed");
}

TEST_F(BrokerTest, ClientMessagesNeverCarryTheReasonOrPolicyText) {
  Json claims = Claims();
  claims["aud"] = "another.broker";
  ProvisionOutcome token_fail =
      Provision(issuer_.Sign(claims), "web", {"app/tls"});
  EXPECT_THAT(std::string(token_fail.status.message()),
              Not(HasSubstr("audience")));
  ProvisionOutcome deny = Provision(Token(), "web", {"app/forbidden"});
  EXPECT_THAT(std::string(deny.status.message()), Not(HasSubstr("read.json")));
  EXPECT_THAT(std::string(deny.status.message()), Not(HasSubstr("Deny")));
}

TEST_F(BrokerTest, StateChangesApplyAfterARefreshOnly) {
  ASSERT_OK(store_.DeleteRole("web"));
  // Not yet refreshed: the old state still decides.
  EXPECT_OK(Provision(Token(), "web", {"app/tls"}).status);
  ASSERT_TRUE(cache_.Refresh().ok());
  EXPECT_THAT(Provision(Token(), "web", {"app/tls"}).status,
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace secretd
