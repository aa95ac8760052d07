#include "keys/ecdsa.h"

#include <openssl/core_names.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace keys {

using internal::BignumPtr;
using internal::EcdsaSigPtr;
using internal::ErrorQueueGuard;
using internal::OpenSslError;

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der) {
  ErrorQueueGuard guard;
  const auto* p = reinterpret_cast<const uint8_t*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr ||
      p != reinterpret_cast<const uint8_t*>(der.data()) + der.size()) {
    return absl::InvalidArgumentError("ECDSA signature is not valid DER");
  }
  // Re-encoding must give the same bytes: this refuses BER forms (long
  // lengths, leading zeros, ...) that d2i tolerates.
  uint8_t* reencoded = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &reencoded);
  const bool canonical =
      len > 0 && static_cast<size_t>(len) == der.size() &&
      std::equal(reencoded, reencoded + len,
                 reinterpret_cast<const uint8_t*>(der.data()));
  OPENSSL_free(reencoded);
  if (!canonical) {
    return absl::InvalidArgumentError("ECDSA signature is not canonical DER");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_is_negative(r) || BN_is_negative(s) ||
      BN_num_bytes(r) > static_cast<int>(kP256CoordinateSize) ||
      BN_num_bytes(s) > static_cast<int>(kP256CoordinateSize)) {
    return absl::InvalidArgumentError(
        "ECDSA signature integers are out of range for P-256");
  }
  auto raw_r = internal::BignumToPaddedBytes(r, kP256CoordinateSize);
  if (!raw_r.ok()) return raw_r.status();
  auto raw_s = internal::BignumToPaddedBytes(s, kP256CoordinateSize);
  if (!raw_s.ok()) return raw_s.status();
  return absl::StrCat(*raw_r, *raw_s);
}

absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw) {
  ErrorQueueGuard guard;
  if (raw.size() != kEs256SignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("an ES256 signature is 64 bytes (r‖s), got ", raw.size()));
  }
  auto r = internal::BignumFromBytes(raw.substr(0, kP256CoordinateSize));
  if (!r.ok()) return r.status();
  auto s = internal::BignumFromBytes(raw.substr(kP256CoordinateSize));
  if (!s.ok()) return s.status();
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (sig == nullptr) return OpenSslError("ECDSA_SIG_new");
  if (ECDSA_SIG_set0(sig.get(), r->get(), s->get()) != 1) {
    return OpenSslError("ECDSA_SIG_set0");
  }
  (void)r->release();  // now owned by sig
  (void)s->release();
  uint8_t* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError("i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> EcdsaP256Verifier::Create(
    absl::string_view x, absl::string_view y) {
  auto pkey = internal::MakeP256PublicKey(x, y);
  if (!pkey.ok()) return pkey.status();
  return std::unique_ptr<EcdsaP256Verifier>(
      new EcdsaP256Verifier(std::move(pkey).value()));
}

absl::Status EcdsaP256Verifier::Verify(absl::string_view data,
                                       absl::string_view signature) const {
  if (signature.size() != kEs256SignatureSize) {
    return absl::UnauthenticatedError(absl::StrCat(
        "ES256 signature is ", signature.size(), " bytes; expected 64 (r‖s)"));
  }
  auto der = EcdsaRawToDer(signature);
  if (!der.ok()) return der.status();
  if (!internal::DigestVerifySha256(pkey_.get(), data, *der).ok()) {
    return absl::UnauthenticatedError("ES256 signature does not verify");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> EcdsaP256Signer::Generate() {
  ErrorQueueGuard guard;
  internal::EvpPkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (pkey == nullptr) return OpenSslError("EVP_PKEY_Q_keygen(EC)");
  auto x = internal::GetBignumParam(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  if (!x.ok()) return x.status();
  auto y = internal::GetBignumParam(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!y.ok()) return y.status();
  auto d = internal::GetBignumParam(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY);
  if (!d.ok()) return d.status();
  auto raw_x = internal::BignumToPaddedBytes(x->get(), kP256CoordinateSize);
  if (!raw_x.ok()) return raw_x.status();
  auto raw_y = internal::BignumToPaddedBytes(y->get(), kP256CoordinateSize);
  if (!raw_y.ok()) return raw_y.status();
  auto raw_d = internal::BignumToPaddedSecret(d->get(), kP256CoordinateSize);
  if (!raw_d.ok()) return raw_d.status();
  return std::unique_ptr<EcdsaP256Signer>(
      new EcdsaP256Signer(std::move(pkey), std::move(raw_x).value(),
                          std::move(raw_y).value(), std::move(raw_d).value()));
}

absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> EcdsaP256Signer::Create(
    absl::string_view x, absl::string_view y, SecretBytes d) {
  auto pkey = internal::MakeP256PrivateKey(x, y, d);
  if (!pkey.ok()) return pkey.status();
  return std::unique_ptr<EcdsaP256Signer>(new EcdsaP256Signer(
      std::move(pkey).value(), std::string(x), std::string(y), std::move(d)));
}

absl::StatusOr<std::string> EcdsaP256Signer::Sign(
    absl::string_view data) const {
  auto der = internal::DigestSignSha256(pkey_.get(), data);
  if (!der.ok()) return der.status();
  return EcdsaDerToRaw(*der);
}

}  // namespace keys
