// Fuzzes Broker::Provision with arbitrary ProvisionRequest messages against a
// fixed state (MemoryStore, FakeClock, TestIssuer). A token field of exactly
// "VALID" is replaced by a freshly minted valid token, so mutations of the
// role and the names also reach the policy, store and release steps.
//
// Properties checked on every input:
//   - exactly one audit record per call, whose request id, status and
//     decision agree with the answer;
//   - the status is one of the six codes of DESIGN.md §4;
//   - OK <=> decision "allow" <=> reason "ok" <=> a bundle and signature
//     that verify with the release key and open to exactly the requested
//     names; anything else releases nothing (empty response);
//   - the client message names the request id and never the audit reason.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/testing/fake_clock.h"
#include "keys/ed25519.h"
#include "keys/kek.h"
#include "keys/secret_bytes.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/test_tokens.h"
#include "keys/x25519.h"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/broker/broker.h"
#include "secretd/broker/state_cache.h"
#include "secretd/keyring/keyring.h"
#include "secretd/names/secret_name.h"
#include "secretd/store/testing/memory_store.h"
#include "secretd/vault/secret_vault.h"

namespace {

constexpr char kAudience[] = "secretd.fuzz";
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Attestor":["attest.test"]},
   "Action":"secretd:AssumeRole"}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"},
  {"Effect":"Deny","Action":"secrets:Get","Resource":"secret/app/forbidden"}]})";

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "provision_fuzzer: property failed: %s\n", what);
    abort();
  }
}

// Counts records and keeps the last one (the fuzzer runs for many inputs).
class CountingSink final : public secretd::audit::AuditSink {
 public:
  absl::Status Append(const secretd::audit::Record& record) override {
    ++count;
    last = record;
    return absl::OkStatus();
  }
  bool Healthy() const override { return true; }
  size_t count = 0;
  secretd::audit::Record last;
};

class Keys final : public secretd::BrokerKeySource {
 public:
  explicit Keys(keys::RandomSource& random)
      : release_(keys::Ed25519Signer::Generate(random)),
        set_(*secretd::KeySet::Create(keys::Kek::Generate(random), {},
                                      absl::Seconds(300))) {}
  std::shared_ptr<const secretd::KeySet> Current() const override {
    return set_;
  }
  const keys::Ed25519Signer& release_signer() const override {
    return *release_;
  }
  absl::Status Reload() override { return absl::OkStatus(); }

 private:
  std::unique_ptr<keys::Ed25519Signer> release_;
  std::shared_ptr<const secretd::KeySet> set_;
};

struct Fixture {
  Fixture() {
    common::log::SetMinLevel(common::log::Level::kError);
    store.PutTrustBundle(issuer.issuer(), issuer.jwks()->ToJson().dump())
        .IgnoreError();
    secretd::RoleRecord role;
    role.name = "web";
    role.trust_policy = {"trust.json", kTrust};
    role.permission_policies = {{"read.json", kRead}};
    store.PutRole(role).IgnoreError();
    role.name = "once";
    role.single_use_tokens = true;
    store.PutRole(role).IgnoreError();
    secretd::SecretVault vault(store, keys.Current()->ring, random);
    for (const char* name : {"app/db/password", "app/tls", "app/tls",
                             "app/forbidden", "other/x"}) {
      vault.Put(name, keys::SecretBytes::CopyFrom(absl::StrCat("v-", name)))
          .IgnoreError();
    }
    cache.Refresh(true).IgnoreError();
    secretd::BrokerOptions options;
    options.audience = kAudience;
    broker = std::make_unique<secretd::Broker>(options, cache, keys, store,
                                               sink, clock, random);
    verifier =
        *keys::Ed25519Verifier::Create(keys.release_signer().public_key());
  }
  std::string ValidToken() {
    return issuer.Sign(issuer.Claims(clock, kAudience,
                                     broker->GetChallenge().challenge(),
                                     pair.public_key()));
  }

  common::testing::FakeClock clock{absl::FromUnixSeconds(1764139305)};
  keys::testing::FakeRandom random{7};
  secretd::testing::MemoryStore store{clock};
  CountingSink sink;
  Keys keys{random};
  secretd::StateCache cache{store, clock};
  keys::testing::TestIssuer issuer;
  keys::X25519KeyPair pair = keys::X25519KeyPair::Generate(random);
  std::unique_ptr<secretd::Broker> broker;
  std::unique_ptr<keys::Ed25519Verifier> verifier;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  secretd::v1::ProvisionRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (request.attestation_token() == "VALID") {
    request.set_attestation_token(f->ValidToken());
  }
  const size_t before = f->sink.count;
  secretd::ProvisionOutcome out = f->broker->Provision(request, {"10.0.0.1"});
  Check(f->sink.count == before + 1, "exactly one audit record");
  const secretd::audit::Record& r = f->sink.last;
  Check(r.request_id == out.request_id, "record names the request id");
  Check(r.fields.value("status", "") ==
            absl::StatusCodeToString(out.status.code()),
        "record status is the answer's");
  Check(r.fields.value("reason", "") == out.reason,
        "record reason is the outcome's");

  const absl::StatusCode code = out.status.code();
  Check(code == absl::StatusCode::kOk ||
            code == absl::StatusCode::kInvalidArgument ||
            code == absl::StatusCode::kUnauthenticated ||
            code == absl::StatusCode::kPermissionDenied ||
            code == absl::StatusCode::kResourceExhausted ||
            code == absl::StatusCode::kUnavailable,
        "status is one of DESIGN.md §4");
  const bool ok = out.status.ok();
  Check(ok == (out.decision == "allow"), "OK iff allow");
  Check(ok == (out.reason == "ok"), "OK iff reason ok");
  if (!ok) {
    Check(out.response.sealed_bundle().empty() &&
              out.response.signature().empty(),
          "nothing released on refusal");
    Check(r.fields.at("released").empty(), "record releases nothing");
    Check(absl::StrContains(out.status.message(),
                            absl::StrCat("(request ", out.request_id, ")")),
          "client message names the request id");
    // (Unless the caller wrote it: messages quote the role and names.)
    std::string echoed = request.role();
    for (const std::string& name : request.secrets()) echoed += name;
    Check(!absl::StrContains(out.status.message(), out.reason) ||
              absl::StrContains(echoed, out.reason),
          "client message does not carry the reason");
    return 0;
  }
  Check(f->verifier
            ->Verify(absl::StrCat(std::string("secretd-release-v1\0", 19),
                                  f->pair.public_key(),
                                  out.response.sealed_bundle()),
                     out.response.signature())
            .ok(),
        "release signature verifies");
  auto opened = keys::OpenSealed(f->pair, out.response.sealed_bundle());
  Check(opened.ok(), "bundle opens with the token's key");
  secretd::v1::SecretBundle bundle;
  Check(bundle.ParseFromString(std::string(
            opened->AsStringView(keys::InsecureSecretAccess::Get()))),
        "bundle parses");
  Check(bundle.request_id() == out.request_id, "bundle request id");
  Check(bundle.role() == request.role(), "bundle role");
  Check(bundle.secrets_size() == request.secrets_size(), "bundle size");
  for (int i = 0; i < bundle.secrets_size(); ++i) {
    auto ref = secretd::ParseSecretRef(request.secrets(i));
    Check(ref.ok() && bundle.secrets(i).name() == ref->name,
          "bundle names the requested secrets in order");
    Check(!ref->version.has_value() ||
              bundle.secrets(i).version() == *ref->version,
          "a pinned version is the one released");
    Check(bundle.secrets(i).value() == absl::StrCat("v-", ref->name),
          "the value is the stored one");
  }
  return 0;
}
