// The cost of one Provision inside the process, next to the three crypto
// operations it cannot avoid, measured in one binary:
//
//   bazel run -c opt //tests/bench/broker:provision_bench
//
//   BM_Crypto/token_verify    TokenVerifier::Verify of an EdDSA token (the
//                             signature check plus parsing)
//   BM_Crypto/ed25519_verify  the signature check alone
//                             (keys::Ed25519Verifier)
//   BM_Crypto/seal            keys::SealTo of a one-secret bundle
//   BM_Crypto/release_sign    keys::Ed25519Signer::Sign of the release
//                             message
//   BM_Provision/N            Broker::Provision of N secrets, with an
//                             in-memory store and an audit sink that only
//                             keeps the record (no file, no fsync, no gRPC)
//   BM_ProvisionColdCache     BM_Provision/1 with the CPU caches flushed
//                             before every call (the server's case)
//   BM_CryptoSum/cold:0|1     verify + seal + sign in a row, hot and cold
//   BM_AuditLine              serialising that audit record as a line
//
// The e2e load test (run_load.sh) adds gRPC, TLS, SQLite and the audit file;
// docs/broker.md puts the figures side by side.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/logging.h"
#include "common/testing/fake_clock.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "keys/testing/test_tokens.h"
#include "keys/token_verifier.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/audit/record.h"
#include "secretd/broker/broker.h"
#include "secretd/broker/bundle.h"
#include "secretd/broker/state_cache.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/testing/memory_store.h"
#include "secretd/vault/secret_vault.h"

namespace secretd {
namespace {

constexpr char kAudience[] = "secretd.bench";
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"BenchInstances","Effect":"Allow","Principal":{"Attestor":["attest.test"]},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringLike":{"claim:image_id":"ami-0*"},
                "StringEquals":{"claim:tags/env":"bench"},
                "NumericLessThan":{"secretd:TokenAge":300}}}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"App","Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/bench/*"},
  {"Sid":"NeverRoot","Effect":"Deny","Action":"secrets:*","Resource":"secret/*/root"}]})";

// Keeps the last record only: the cost of building it, not of storing it.
class DiscardingSink final : public audit::AuditSink {
 public:
  absl::Status Append(const audit::Record& record) override {
    last_ = record;
    return absl::OkStatus();
  }
  bool Healthy() const override { return true; }
  const audit::Record& last() const { return last_; }

 private:
  audit::Record last_;
};

class StaticKeys final : public BrokerKeySource {
 public:
  explicit StaticKeys(keys::RandomSource& random)
      : release_(keys::Ed25519Signer::Generate(random)),
        set_(*KeySet::Create(keys::Kek::Generate(random), {},
                             absl::Seconds(300))) {}
  std::shared_ptr<const KeySet> Current() const override { return set_; }
  const keys::Ed25519Signer& release_signer() const override {
    return *release_;
  }
  absl::Status Reload() override { return absl::OkStatus(); }

 private:
  std::unique_ptr<keys::Ed25519Signer> release_;
  std::shared_ptr<const KeySet> set_;
};

struct Fixture {
  Fixture() {
    // Log lines are formatted (part of the cost) but not written.
    common::log::SetSink([](absl::string_view) {});
    store.PutTrustBundle(issuer.issuer(), issuer.jwks()->ToJson().dump())
        .IgnoreError();
    RoleRecord role;
    role.name = "bench";
    role.trust_policy = {"trust.json", kTrust};
    role.permission_policies = {{"read.json", kRead}};
    store.PutRole(role).IgnoreError();
    SecretVault vault(store, keys.Current()->ring, random);
    for (int i = 1; i <= 8; ++i) {
      vault
          .Put(absl::StrCat("app/bench/s", i),
               keys::RandomSecretBytes(random, 64))
          .IgnoreError();
    }
    cache.Refresh(true).IgnoreError();
    BrokerOptions options;
    options.audience = kAudience;
    broker = std::make_unique<Broker>(options, cache, keys, store, sink, clock,
                                      random);
  }
  std::string Token() {
    nlohmann::json claims =
        issuer.Claims(clock, kAudience, broker->GetChallenge().challenge(),
                      pair.public_key());
    claims["image_id"] = "ami-0bench";
    claims["tags"] = {{"env", "bench"}};
    return issuer.Sign(claims);
  }

  common::testing::FakeClock clock{absl::FromUnixSeconds(1764139305)};
  keys::SystemRandom random;
  testing::MemoryStore store{clock};
  DiscardingSink sink;
  StaticKeys keys{random};
  StateCache cache{store, clock};
  keys::testing::TestIssuer issuer;
  keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
  std::unique_ptr<Broker> broker;
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_TokenVerify(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string token = f.Token();
  auto state_snapshot = f.cache.Current();
  keys::TokenVerifier verifier(
      [&](absl::string_view iss) {
        return state_snapshot->FindTrustBundle(iss);
      },
      f.clock);
  keys::TokenVerifierOptions options;
  options.audience = kAudience;
  auto key_set = f.keys.Current();
  options.nonce_check = [&](absl::string_view n) {
    return key_set->challenge.Check(n, f.clock);
  };
  for (auto _ : state) {
    auto claims = verifier.Verify(token, options);
    if (!claims.ok()) state.SkipWithError("token rejected");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_TokenVerify)->Name("BM_Crypto/token_verify");

void BM_Ed25519Verify(benchmark::State& state) {
  keys::SystemRandom random;
  auto signer = keys::Ed25519Signer::Generate(random);
  const std::string message(600, 'm');  // a token's signing input
  const std::string sig = *signer->Sign(message);
  auto verifier = *keys::Ed25519Verifier::Create(signer->public_key());
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier->Verify(message, sig));
  }
}
BENCHMARK(BM_Ed25519Verify)->Name("BM_Crypto/ed25519_verify");

// The size of a real one-secret bundle (the plaintext SealTo gets).
size_t OneSecretBundleSize() {
  BundleHeader h;
  h.request_id = std::string(16, 'r');
  h.role = "bench";
  h.subject = "i-0123456789";
  h.token_id = std::string(22, 'j');
  h.token_sha256 = std::string(32, 't');
  h.issued_at = 1764139305;
  h.expires_at = 1764142905;
  std::vector<BundleSecret> s;
  s.push_back({"app/bench/s1", 1, keys::SecretBytes(64)});
  return EncodeSecretBundle(h, s).size();
}

void BM_Seal(benchmark::State& state) {
  const keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
  const std::string plaintext(OneSecretBundleSize(), 'p');
  for (auto _ : state) {
    benchmark::DoNotOptimize(keys::SealTo(pair.public_key(), plaintext));
  }
  state.SetLabel(absl::StrCat(plaintext.size(), " B"));
}
BENCHMARK(BM_Seal)->Name("BM_Crypto/seal");

void BM_ReleaseSign(benchmark::State& state) {
  keys::SystemRandom random;
  auto signer = keys::Ed25519Signer::Generate(random);
  const std::string message = ReleaseSignatureMessage(
      std::string(32, 'k'),
      std::string(OneSecretBundleSize() + keys::kSealOverhead, 's'));
  for (auto _ : state) benchmark::DoNotOptimize(signer->Sign(message));
}
BENCHMARK(BM_ReleaseSign)->Name("BM_Crypto/release_sign");

void BM_Provision(benchmark::State& state) {
  Fixture& f = Shared();
  secretd::v1::ProvisionRequest request;
  request.set_attestation_token(f.Token());
  request.set_role("bench");
  for (int i = 1; i <= state.range(0); ++i) {
    request.add_secrets(absl::StrCat("app/bench/s", i));
  }
  for (auto _ : state) {
    ProvisionOutcome out = f.broker->Provision(request, {"10.0.0.7"});
    if (!out.status.ok()) state.SkipWithError("provision failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Provision)->Arg(1)->Arg(4)->Arg(8);

// The same with the CPU caches cold, as a server handling one call at a
// time between other work finds them: 64 MiB (more than this machine's
// caches) written between calls, outside the timing. The difference to
// BM_Provision/1 is what cache misses add to one call.
void BM_ProvisionColdCache(benchmark::State& state) {
  Fixture& f = Shared();
  secretd::v1::ProvisionRequest request;
  request.set_attestation_token(f.Token());
  request.set_role("bench");
  request.add_secrets("app/bench/s1");
  std::vector<char> evict(64 << 20);
  for (auto _ : state) {
    state.PauseTiming();
    for (size_t i = 0; i < evict.size(); i += 64) evict[i] += 1;
    benchmark::DoNotOptimize(evict.data());
    state.ResumeTiming();
    ProvisionOutcome out = f.broker->Provision(request, {"10.0.0.7"});
    if (!out.status.ok()) state.SkipWithError("provision failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ProvisionColdCache);

// The three crypto operations of one call (verify, seal, sign) in a row,
// hot and with the caches flushed first like BM_ProvisionColdCache.
void BM_CryptoSum(benchmark::State& state) {
  const bool cold = state.range(0) != 0;
  keys::SystemRandom random;
  auto token_signer = keys::Ed25519Signer::Generate(random);
  const std::string message(600, 'm');
  const std::string sig = *token_signer->Sign(message);
  auto verifier = *keys::Ed25519Verifier::Create(token_signer->public_key());
  const keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
  const std::string plaintext(OneSecretBundleSize(), 'p');
  auto release = keys::Ed25519Signer::Generate(random);
  std::vector<char> evict(cold ? 64 << 20 : 0);
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      for (size_t i = 0; i < evict.size(); i += 64) evict[i] += 1;
      benchmark::DoNotOptimize(evict.data());
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(verifier->Verify(message, sig));
    absl::StatusOr<std::string> sealed =
        keys::SealTo(pair.public_key(), plaintext);
    benchmark::DoNotOptimize(
        release->Sign(ReleaseSignatureMessage(pair.public_key(), *sealed)));
  }
}
BENCHMARK(BM_CryptoSum)->ArgName("cold")->Arg(0)->Arg(1);

void BM_AuditLine(benchmark::State& state) {
  Fixture& f = Shared();
  secretd::v1::ProvisionRequest request;
  request.set_attestation_token(f.Token());
  request.set_role("bench");
  request.add_secrets("app/bench/s1");
  (void)f.broker->Provision(request, {"10.0.0.7"});
  const audit::Record record = f.sink.last();
  audit::Sha256 prev{};
  uint64_t seq = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(audit::SerializeLine(
        record, seq++, absl::FromUnixSeconds(1764139305), "bench-1", prev));
  }
}
BENCHMARK(BM_AuditLine);

}  // namespace
}  // namespace secretd
