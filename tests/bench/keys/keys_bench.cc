// keys/ wrappers against the raw library calls they wrap, in one binary, so
// the wrapper overhead can be read off (target: at most 10%).
//
//   bazel run -c opt //tests/bench/keys:keys_bench
//
// Pairs: BM_<Op>/raw and BM_<Op>/keys. Raw calls use preallocated output
// buffers and prebuilt keys, as a careful direct caller would; the wrappers
// do their own validation and allocate their results (SecretBytes for
// plaintexts). BM_TokenVerify* is the whole DESIGN.md §3 token check, for
// scale (no raw counterpart).
#include <sodium.h>

#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "keys/ecdsa.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/envelope.h"
#include "keys/internal/openssl.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "keys/rsa.h"
#include "keys/token_verifier.h"
#include "keys/x25519.h"

namespace keys {
namespace {

const std::string& Message() {
  // About the size of a token's signing input.
  static const std::string* m = new std::string(600, 'm');
  return *m;
}

// --- Signature verification -------------------------------------------------

void BM_Ed25519Verify_Raw(benchmark::State& state) {
  SystemRandom random;
  auto signer = Ed25519Signer::Generate(random);
  const std::string sig = signer->Sign(Message()).value();
  const auto* pk =
      reinterpret_cast<const uint8_t*>(signer->public_key().data());
  for (auto _ : state) {
    int rc = crypto_sign_verify_detached(
        reinterpret_cast<const uint8_t*>(sig.data()),
        reinterpret_cast<const uint8_t*>(Message().data()), Message().size(),
        pk);
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_Ed25519Verify_Raw)->Name("BM_Ed25519Verify/raw");

void BM_Ed25519Verify_Keys(benchmark::State& state) {
  SystemRandom random;
  auto signer = Ed25519Signer::Generate(random);
  const std::string sig = signer->Sign(Message()).value();
  auto verifier = Ed25519Verifier::Create(signer->public_key()).value();
  for (auto _ : state) {
    absl::Status s = verifier->Verify(Message(), sig);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Ed25519Verify_Keys)->Name("BM_Ed25519Verify/keys");

void BM_Es256Verify_Raw(benchmark::State& state) {
  auto signer = EcdsaP256Signer::Generate().value();
  const std::string der =
      EcdsaRawToDer(signer->Sign(Message()).value()).value();
  auto pkey = internal::MakeP256PublicKey(signer->x(), signer->y()).value();
  for (auto _ : state) {
    internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get());
    int rc = EVP_DigestVerify(
        ctx.get(), reinterpret_cast<const uint8_t*>(der.data()), der.size(),
        reinterpret_cast<const uint8_t*>(Message().data()), Message().size());
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_Es256Verify_Raw)->Name("BM_Es256Verify/raw");

void BM_Es256Verify_Keys(benchmark::State& state) {
  auto signer = EcdsaP256Signer::Generate().value();
  const std::string sig = signer->Sign(Message()).value();
  auto verifier = EcdsaP256Verifier::Create(signer->x(), signer->y()).value();
  for (auto _ : state) {
    absl::Status s = verifier->Verify(Message(), sig);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Es256Verify_Keys)->Name("BM_Es256Verify/keys");

void BM_Rs256Verify_Raw(benchmark::State& state) {
  auto signer = Rs256Signer::Generate(2048).value();
  const std::string sig = signer->Sign(Message()).value();
  auto pkey = internal::MakeRsaPublicKey(signer->n(), signer->e()).value();
  for (auto _ : state) {
    internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get());
    int rc = EVP_DigestVerify(
        ctx.get(), reinterpret_cast<const uint8_t*>(sig.data()), sig.size(),
        reinterpret_cast<const uint8_t*>(Message().data()), Message().size());
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_Rs256Verify_Raw)->Name("BM_Rs256Verify/raw");

void BM_Rs256Verify_Keys(benchmark::State& state) {
  auto signer = Rs256Signer::Generate(2048).value();
  const std::string sig = signer->Sign(Message()).value();
  auto verifier = Rs256Verifier::Create(signer->n(), signer->e()).value();
  for (auto _ : state) {
    absl::Status s = verifier->Verify(Message(), sig);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_Rs256Verify_Keys)->Name("BM_Rs256Verify/keys");

// --- Sealed boxes (1 KiB bundle) ---------------------------------------------

constexpr size_t kBundle = 1024;

void BM_Seal_Raw(benchmark::State& state) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  const std::string bundle(kBundle, 'b');
  std::string out(kBundle + kSealOverhead, '\0');
  for (auto _ : state) {
    int rc = crypto_box_seal(
        reinterpret_cast<uint8_t*>(out.data()),
        reinterpret_cast<const uint8_t*>(bundle.data()), bundle.size(),
        reinterpret_cast<const uint8_t*>(pair.public_key().data()));
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_Seal_Raw)->Name("BM_Seal/raw");

void BM_Seal_Keys(benchmark::State& state) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  const std::string bundle(kBundle, 'b');
  for (auto _ : state) {
    auto sealed = SealTo(pair.public_key(), bundle);
    benchmark::DoNotOptimize(sealed);
  }
}
BENCHMARK(BM_Seal_Keys)->Name("BM_Seal/keys");

void BM_Open_Raw(benchmark::State& state) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  const std::string sealed =
      SealTo(pair.public_key(), std::string(kBundle, 'b')).value();
  const SecretAccess access = InsecureSecretAccess::Get();
  std::string out(kBundle, '\0');
  for (auto _ : state) {
    int rc = crypto_box_seal_open(
        reinterpret_cast<uint8_t*>(out.data()),
        reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size(),
        reinterpret_cast<const uint8_t*>(pair.public_key().data()),
        pair.private_key(access).data(access));
    benchmark::DoNotOptimize(rc);
  }
}
BENCHMARK(BM_Open_Raw)->Name("BM_Open/raw");

void BM_Open_Keys(benchmark::State& state) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  const std::string sealed =
      SealTo(pair.public_key(), std::string(kBundle, 'b')).value();
  for (auto _ : state) {
    auto opened = OpenSealed(pair, sealed);
    benchmark::DoNotOptimize(opened);
  }
}
BENCHMARK(BM_Open_Keys)->Name("BM_Open/keys");

// --- Envelope decrypt (value size = argument) -------------------------------

void BM_EnvelopeDecrypt_Raw(benchmark::State& state) {
  SystemRandom random;
  Kek kek = Kek::Generate(random);
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  EncryptedSecret row =
      EncryptSecret(kek, "app/db/password", 3, value, random).value();
  const std::string aad = SecretAad("app/db/password", 3).value();
  const SecretAccess access = InsecureSecretAccess::Get();
  const uint8_t* kek_bytes = kek.key(access).data(access);
  uint8_t data_key[32];
  std::string out(value.size(), '\0');
  constexpr size_t kNonce = 24;
  for (auto _ : state) {
    const auto* w =
        reinterpret_cast<const uint8_t*>(row.wrapped_data_key.data());
    int rc1 = crypto_aead_xchacha20poly1305_ietf_decrypt(
        data_key, nullptr, nullptr, w + kNonce,
        row.wrapped_data_key.size() - kNonce,
        reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), w, kek_bytes);
    const auto* c = reinterpret_cast<const uint8_t*>(row.ciphertext.data());
    int rc2 = crypto_aead_xchacha20poly1305_ietf_decrypt(
        reinterpret_cast<uint8_t*>(out.data()), nullptr, nullptr, c + kNonce,
        row.ciphertext.size() - kNonce,
        reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), c, data_key);
    benchmark::DoNotOptimize(rc1 + rc2);
  }
  sodium_memzero(data_key, sizeof(data_key));
}
BENCHMARK(BM_EnvelopeDecrypt_Raw)
    ->Name("BM_EnvelopeDecrypt/raw")
    ->Arg(64)
    ->Arg(4096);

void BM_EnvelopeDecrypt_Keys(benchmark::State& state) {
  SystemRandom random;
  Kek kek = Kek::Generate(random);
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  EncryptedSecret row =
      EncryptSecret(kek, "app/db/password", 3, value, random).value();
  for (auto _ : state) {
    auto plaintext = DecryptSecret(kek, "app/db/password", 3, row);
    benchmark::DoNotOptimize(plaintext);
  }
}
BENCHMARK(BM_EnvelopeDecrypt_Keys)
    ->Name("BM_EnvelopeDecrypt/keys")
    ->Arg(64)
    ->Arg(4096);

// --- The whole token check, per algorithm (for scale) ----------------------

class StillClock final : public common::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1700000000); }
};

void BM_TokenVerify(benchmark::State& state, SignatureAlgorithm alg) {
  SystemRandom random;
  Jwk key = Jwk::Generate(alg, "k", random).value();
  auto jwks = std::make_shared<const Jwks>(Jwks::FromKeys({key}).value());
  X25519KeyPair pair = X25519KeyPair::Generate();
  nlohmann::json claims = {{"iss", "attest.bench"},
                           {"sub", "i-1"},
                           {"aud", "secretd"},
                           {"iat", 1700000000},
                           {"exp", 1700000300},
                           {"jti", "j"},
                           {"nonce", "n"},
                           {"cnf",
                            {{"jwk",
                              {{"kty", "OKP"},
                               {"crv", "X25519"},
                               {"x", Base64UrlEncode(pair.public_key())}}}}}};
  const std::string token = SignJwt(**key.signer(), "k", claims).value();
  StillClock clock;
  TokenVerifier verifier([jwks](absl::string_view) { return jwks; }, clock);
  TokenVerifierOptions options;
  options.audience = "secretd";
  options.nonce_check = [](absl::string_view) { return absl::OkStatus(); };
  for (auto _ : state) {
    auto verified = verifier.Verify(token, options);
    if (!verified.ok()) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK_CAPTURE(BM_TokenVerify, EdDSA, SignatureAlgorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_TokenVerify, ES256, SignatureAlgorithm::kES256);
BENCHMARK_CAPTURE(BM_TokenVerify, RS256, SignatureAlgorithm::kRS256);

}  // namespace
}  // namespace keys
