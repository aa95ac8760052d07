#include "secretd/store/testing/store_contract.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd {

void PrintTo(const TrustBundleRecord& record, std::ostream* os) {
  *os << "{issuer: \"" << absl::CEscape(record.issuer) << "\", jwks_json: \""
      << absl::CEscape(record.jwks_json)
      << "\", updated_at: " << absl::FormatTime(record.updated_at) << "}";
}

void PrintTo(const PolicyDocument& policy, std::ostream* os) {
  *os << "{name: \"" << absl::CEscape(policy.name) << "\", document: \""
      << absl::CEscape(policy.document) << "\"}";
}

void PrintTo(const RoleRecord& role, std::ostream* os) {
  *os << "{name: \"" << absl::CEscape(role.name) << "\", trust_policy: ";
  PrintTo(role.trust_policy, os);
  *os << ", permission_policies: [";
  for (size_t i = 0; i < role.permission_policies.size(); ++i) {
    if (i > 0) *os << ", ";
    PrintTo(role.permission_policies[i], os);
  }
  *os << "], max_token_lifetime_seconds: " << role.max_token_lifetime_seconds
      << ", secret_ttl_seconds: " << role.secret_ttl_seconds
      << ", single_use_tokens: " << role.single_use_tokens
      << ", updated_at: " << absl::FormatTime(role.updated_at) << "}";
}

void PrintTo(const EncryptedSecretFields& fields, std::ostream* os) {
  *os << "{kek_id: \"" << absl::CEscape(fields.kek_id)
      << "\", wrapped_data_key: \"" << absl::CEscape(fields.wrapped_data_key)
      << "\", ciphertext: \"" << absl::CEscape(fields.ciphertext) << "\"}";
}

void PrintTo(const SecretVersionRecord& record, std::ostream* os) {
  *os << "{name: \"" << absl::CEscape(record.name)
      << "\", version: " << record.version << ", enabled: " << record.enabled
      << ", created_at: " << absl::FormatTime(record.created_at)
      << ", fields: ";
  PrintTo(record.fields, os);
  *os << "}";
}

void PrintTo(const SecretVersionMetadata& metadata, std::ostream* os) {
  *os << "{version: " << metadata.version << ", enabled: " << metadata.enabled
      << ", created_at: " << absl::FormatTime(metadata.created_at)
      << ", kek_id: \"" << absl::CEscape(metadata.kek_id) << "\"}";
}

void PrintTo(const SecretMetadata& metadata, std::ostream* os) {
  *os << "{name: \"" << absl::CEscape(metadata.name)
      << "\", latest_version: " << metadata.latest_version << ", versions: [";
  for (size_t i = 0; i < metadata.versions.size(); ++i) {
    if (i > 0) *os << ", ";
    PrintTo(metadata.versions[i], os);
  }
  *os << "]}";
}

namespace testing {

std::string StoreContractParamName(
    const ::testing::TestParamInfo<StoreContractParam>& info) {
  return info.param.name;
}

void StoreContractTest::SetUp() {
  factory_ = GetParam().make_factory();
  ASSERT_NE(factory_, nullptr);
  absl::StatusOr<std::unique_ptr<Store>> store = factory_->Create(clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
}

// Defined where the suite is instantiated (once per backend test binary).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreContractTest);

namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr absl::StatusCode kAlreadyExists = absl::StatusCode::kAlreadyExists;
constexpr absl::StatusCode kAborted = absl::StatusCode::kAborted;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;

// Envelope fields that identify (name, version, tag) and contain bytes that
// text handling would break: NUL, 0xff, a lone UTF-8 continuation byte.
EncryptedSecretFields Fields(absl::string_view name, int64_t version,
                             absl::string_view tag = "a") {
  const std::string id = absl::StrCat(name, "#", version, "#", tag);
  return {absl::StrCat("kek-", tag),
          absl::StrCat(std::string("wk\0\xff\x80", 5), id),
          absl::StrCat(std::string("ct\0\xfe\x01", 5), id)};
}

EncryptSecretFn Encrypt(absl::string_view name, absl::string_view tag = "a") {
  return [name = std::string(name), tag = std::string(tag)](int64_t version) {
    return absl::StatusOr<EncryptedSecretFields>(Fields(name, version, tag));
  };
}

RoleRecord Role(absl::string_view name, int policies = 2,
                absl::string_view tag = "a") {
  RoleRecord role;
  role.name = std::string(name);
  role.trust_policy = {
      "trust",
      absl::StrCat(R"({"Version":"2012-10-17","tag":")", tag, R"("})")};
  for (int i = 0; i < policies; ++i) {
    role.permission_policies.push_back(
        {absl::StrCat("p", i), absl::StrCat(R"({"Statement":[],"i":)", i,
                                            R"(,"tag":")", tag, R"("})")});
  }
  role.max_token_lifetime_seconds = 600;
  role.secret_ttl_seconds = 3600;
  role.single_use_tokens = false;
  return role;
}

class ContractHelpers {
 public:
  explicit ContractHelpers(Store& store) : store_(store) {}
  int64_t Counter() {
    absl::StatusOr<int64_t> counter = store_.GetChangeCounter();
    EXPECT_THAT(counter, IsOk());
    return counter.ok() ? *counter : -1;
  }

 private:
  Store& store_;
};

absl::Time Micros(absl::Time t) { return TruncateToMicros(t); }

// ---------------------------------------------------------------------------
// Trust bundles

TEST_P(StoreContractTest, PutTrustBundleThenListReturnsIt) {
  ASSERT_OK(store_->PutTrustBundle("attest.example", R"({"keys":[]})"));
  EXPECT_THAT(store_->ListTrustBundles(),
              IsOkAndHolds(ElementsAre(TrustBundleRecord{
                  "attest.example", R"({"keys":[]})", Micros(clock_.Now())})));
}

TEST_P(StoreContractTest, PutTrustBundleReplacesTheIssuersBundle) {
  ASSERT_OK(store_->PutTrustBundle("attest.example", R"({"keys":[1]})"));
  clock_.Advance(absl::Seconds(10));
  ASSERT_OK(store_->PutTrustBundle("attest.example", R"({"keys":[2]})"));
  EXPECT_THAT(store_->ListTrustBundles(),
              IsOkAndHolds(ElementsAre(TrustBundleRecord{
                  "attest.example", R"({"keys":[2]})", Micros(clock_.Now())})));
}

TEST_P(StoreContractTest, ListTrustBundlesIsSortedByIssuer) {
  ASSERT_OK(store_->PutTrustBundle("c.example", "{}"));
  ASSERT_OK(store_->PutTrustBundle("a.example", "{}"));
  ASSERT_OK(store_->PutTrustBundle("b.example", "{}"));
  ASSERT_OK_AND_ASSIGN(std::vector<TrustBundleRecord> bundles,
                       store_->ListTrustBundles());
  std::vector<std::string> issuers;
  for (const auto& bundle : bundles) issuers.push_back(bundle.issuer);
  EXPECT_THAT(issuers, ElementsAre("a.example", "b.example", "c.example"));
}

TEST_P(StoreContractTest, DeleteTrustBundleRemovesOnlyThatIssuer) {
  ASSERT_OK(store_->PutTrustBundle("a.example", "{}"));
  ASSERT_OK(store_->PutTrustBundle("b.example", "{}"));
  ASSERT_OK(store_->DeleteTrustBundle("a.example"));
  ASSERT_OK_AND_ASSIGN(std::vector<TrustBundleRecord> bundles,
                       store_->ListTrustBundles());
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].issuer, "b.example");
}

TEST_P(StoreContractTest, DeleteMissingTrustBundleIsNotFoundNamingTheIssuer) {
  EXPECT_THAT(store_->DeleteTrustBundle("nobody.example"),
              StatusIs(kNotFound, HasSubstr("\"nobody.example\"")));
}

TEST_P(StoreContractTest, PutTrustBundleWithEmptyIssuerOrJwksIsInvalid) {
  EXPECT_THAT(store_->PutTrustBundle("", "{}"),
              StatusIs(kInvalidArgument, HasSubstr("issuer")));
  EXPECT_THAT(store_->PutTrustBundle("a.example", ""),
              StatusIs(kInvalidArgument, HasSubstr("jwks_json")));
  EXPECT_THAT(store_->ListTrustBundles(), IsOkAndHolds(IsEmpty()));
}

// ---------------------------------------------------------------------------
// Roles

TEST_P(StoreContractTest, PutRoleThenGetRoundTripsEveryField) {
  RoleRecord role = Role("web", 3);
  role.max_token_lifetime_seconds = int64_t{1} << 40;
  role.secret_ttl_seconds = 7;
  role.single_use_tokens = true;
  role.trust_policy.document = "{\"unicode\":\"h\xc3\xa9llo \xe2\x9c\x93\"}";
  ASSERT_OK(store_->PutRole(role));
  role.updated_at = Micros(clock_.Now());
  EXPECT_THAT(store_->GetRole("web"), IsOkAndHolds(Eq(role)));
}

TEST_P(StoreContractTest, PutRoleKeepsPermissionPolicyOrder) {
  RoleRecord role = Role("web", 0);
  for (const char* name : {"zeta", "alpha", "mid"}) {
    role.permission_policies.push_back(
        {name, absl::StrCat("{\"", name, "\":1}")});
  }
  ASSERT_OK(store_->PutRole(role));
  ASSERT_OK_AND_ASSIGN(RoleRecord got, store_->GetRole("web"));
  ASSERT_EQ(got.permission_policies.size(), 3u);
  EXPECT_EQ(got.permission_policies[0].name, "zeta");
  EXPECT_EQ(got.permission_policies[1].name, "alpha");
  EXPECT_EQ(got.permission_policies[2].name, "mid");
}

TEST_P(StoreContractTest, PutRoleWithoutPermissionPoliciesRoundTrips) {
  RoleRecord role = Role("trust-only", 0);
  ASSERT_OK(store_->PutRole(role));
  role.updated_at = Micros(clock_.Now());
  EXPECT_THAT(store_->GetRole("trust-only"), IsOkAndHolds(Eq(role)));
}

TEST_P(StoreContractTest, PutRoleReplacesTheWholeRole) {
  ASSERT_OK(store_->PutRole(Role("web", 3, "old")));
  clock_.Advance(absl::Minutes(1));
  RoleRecord replacement = Role("web", 1, "new");
  replacement.single_use_tokens = true;
  ASSERT_OK(store_->PutRole(replacement));
  replacement.updated_at = Micros(clock_.Now());
  EXPECT_THAT(store_->GetRole("web"), IsOkAndHolds(Eq(replacement)));
}

TEST_P(StoreContractTest, GetMissingRoleIsNotFoundNamingTheRole) {
  ASSERT_OK(store_->PutRole(Role("web")));
  EXPECT_THAT(store_->GetRole("db"),
              StatusIs(kNotFound, HasSubstr("role \"db\"")));
}

TEST_P(StoreContractTest, ListRolesIsSortedByNameWithPolicies) {
  ASSERT_OK(store_->PutRole(Role("web", 2)));
  ASSERT_OK(store_->PutRole(Role("api", 1)));
  ASSERT_OK(store_->PutRole(Role("batch", 0)));
  ASSERT_OK_AND_ASSIGN(std::vector<RoleRecord> roles, store_->ListRoles());
  ASSERT_EQ(roles.size(), 3u);
  RoleRecord api = Role("api", 1), batch = Role("batch", 0),
             web = Role("web", 2);
  api.updated_at = batch.updated_at = web.updated_at = Micros(clock_.Now());
  EXPECT_THAT(roles, ElementsAre(api, batch, web));
}

TEST_P(StoreContractTest, DeleteRoleRemovesItAndItsPolicies) {
  ASSERT_OK(store_->PutRole(Role("web", 2)));
  ASSERT_OK(store_->DeleteRole("web"));
  EXPECT_THAT(store_->GetRole("web"), StatusIs(kNotFound));
  EXPECT_THAT(store_->ListRoles(), IsOkAndHolds(IsEmpty()));
  // A new role of the same name starts from nothing.
  ASSERT_OK(store_->PutRole(Role("web", 1, "new")));
  ASSERT_OK_AND_ASSIGN(RoleRecord got, store_->GetRole("web"));
  EXPECT_EQ(got.permission_policies.size(), 1u);
}

TEST_P(StoreContractTest, DeleteMissingRoleIsNotFound) {
  EXPECT_THAT(store_->DeleteRole("web"),
              StatusIs(kNotFound, HasSubstr("role \"web\"")));
}

TEST_P(StoreContractTest, PutRoleRejectsMalformedRolesAndStoresNothing) {
  RoleRecord empty_name = Role("");
  EXPECT_THAT(store_->PutRole(empty_name),
              StatusIs(kInvalidArgument, HasSubstr("role name is empty")));
  RoleRecord no_trust_name = Role("web");
  no_trust_name.trust_policy.name = "";
  EXPECT_THAT(store_->PutRole(no_trust_name), StatusIs(kInvalidArgument));
  RoleRecord empty_document = Role("web");
  empty_document.permission_policies[1].document = "";
  EXPECT_THAT(store_->PutRole(empty_document),
              StatusIs(kInvalidArgument, HasSubstr("\"p1\"")));
  RoleRecord twice = Role("web");
  twice.permission_policies[1].name = "p0";
  EXPECT_THAT(store_->PutRole(twice),
              StatusIs(kInvalidArgument, HasSubstr("\"p0\" is used twice")));
  RoleRecord zero_lifetime = Role("web");
  zero_lifetime.max_token_lifetime_seconds = 0;
  EXPECT_THAT(
      store_->PutRole(zero_lifetime),
      StatusIs(kInvalidArgument, HasSubstr("max_token_lifetime_seconds")));
  RoleRecord negative_ttl = Role("web");
  negative_ttl.secret_ttl_seconds = -1;
  EXPECT_THAT(store_->PutRole(negative_ttl),
              StatusIs(kInvalidArgument, HasSubstr("secret_ttl_seconds")));
  EXPECT_THAT(store_->ListRoles(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(0));
}

// ---------------------------------------------------------------------------
// Secret versions

TEST_P(StoreContractTest, AddSecretVersionNumbersFromOneAndPassesTheNumber) {
  std::vector<int64_t> seen;
  auto encrypt = [&](int64_t version) -> absl::StatusOr<EncryptedSecretFields> {
    seen.push_back(version);
    return Fields("app/db", version);
  };
  EXPECT_THAT(store_->AddSecretVersion("app/db", encrypt), IsOkAndHolds(1));
  EXPECT_THAT(store_->AddSecretVersion("app/db", encrypt), IsOkAndHolds(2));
  EXPECT_THAT(store_->AddSecretVersion("app/other", encrypt), IsOkAndHolds(1));
  EXPECT_THAT(store_->AddSecretVersion("app/db", encrypt), IsOkAndHolds(3));
  EXPECT_THAT(seen, ElementsAre(1, 2, 1, 3));
}

TEST_P(StoreContractTest, GetSecretVersionRoundTripsTheEnvelopeBytes) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  const absl::Time created = Micros(clock_.Now());
  EXPECT_THAT(store_->GetSecretVersion("app/db", 1),
              IsOkAndHolds(SecretVersionRecord{"app/db", 1, true, created,
                                               Fields("app/db", 1)}));
}

TEST_P(StoreContractTest, GetSecretVersionWithoutVersionReturnsTheNewest) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK_AND_ASSIGN(SecretVersionRecord newest,
                       store_->GetSecretVersion("app/db", std::nullopt));
  EXPECT_EQ(newest,
            (SecretVersionRecord{"app/db", 2, true, Micros(clock_.Now()),
                                 Fields("app/db", 2)}));
  ASSERT_OK_AND_ASSIGN(SecretVersionRecord first,
                       store_->GetSecretVersion("app/db", 1));
  EXPECT_EQ(first.fields, Fields("app/db", 1));
}

TEST_P(StoreContractTest, GetMissingSecretIsNotFound) {
  EXPECT_THAT(store_->GetSecretVersion("app/none", std::nullopt),
              StatusIs(kNotFound, HasSubstr("secret \"app/none\"")));
  EXPECT_THAT(store_->GetSecretVersion("app/none", 1),
              StatusIs(kNotFound, HasSubstr("secret \"app/none\"")));
}

TEST_P(StoreContractTest, GetMissingVersionIsNotFound) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  EXPECT_THAT(store_->GetSecretVersion("app/db", 2),
              StatusIs(kNotFound, HasSubstr("no version 2")));
}

TEST_P(StoreContractTest, GetSecretVersionRejectsNonPositiveVersions) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  EXPECT_THAT(store_->GetSecretVersion("app/db", 0),
              StatusIs(kInvalidArgument));
  EXPECT_THAT(store_->GetSecretVersion("app/db", -1),
              StatusIs(kInvalidArgument));
}

TEST_P(StoreContractTest, DisabledVersionIsSkippedForTheNewest) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  }
  ASSERT_OK(store_->DisableSecretVersion("app/db", 3));
  ASSERT_OK_AND_ASSIGN(SecretVersionRecord newest,
                       store_->GetSecretVersion("app/db", std::nullopt));
  EXPECT_EQ(newest.version, 2);
  EXPECT_TRUE(newest.enabled);
}

TEST_P(StoreContractTest, DisabledVersionAskedForByNumberIsNotFound) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->DisableSecretVersion("app/db", 1));
  EXPECT_THAT(store_->GetSecretVersion("app/db", 1),
              StatusIs(kNotFound, HasSubstr("version 1 is disabled")));
}

TEST_P(StoreContractTest, SecretWithEveryVersionDisabledIsNotFound) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->DisableSecretVersion("app/db", 1));
  EXPECT_THAT(store_->GetSecretVersion("app/db", std::nullopt),
              StatusIs(kNotFound, HasSubstr("no enabled version")));
}

TEST_P(StoreContractTest, VersionNumbersAreNotReusedAfterDisable) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->DisableSecretVersion("app/db", 2));
  ASSERT_OK(store_->DisableSecretVersion("app/db", 1));
  EXPECT_THAT(store_->AddSecretVersion("app/db", Encrypt("app/db")),
              IsOkAndHolds(3));
  EXPECT_THAT(store_->GetSecretVersion("app/db", std::nullopt),
              IsOkAndHolds(::testing::Field(&SecretVersionRecord::version, 3)));
}

TEST_P(StoreContractTest, DisableMissingSecretOrVersionIsNotFound) {
  EXPECT_THAT(store_->DisableSecretVersion("app/db", 1),
              StatusIs(kNotFound, HasSubstr("secret \"app/db\"")));
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  EXPECT_THAT(store_->DisableSecretVersion("app/db", 2),
              StatusIs(kNotFound, HasSubstr("no version 2")));
  EXPECT_THAT(store_->DisableSecretVersion("app/db", 0),
              StatusIs(kInvalidArgument));
}

TEST_P(StoreContractTest, DisablingADisabledVersionIsANoOp) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK(store_->DisableSecretVersion("app/db", 1));
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->GetChangeCounter());
  EXPECT_OK(store_->DisableSecretVersion("app/db", 1));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(before));
}

TEST_P(StoreContractTest, FailedEncryptStoresNothingAndConsumesNoNumber) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->GetChangeCounter());
  auto failing = [](int64_t) -> absl::StatusOr<EncryptedSecretFields> {
    return absl::InternalError("kek unavailable");
  };
  EXPECT_THAT(store_->AddSecretVersion("app/db", failing),
              StatusIs(absl::StatusCode::kInternal, "kek unavailable"));
  EXPECT_THAT(store_->AddSecretVersion("app/new", failing),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(before));
  EXPECT_THAT(store_->GetSecretVersion("app/new", std::nullopt),
              StatusIs(kNotFound));
  EXPECT_THAT(store_->ListSecrets("app/new"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->AddSecretVersion("app/db", Encrypt("app/db")),
              IsOkAndHolds(2));
}

TEST_P(StoreContractTest, EncryptReturningAnEmptyFieldIsInvalidArgument) {
  for (int field = 0; field < 3; ++field) {
    auto encrypt = [field](int64_t v) -> absl::StatusOr<EncryptedSecretFields> {
      EncryptedSecretFields fields = Fields("app/db", v);
      (field == 0   ? fields.kek_id
       : field == 1 ? fields.wrapped_data_key
                    : fields.ciphertext)
          .clear();
      return fields;
    };
    EXPECT_THAT(store_->AddSecretVersion("app/db", encrypt),
                StatusIs(kInvalidArgument, HasSubstr("is empty")));
  }
  EXPECT_THAT(store_->GetSecretVersion("app/db", std::nullopt),
              StatusIs(kNotFound));
  EXPECT_THAT(store_->AddSecretVersion("", Encrypt("")),
              StatusIs(kInvalidArgument, HasSubstr("secret name is empty")));
}

TEST_P(StoreContractTest, ListSecretsReturnsMetadataForALiteralPrefix) {
  ASSERT_OK(store_->AddSecretVersion("app/db", Encrypt("app/db")).status());
  const absl::Time first = Micros(clock_.Now());
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK(
      store_->AddSecretVersion("app/db", Encrypt("app/db", "b")).status());
  const absl::Time second = Micros(clock_.Now());
  ASSERT_OK(store_->DisableSecretVersion("app/db", 1));
  ASSERT_OK(store_->AddSecretVersion("app/api", Encrypt("app/api")).status());
  ASSERT_OK(store_->AddSecretVersion("apps/x", Encrypt("apps/x")).status());
  ASSERT_OK(store_->AddSecretVersion("ab", Encrypt("ab")).status());
  ASSERT_OK(store_->AddSecretVersion("other", Encrypt("other")).status());

  ASSERT_OK_AND_ASSIGN(std::vector<SecretMetadata> secrets,
                       store_->ListSecrets("app/"));
  EXPECT_THAT(
      secrets,
      ElementsAre(SecretMetadata{"app/api", 1, {{1, true, second, "kek-a"}}},
                  SecretMetadata{"app/db",
                                 2,
                                 {{1, false, first, "kek-a"},
                                  {2, true, second, "kek-b"}}}));
  // "_" and "%" are literal, not LIKE wildcards.
  EXPECT_THAT(store_->ListSecrets("a_"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->ListSecrets("app%"), IsOkAndHolds(IsEmpty()));
  ASSERT_OK_AND_ASSIGN(std::vector<SecretMetadata> all,
                       store_->ListSecrets(""));
  std::vector<std::string> names;
  for (const auto& secret : all) names.push_back(secret.name);
  EXPECT_THAT(names, ElementsAre("ab", "app/api", "app/db", "apps/x", "other"));
  EXPECT_THAT(store_->ListSecrets("zzz"), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreContractTest, ListSecretsHandlesPrefixesEndingInByte0xFF) {
  const std::string high = "k\xff";
  ASSERT_OK(store_->AddSecretVersion(high, Encrypt(high)).status());
  ASSERT_OK(
      store_
          ->AddSecretVersion(high + "\xff" + "x", Encrypt(high + "\xff" + "x"))
          .status());
  ASSERT_OK(store_->AddSecretVersion("l", Encrypt("l")).status());
  ASSERT_OK_AND_ASSIGN(std::vector<SecretMetadata> secrets,
                       store_->ListSecrets(high));
  ASSERT_EQ(secrets.size(), 2u);
  EXPECT_EQ(secrets[0].name, high);
  EXPECT_EQ(secrets[1].name, high + "\xff" + "x");
}

// ---------------------------------------------------------------------------
// KEK rotation

TEST_P(StoreContractTest, ReadAllSecretVersionsReturnsEveryVersionAndCounter) {
  ASSERT_OK(store_->AddSecretVersion("b", Encrypt("b")).status());
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->DisableSecretVersion("a", 1));
  const absl::Time now = Micros(clock_.Now());
  ASSERT_OK_AND_ASSIGN(SecretVersionsSnapshot snapshot,
                       store_->ReadAllSecretVersions());
  EXPECT_EQ(snapshot.change_counter, 4);
  EXPECT_THAT(
      snapshot.versions,
      ElementsAre(SecretVersionRecord{"a", 1, false, now, Fields("a", 1)},
                  SecretVersionRecord{"a", 2, true, now, Fields("a", 2)},
                  SecretVersionRecord{"b", 1, true, now, Fields("b", 1)}));
}

TEST_P(StoreContractTest, RewrapAllSecretsReplacesEveryEnvelopeInOneChange) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->AddSecretVersion("b", Encrypt("b")).status());
  ASSERT_OK(store_->DisableSecretVersion("a", 1));
  const absl::Time created = Micros(clock_.Now());
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(int64_t before, store_->GetChangeCounter());
  int calls = 0;
  ASSERT_OK(
      store_->RewrapAllSecrets([&](const SecretVersionRecord& record)
                                   -> absl::StatusOr<EncryptedSecretFields> {
        ++calls;
        EXPECT_EQ(record.fields, Fields(record.name, record.version));
        return Fields(record.name, record.version, "rotated");
      }));
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(before + 1));
  ASSERT_OK_AND_ASSIGN(SecretVersionsSnapshot after,
                       store_->ReadAllSecretVersions());
  EXPECT_THAT(after.versions,
              ElementsAre(SecretVersionRecord{"a", 1, false, created,
                                              Fields("a", 1, "rotated")},
                          SecretVersionRecord{"a", 2, true, created,
                                              Fields("a", 2, "rotated")},
                          SecretVersionRecord{"b", 1, true, created,
                                              Fields("b", 1, "rotated")}));
}

TEST_P(StoreContractTest, RewrapAllSecretsLosingToAConcurrentChangeIsAborted) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->AddSecretVersion("b", Encrypt("b")).status());
  bool raced = false;
  absl::Status status =
      store_->RewrapAllSecrets([&](const SecretVersionRecord& record)
                                   -> absl::StatusOr<EncryptedSecretFields> {
        if (!raced) {
          raced = true;  // another admin adds a version meanwhile
          EXPECT_THAT(store_->AddSecretVersion("a", Encrypt("a")),
                      IsOkAndHolds(2));
        }
        return Fields(record.name, record.version, "rotated");
      });
  EXPECT_THAT(status, StatusIs(kAborted, HasSubstr("retry")));
  ASSERT_OK_AND_ASSIGN(SecretVersionsSnapshot after,
                       store_->ReadAllSecretVersions());
  ASSERT_EQ(after.versions.size(), 3u);
  for (const SecretVersionRecord& record : after.versions) {
    EXPECT_EQ(record.fields, Fields(record.name, record.version))
        << record.name << "@" << record.version;
  }
  // A retry now succeeds.
  EXPECT_OK(store_->RewrapAllSecrets([](const SecretVersionRecord& record) {
    return absl::StatusOr<EncryptedSecretFields>(
        Fields(record.name, record.version, "rotated"));
  }));
}

TEST_P(StoreContractTest, ReplaceSecretFieldsWithAStaleCounterIsAborted) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK_AND_ASSIGN(SecretVersionsSnapshot snapshot,
                       store_->ReadAllSecretVersions());
  ASSERT_OK(store_->PutTrustBundle("attest.example", "{}"));  // any change
  EXPECT_THAT(
      store_->ReplaceSecretFields(snapshot.change_counter,
                                  {{"a", 1, Fields("a", 1, "rotated")}}),
      StatusIs(kAborted));
  EXPECT_THAT(store_->GetSecretVersion("a", 1),
              IsOkAndHolds(::testing::Field(&SecretVersionRecord::fields,
                                            Fields("a", 1))));
}

TEST_P(StoreContractTest,
       ReplaceSecretFieldsNamingAMissingVersionChangesNothing) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->GetChangeCounter());
  EXPECT_THAT(store_->ReplaceSecretFields(
                  counter, {{"a", 1, Fields("a", 1, "rotated")},
                            {"a", 2, Fields("a", 2, "rotated")}}),
              StatusIs(kNotFound, HasSubstr("no version 2")));
  EXPECT_THAT(store_->ReplaceSecretFields(
                  counter, {{"a", 1, Fields("a", 1, "rotated")},
                            {"zzz", 1, Fields("zzz", 1, "rotated")}}),
              StatusIs(kNotFound, HasSubstr("secret \"zzz\"")));
  EXPECT_THAT(store_->GetSecretVersion("a", 1),
              IsOkAndHolds(::testing::Field(&SecretVersionRecord::fields,
                                            Fields("a", 1))));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(counter));
}

TEST_P(StoreContractTest, ReplaceSecretFieldsRejectsDuplicatesAndEmptyFields) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->GetChangeCounter());
  EXPECT_THAT(
      store_->ReplaceSecretFields(counter, {{"a", 1, Fields("a", 1, "x")},
                                            {"a", 1, Fields("a", 1, "y")}}),
      StatusIs(kInvalidArgument, HasSubstr("listed twice")));
  EncryptedSecretFields empty = Fields("a", 1, "x");
  empty.wrapped_data_key.clear();
  EXPECT_THAT(store_->ReplaceSecretFields(counter, {{"a", 1, empty}}),
              StatusIs(kInvalidArgument, HasSubstr("wrapped_data_key")));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(counter));
}

TEST_P(StoreContractTest, ReplaceSecretFieldsWithNoUpdatesChangesNothing) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->GetChangeCounter());
  EXPECT_OK(store_->ReplaceSecretFields(counter, {}));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(counter));
}

TEST_P(StoreContractTest, FailingRewrapChangesNothing) {
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK(store_->AddSecretVersion("b", Encrypt("b")).status());
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->GetChangeCounter());
  EXPECT_THAT(
      store_->RewrapAllSecrets([](const SecretVersionRecord& record)
                                   -> absl::StatusOr<EncryptedSecretFields> {
        if (record.name == "b") return absl::InternalError("unwrap failed");
        return Fields(record.name, record.version, "rotated");
      }),
      StatusIs(absl::StatusCode::kInternal,
               HasSubstr("secret \"b\" version 1: unwrap failed")));
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(counter));
  EXPECT_THAT(store_->GetSecretVersion("a", 1),
              IsOkAndHolds(::testing::Field(&SecretVersionRecord::fields,
                                            Fields("a", 1))));
}

// ---------------------------------------------------------------------------
// Single-use tokens

TEST_P(StoreContractTest, SecondUseOfATokenIsAlreadyExists) {
  const absl::Time exp = clock_.Now() + absl::Minutes(10);
  EXPECT_OK(store_->RecordTokenUse("attest.example", "jti-1", exp));
  EXPECT_THAT(store_->RecordTokenUse("attest.example", "jti-1", exp),
              StatusIs(kAlreadyExists, HasSubstr("\"jti-1\"")));
}

TEST_P(StoreContractTest, TokenUsesAreKeyedByIssuerAndJti) {
  const absl::Time exp = clock_.Now() + absl::Minutes(10);
  EXPECT_OK(store_->RecordTokenUse("a.example", "jti-1", exp));
  EXPECT_OK(store_->RecordTokenUse("b.example", "jti-1", exp));
  EXPECT_OK(store_->RecordTokenUse("a.example", "jti-2", exp));
}

TEST_P(StoreContractTest, PurgeExpiredTokenUsesRemovesOnlyExpiredOnes) {
  const absl::Time now = clock_.Now();
  ASSERT_OK(store_->RecordTokenUse("iss", "old", now + absl::Seconds(10)));
  ASSERT_OK(store_->RecordTokenUse("iss", "edge", now + absl::Seconds(20)));
  ASSERT_OK(store_->RecordTokenUse("iss", "new", now + absl::Seconds(30)));
  EXPECT_THAT(store_->PurgeExpiredTokenUses(now + absl::Seconds(20)),
              IsOkAndHolds(2));
  EXPECT_THAT(store_->PurgeExpiredTokenUses(now + absl::Seconds(20)),
              IsOkAndHolds(0));
  EXPECT_THAT(store_->RecordTokenUse("iss", "new", now + absl::Seconds(30)),
              StatusIs(kAlreadyExists));
  // After the purge the same jti may be recorded again.
  EXPECT_OK(store_->RecordTokenUse("iss", "old", now + absl::Seconds(40)));
}

TEST_P(StoreContractTest, ExpiredTokenRecordDoesNotBlockEvenBeforePurge) {
  ASSERT_OK(
      store_->RecordTokenUse("iss", "jti", clock_.Now() + absl::Seconds(5)));
  clock_.Advance(absl::Seconds(4));
  EXPECT_THAT(
      store_->RecordTokenUse("iss", "jti", clock_.Now() + absl::Seconds(60)),
      StatusIs(kAlreadyExists));
  clock_.Advance(absl::Seconds(1));  // now == expires_at: expired
  EXPECT_OK(
      store_->RecordTokenUse("iss", "jti", clock_.Now() + absl::Seconds(60)));
  // The new record has the new expiry.
  EXPECT_THAT(
      store_->RecordTokenUse("iss", "jti", clock_.Now() + absl::Seconds(60)),
      StatusIs(kAlreadyExists));
  EXPECT_THAT(store_->PurgeExpiredTokenUses(clock_.Now() + absl::Seconds(59)),
              IsOkAndHolds(0));
}

TEST_P(StoreContractTest, RecordTokenUseRejectsEmptyIssuerOrJti) {
  const absl::Time exp = clock_.Now() + absl::Minutes(1);
  EXPECT_THAT(store_->RecordTokenUse("", "jti", exp),
              StatusIs(kInvalidArgument, HasSubstr("issuer")));
  EXPECT_THAT(store_->RecordTokenUse("iss", "", exp),
              StatusIs(kInvalidArgument, HasSubstr("jti")));
}

TEST_P(StoreContractTest, ConcurrentUsesOfOneTokenLetExactlyOneThrough) {
  const absl::Time exp = clock_.Now() + absl::Minutes(10);
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, already{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      absl::Status status = store_->RecordTokenUse("iss", "jti", exp);
      if (status.ok()) {
        ++ok;
      } else if (status.code() == kAlreadyExists) {
        ++already;
      } else {
        ++other;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(already.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

// ---------------------------------------------------------------------------
// Change counter and snapshots

TEST_P(StoreContractTest, FreshStoreCounterIsZero) {
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(0));
}

TEST_P(StoreContractTest, EveryChangeIncrementsTheCounterByExactlyOne) {
  ContractHelpers h(*store_);
  int64_t expected = 0;
  auto expect_step = [&](const absl::Status& status, const char* what) {
    EXPECT_OK(status) << what;
    EXPECT_EQ(h.Counter(), ++expected) << what;
  };
  expect_step(store_->PutTrustBundle("iss", "{}"), "put trust bundle");
  expect_step(store_->PutTrustBundle("iss", "{\"k\":1}"),
              "replace trust bundle");
  expect_step(store_->DeleteTrustBundle("iss"), "delete trust bundle");
  expect_step(store_->PutRole(Role("web", 3)), "put role");
  expect_step(store_->PutRole(Role("web", 1)), "replace role");
  expect_step(store_->DeleteRole("web"), "delete role");
  expect_step(store_->AddSecretVersion("a", Encrypt("a")).status(),
              "add first version");
  expect_step(store_->AddSecretVersion("a", Encrypt("a")).status(),
              "add second version");
  expect_step(store_->DisableSecretVersion("a", 1), "disable version");
  expect_step(store_->RewrapAllSecrets([](const SecretVersionRecord& r) {
    return absl::StatusOr<EncryptedSecretFields>(
        Fields(r.name, r.version, "rotated"));
  }),
              "rewrap");
}

TEST_P(StoreContractTest, ReadsFailuresAndTokenRecordsLeaveTheCounterAlone) {
  ASSERT_OK(store_->PutTrustBundle("iss", "{}"));
  ASSERT_OK(store_->PutRole(Role("web")));
  ASSERT_OK(store_->AddSecretVersion("a", Encrypt("a")).status());
  ASSERT_OK_AND_ASSIGN(const int64_t counter, store_->GetChangeCounter());
  ASSERT_EQ(counter, 3);

  EXPECT_OK(store_->ListTrustBundles().status());
  EXPECT_OK(store_->GetRole("web").status());
  EXPECT_OK(store_->ListRoles().status());
  EXPECT_OK(store_->GetSecretVersion("a", std::nullopt).status());
  EXPECT_OK(store_->ListSecrets("").status());
  EXPECT_OK(store_->ReadAllSecretVersions().status());
  EXPECT_OK(store_->LoadSnapshot().status());
  EXPECT_THAT(store_->DeleteTrustBundle("nobody"), StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteRole("nobody"), StatusIs(kNotFound));
  EXPECT_THAT(store_->DisableSecretVersion("a", 9), StatusIs(kNotFound));
  EXPECT_THAT(store_->PutRole(Role("")), StatusIs(kInvalidArgument));
  EXPECT_OK(
      store_->RecordTokenUse("iss", "jti", clock_.Now() + absl::Hours(1)));
  EXPECT_OK(
      store_->PurgeExpiredTokenUses(clock_.Now() + absl::Hours(2)).status());
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(counter));
}

TEST_P(StoreContractTest, LoadSnapshotReturnsCounterRolesAndTrustBundles) {
  ASSERT_OK(store_->PutTrustBundle("b.example", "{\"b\":1}"));
  ASSERT_OK(store_->PutTrustBundle("a.example", "{\"a\":1}"));
  ASSERT_OK(store_->PutRole(Role("web", 2)));
  ASSERT_OK(store_->PutRole(Role("api", 1)));
  ASSERT_OK(store_->AddSecretVersion("s", Encrypt("s")).status());
  const absl::Time now = Micros(clock_.Now());
  ASSERT_OK_AND_ASSIGN(StoreSnapshot snapshot, store_->LoadSnapshot());
  EXPECT_EQ(snapshot.change_counter, 5);
  RoleRecord api = Role("api", 1), web = Role("web", 2);
  api.updated_at = web.updated_at = now;
  EXPECT_THAT(snapshot.roles, ElementsAre(api, web));
  EXPECT_THAT(snapshot.trust_bundles,
              ElementsAre(TrustBundleRecord{"a.example", "{\"a\":1}", now},
                          TrustBundleRecord{"b.example", "{\"b\":1}", now}));
}

// A writer alternates trust bundle and role puts, each carrying the
// iteration number; every snapshot taken meanwhile must match its counter.
TEST_P(StoreContractTest, SnapshotsAreConsistentWithTheirCounter) {
  constexpr int kIterations = 60;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= kIterations; ++i) {
      EXPECT_OK(store_->PutTrustBundle("iss", absl::StrCat(i)));
      EXPECT_OK(store_->PutRole(Role("role", 2, absl::StrCat(i))));
    }
    done = true;
  });
  std::vector<std::string> failures;
  int snapshots = 0;
  while (!done.load() || snapshots == 0) {
    absl::StatusOr<StoreSnapshot> snapshot = store_->LoadSnapshot();
    if (!snapshot.ok()) {
      failures.push_back(snapshot.status().ToString());
      break;
    }
    ++snapshots;
    const int64_t c = snapshot->change_counter;
    const int64_t bundle_i = (c + 1) / 2;  // bundle puts are changes 1, 3, 5…
    const int64_t role_i = c / 2;          // role puts are changes 2, 4, 6…
    const std::string want_bundle = bundle_i == 0 ? "" : absl::StrCat(bundle_i);
    const std::string got_bundle = snapshot->trust_bundles.empty()
                                       ? ""
                                       : snapshot->trust_bundles[0].jwks_json;
    if (got_bundle != want_bundle || snapshot->trust_bundles.size() > 1) {
      failures.push_back(absl::StrCat("counter ", c, ": bundle ", got_bundle));
    }
    if (role_i == 0) {
      if (!snapshot->roles.empty()) {
        failures.push_back(absl::StrCat("counter ", c, ": unexpected role"));
      }
    } else if (snapshot->roles.size() != 1 || snapshot->roles[0] != [&] {
                 RoleRecord want = Role("role", 2, absl::StrCat(role_i));
                 want.updated_at = snapshot->roles[0].updated_at;
                 return want;
               }()) {
      failures.push_back(absl::StrCat("counter ", c, ": role does not match"));
    }
    if (failures.size() > 5) break;
  }
  writer.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_GT(snapshots, 0);
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(2 * kIterations));
}

// ---------------------------------------------------------------------------
// Concurrent writers

// Runs `per_thread` AddSecretVersion calls on "shared" from each store in
// `stores` (threads_per_store threads each) and checks that the versions
// are exactly 1..N, each returned once, each stored with its own envelope.
void ExpectDistinctGaplessVersions(const std::vector<Store*>& stores,
                                   int threads_per_store, int per_thread) {
  std::mutex mu;
  std::vector<int64_t> versions;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (Store* store : stores) {
    for (int t = 0; t < threads_per_store; ++t) {
      threads.emplace_back([&, store] {
        for (int i = 0; i < per_thread; ++i) {
          absl::StatusOr<int64_t> v =
              store->AddSecretVersion("shared", Encrypt("shared"));
          std::lock_guard<std::mutex> lock(mu);
          if (v.ok()) {
            versions.push_back(*v);
          } else {
            errors.push_back(v.status().ToString());
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  ASSERT_THAT(errors, IsEmpty());
  const int64_t total =
      static_cast<int64_t>(stores.size()) * threads_per_store * per_thread;
  std::sort(versions.begin(), versions.end());
  std::vector<int64_t> expected(total);
  for (int64_t i = 0; i < total; ++i) expected[i] = i + 1;
  EXPECT_EQ(versions, expected);
  for (Store* store : stores) {
    ASSERT_OK_AND_ASSIGN(std::vector<SecretMetadata> listed,
                         store->ListSecrets("shared"));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].latest_version, total);
    EXPECT_EQ(listed[0].versions.size(), static_cast<size_t>(total));
    ASSERT_OK_AND_ASSIGN(SecretVersionRecord newest,
                         store->GetSecretVersion("shared", std::nullopt));
    EXPECT_EQ(newest.version, total);
    EXPECT_EQ(newest.fields, Fields("shared", total));
  }
}

TEST_P(StoreContractTest, ConcurrentWritersGetDistinctGaplessVersions) {
  ExpectDistinctGaplessVersions({store_.get()}, /*threads_per_store=*/8,
                                /*per_thread=*/15);
  EXPECT_THAT(store_->GetChangeCounter(), IsOkAndHolds(8 * 15));
}

TEST_P(StoreContractTest, TwoInstancesGetDistinctGaplessVersions) {
  absl::StatusOr<std::unique_ptr<Store>> other = factory_->OpenAnother(clock_);
  if (other.status().code() == absl::StatusCode::kUnimplemented) {
    GTEST_SKIP() << "this backend has no second instance";
  }
  ASSERT_OK(other.status());
  ExpectDistinctGaplessVersions({store_.get(), other->get()},
                                /*threads_per_store=*/4, /*per_thread=*/15);
}

TEST_P(StoreContractTest, ChangeThroughOneInstanceIsSeenByAnother) {
  absl::StatusOr<std::unique_ptr<Store>> other = factory_->OpenAnother(clock_);
  if (other.status().code() == absl::StatusCode::kUnimplemented) {
    GTEST_SKIP() << "this backend has no second instance";
  }
  ASSERT_OK(other.status());
  ASSERT_OK_AND_ASSIGN(int64_t before, (*other)->GetChangeCounter());
  ASSERT_OK(store_->PutRole(Role("web")));
  EXPECT_THAT((*other)->GetChangeCounter(), IsOkAndHolds(before + 1));
  EXPECT_OK((*other)->GetRole("web").status());
  const absl::Time exp = clock_.Now() + absl::Minutes(1);
  ASSERT_OK(store_->RecordTokenUse("iss", "jti", exp));
  EXPECT_THAT((*other)->RecordTokenUse("iss", "jti", exp),
              StatusIs(kAlreadyExists));
}

}  // namespace
}  // namespace testing
}  // namespace secretd
