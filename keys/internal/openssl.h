// Owning pointers and error handling for OpenSSL 3 objects (STYLE.md §3.5).
//
// Every OpenSSL object keys/ creates is held by one of the unique_ptr types
// below from the line that created it. Failures return a Status naming the
// call; ErrorQueueGuard clears OpenSSL's thread-local error queue when it
// goes out of scope, so no stale error leaks into the next caller. Entry
// points that call OpenSSL declare one at the top.
#ifndef SECRETD_KEYS_INTERNAL_OPENSSL_H_
#define SECRETD_KEYS_INTERNAL_OPENSSL_H_

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/secret_bytes.h"

namespace keys::internal {

template <typename T, void (*F)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { F(p); }
};

using EvpPkeyPtr =
    std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX,
                    OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr =
    std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EvpKdfPtr =
    std::unique_ptr<EVP_KDF, OpenSslDeleter<EVP_KDF, EVP_KDF_free>>;
using EvpKdfCtxPtr =
    std::unique_ptr<EVP_KDF_CTX, OpenSslDeleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;
// BN_clear_free wipes the value: use it for every BIGNUM, secret or not.
using BignumPtr =
    std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpenSslDeleter<BN_CTX, BN_CTX_free>>;
using EcdsaSigPtr =
    std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;
using OsslParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD,
                    OpenSslDeleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using OsslParamPtr =
    std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM, OSSL_PARAM_free>>;

// Clears OpenSSL's error queue on destruction.
class ErrorQueueGuard {
 public:
  ErrorQueueGuard() = default;
  ~ErrorQueueGuard() { ERR_clear_error(); }
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
};

// kInternal "<call> failed: <first queued OpenSSL reason>"; clears the queue.
absl::Status OpenSslError(absl::string_view call);

// A BIGNUM from big-endian bytes. kInternal on allocation failure.
absl::StatusOr<BignumPtr> BignumFromBytes(absl::string_view big_endian);
absl::StatusOr<BignumPtr> BignumFromSecret(const SecretBytes& big_endian);
// The minimal big-endian encoding of `bn` (no leading zero bytes; "" for 0).
std::string BignumToBytes(const BIGNUM* bn);
// Big-endian, left-padded with zeros to `size` bytes. kInternal if it does
// not fit.
absl::StatusOr<std::string> BignumToPaddedBytes(const BIGNUM* bn, size_t size);
// The minimal big-endian encoding of a secret BIGNUM, in locked memory.
SecretBytes BignumToSecret(const BIGNUM* bn);
absl::StatusOr<SecretBytes> BignumToPaddedSecret(const BIGNUM* bn, size_t size);

// EVP_PKEY builders. Public keys are checked (point on the curve, RSA
// modulus shape); private keys are checked against their public half.
// kInvalidArgument when the key material is not a valid key.
absl::StatusOr<EvpPkeyPtr> MakeP256PublicKey(absl::string_view x,
                                             absl::string_view y);
absl::StatusOr<EvpPkeyPtr> MakeP256PrivateKey(absl::string_view x,
                                              absl::string_view y,
                                              const SecretBytes& d);
absl::StatusOr<EvpPkeyPtr> MakeRsaPublicKey(absl::string_view n,
                                            absl::string_view e);
struct RsaPrivateParts {
  SecretBytes d, p, q, dp, dq, qi;
};
absl::StatusOr<EvpPkeyPtr> MakeRsaPrivateKey(absl::string_view n,
                                             absl::string_view e,
                                             const RsaPrivateParts& priv);

// Reads a BIGNUM parameter (OSSL_PKEY_PARAM_*) of `pkey`.
absl::StatusOr<BignumPtr> GetBignumParam(const EVP_PKEY* pkey,
                                         const char* name);

// SHA-256 digest-sign / digest-verify with `pkey` (ECDSA: DER signatures;
// RSA: PKCS #1 v1.5). Verify returns kUnauthenticated when the signature
// does not verify.
absl::StatusOr<std::string> DigestSignSha256(EVP_PKEY* pkey,
                                             absl::string_view data);
absl::Status DigestVerifySha256(EVP_PKEY* pkey, absl::string_view data,
                                absl::string_view signature);

// HKDF-SHA256 (RFC 5869): `length` bytes from `ikm`, `salt` and `info`.
absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm,
                                       absl::string_view salt,
                                       absl::string_view info, size_t length);

}  // namespace keys::internal

#endif  // SECRETD_KEYS_INTERNAL_OPENSSL_H_
