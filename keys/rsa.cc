#include "keys/rsa.h"

#include <openssl/core_names.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace keys {

using internal::ErrorQueueGuard;
using internal::OpenSslError;

absl::StatusOr<std::unique_ptr<Rs256Verifier>> Rs256Verifier::Create(
    absl::string_view n, absl::string_view e) {
  auto pkey = internal::MakeRsaPublicKey(n, e);
  if (!pkey.ok()) return pkey.status();
  return std::unique_ptr<Rs256Verifier>(
      new Rs256Verifier(std::move(pkey).value(), n.size()));
}

absl::Status Rs256Verifier::Verify(absl::string_view data,
                                   absl::string_view signature) const {
  if (signature.size() != modulus_bytes_) {
    return absl::UnauthenticatedError(
        absl::StrCat("RS256 signature is ", signature.size(),
                     " bytes; expected ", modulus_bytes_));
  }
  if (!internal::DigestVerifySha256(pkey_.get(), data, signature).ok()) {
    return absl::UnauthenticatedError("RS256 signature does not verify");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Rs256Signer>> Rs256Signer::Generate(int bits) {
  ErrorQueueGuard guard;
  if (bits < kMinRsaModulusBits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RSA keys must have at least ", kMinRsaModulusBits, " bits"));
  }
  internal::EvpPkeyPtr pkey(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (pkey == nullptr) return OpenSslError("EVP_PKEY_Q_keygen(RSA)");
  auto get = [&](const char* name) {
    return internal::GetBignumParam(pkey.get(), name);
  };
  auto n = get(OSSL_PKEY_PARAM_RSA_N);
  if (!n.ok()) return n.status();
  auto e = get(OSSL_PKEY_PARAM_RSA_E);
  if (!e.ok()) return e.status();
  RsaPrivateParts parts;
  struct Part {
    const char* name;
    SecretBytes* out;
  };
  const Part wanted[] = {
      {OSSL_PKEY_PARAM_RSA_D, &parts.d},
      {OSSL_PKEY_PARAM_RSA_FACTOR1, &parts.p},
      {OSSL_PKEY_PARAM_RSA_FACTOR2, &parts.q},
      {OSSL_PKEY_PARAM_RSA_EXPONENT1, &parts.dp},
      {OSSL_PKEY_PARAM_RSA_EXPONENT2, &parts.dq},
      {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &parts.qi},
  };
  for (const Part& part : wanted) {
    auto bn = get(part.name);
    if (!bn.ok()) return bn.status();
    *part.out = internal::BignumToSecret(bn->get());
  }
  return std::unique_ptr<Rs256Signer>(
      new Rs256Signer(std::move(pkey), internal::BignumToBytes(n->get()),
                      internal::BignumToBytes(e->get()), std::move(parts)));
}

absl::StatusOr<std::unique_ptr<Rs256Signer>> Rs256Signer::Create(
    absl::string_view n, absl::string_view e, RsaPrivateParts parts) {
  auto pkey = internal::MakeRsaPrivateKey(n, e, parts);
  if (!pkey.ok()) return pkey.status();
  return std::unique_ptr<Rs256Signer>(
      new Rs256Signer(std::move(pkey).value(), std::string(n), std::string(e),
                      std::move(parts)));
}

absl::StatusOr<std::string> Rs256Signer::Sign(absl::string_view data) const {
  return internal::DigestSignSha256(pkey_.get(), data);
}

}  // namespace keys
