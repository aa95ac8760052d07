#include "keys/internal/openssl.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace keys::internal {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, int selection,
                                    OSSL_PARAM_BLD* bld) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  if (params == nullptr) return OpenSslError("OSSL_PARAM_BLD_to_param");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError("EVP_PKEY_fromdata_init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid ", type, " key (EVP_PKEY_fromdata failed)"));
  }
  return EvpPkeyPtr(raw);
}

// Full consistency check of a key just built: public (point on the curve,
// RSA modulus and exponent shape) and, for key pairs, private and pairwise.
absl::Status CheckKey(EVP_PKEY* pkey, bool has_private,
                      absl::string_view what) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  const int ok = has_private ? EVP_PKEY_check(ctx.get())
                             : EVP_PKEY_public_check(ctx.get());
  if (ok != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "not a valid ", what,
        has_private ? " key pair (the private key does not match the public "
                      "key, or a parameter is out of range)"
                    : " public key"));
  }
  return absl::OkStatus();
}

absl::Status PushBn(OSSL_PARAM_BLD* bld, const char* name, const BIGNUM* bn) {
  if (OSSL_PARAM_BLD_push_BN(bld, name, bn) != 1) {
    return OpenSslError("OSSL_PARAM_BLD_push_BN");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OpenSslError(absl::string_view call) {
  const unsigned long code = ERR_get_error();  // NOLINT(runtime/int)
  std::string reason = "no OpenSSL error queued";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    reason = buf;
  }
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(call, " failed: ", reason));
}

absl::StatusOr<BignumPtr> BignumFromBytes(absl::string_view big_endian) {
  BignumPtr bn(BN_bin2bn(reinterpret_cast<const uint8_t*>(big_endian.data()),
                         static_cast<int>(big_endian.size()), nullptr));
  if (bn == nullptr) return OpenSslError("BN_bin2bn");
  return bn;
}

absl::StatusOr<BignumPtr> BignumFromSecret(const SecretBytes& big_endian) {
  BignumPtr bn(BN_secure_new());
  if (bn == nullptr) return OpenSslError("BN_secure_new");
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  if (BN_bin2bn(big_endian.data(InsecureSecretAccess::Get()),
                static_cast<int>(big_endian.size()), bn.get()) == nullptr) {
    return OpenSslError("BN_bin2bn");
  }
  return bn;
}

std::string BignumToBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

absl::StatusOr<std::string> BignumToPaddedBytes(const BIGNUM* bn, size_t size) {
  std::string out(size, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<uint8_t*>(out.data()),
                   static_cast<int>(size)) < 0) {
    return OpenSslError("BN_bn2binpad");
  }
  return out;
}

SecretBytes BignumToSecret(const BIGNUM* bn) {
  SecretBytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data(InsecureSecretAccess::Get()));
  return out;
}

absl::StatusOr<SecretBytes> BignumToPaddedSecret(const BIGNUM* bn,
                                                 size_t size) {
  SecretBytes out(size);
  if (BN_bn2binpad(bn, out.data(InsecureSecretAccess::Get()),
                   static_cast<int>(size)) < 0) {
    return OpenSslError("BN_bn2binpad");
  }
  return out;
}

namespace {

// A P-256 public key, or a key pair when `d` is not null.
absl::StatusOr<EvpPkeyPtr> MakeP256Key(absl::string_view x, absl::string_view y,
                                       const SecretBytes* d) {
  ErrorQueueGuard guard;
  if (x.size() != 32 || y.size() != 32 || (d != nullptr && d->size() != 32)) {
    return absl::InvalidArgumentError(
        "a P-256 coordinate or private scalar must be exactly 32 bytes");
  }
  std::string point = absl::StrCat("\x04", x, y);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return OpenSslError("OSSL_PARAM_BLD_new");
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD_push");
  }
  BignumPtr priv;  // must outlive OSSL_PARAM_BLD_to_param
  if (d != nullptr) {
    ASSIGN_OR_RETURN(priv, BignumFromSecret(*d));
    RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()));
  }
  auto pkey =
      FromData("EC", d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, bld.get());
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(
        d ? "not a valid P-256 key pair"
          : "not a valid P-256 public key (the point is not on the curve)");
  }
  RETURN_IF_ERROR(CheckKey(pkey->get(), d != nullptr, "P-256"));
  return pkey;
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> MakeP256PublicKey(absl::string_view x,
                                             absl::string_view y) {
  return MakeP256Key(x, y, nullptr);
}

absl::StatusOr<EvpPkeyPtr> MakeP256PrivateKey(absl::string_view x,
                                              absl::string_view y,
                                              const SecretBytes& d) {
  return MakeP256Key(x, y, &d);
}

namespace {

absl::Status CheckRsaShape(absl::string_view n, absl::string_view e) {
  if (n.empty() || n[0] == '\0' || e.empty() || e[0] == '\0') {
    return absl::InvalidArgumentError(
        "RSA n and e must be minimal big-endian integers (no leading zero "
        "bytes)");
  }
  // Bit length: whole bytes after the first, plus the first byte's bits.
  const unsigned first = static_cast<uint8_t>(n[0]);
  const size_t bits = (n.size() - 1) * 8 + (32 - __builtin_clz(first));
  if (bits < static_cast<size_t>(kMinRsaBits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus is ", bits, " bits; at least ", kMinRsaBits,
                     " are required"));
  }
  if (bits > static_cast<size_t>(kMaxRsaBits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus is ", bits, " bits; at most ", kMaxRsaBits,
                     " are supported"));
  }
  if (e.size() > 4) {
    return absl::InvalidArgumentError(
        "RSA public exponent is larger than 32 bits");
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// An RSA public key, or a key pair when `priv` is not null.
absl::StatusOr<EvpPkeyPtr> MakeRsaKey(absl::string_view n, absl::string_view e,
                                      const RsaPrivateParts* priv) {
  ErrorQueueGuard guard;
  RETURN_IF_ERROR(CheckRsaShape(n, e));
  // The BIGNUMs must outlive OSSL_PARAM_BLD_to_param.
  BignumPtr values[8];
  ASSIGN_OR_RETURN(values[0], BignumFromBytes(n));
  ASSIGN_OR_RETURN(values[1], BignumFromBytes(e));
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return OpenSslError("OSSL_PARAM_BLD_new");
  RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_RSA_N, values[0].get()));
  RETURN_IF_ERROR(PushBn(bld.get(), OSSL_PKEY_PARAM_RSA_E, values[1].get()));
  if (priv != nullptr) {
    struct Part {
      const char* name;
      const SecretBytes* value;
    };
    const Part parts[] = {
        {OSSL_PKEY_PARAM_RSA_D, &priv->d},
        {OSSL_PKEY_PARAM_RSA_FACTOR1, &priv->p},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, &priv->q},
        {OSSL_PKEY_PARAM_RSA_EXPONENT1, &priv->dp},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, &priv->dq},
        {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &priv->qi},
    };
    for (size_t i = 0; i < 6; ++i) {
      ASSIGN_OR_RETURN(values[2 + i], BignumFromSecret(*parts[i].value));
      RETURN_IF_ERROR(PushBn(bld.get(), parts[i].name, values[2 + i].get()));
    }
  }
  ASSIGN_OR_RETURN(
      EvpPkeyPtr pkey,
      FromData("RSA", priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
               bld.get()));
  RETURN_IF_ERROR(CheckKey(pkey.get(), priv != nullptr, "RSA"));
  return pkey;
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> MakeRsaPublicKey(absl::string_view n,
                                            absl::string_view e) {
  return MakeRsaKey(n, e, nullptr);
}

absl::StatusOr<EvpPkeyPtr> MakeRsaPrivateKey(absl::string_view n,
                                             absl::string_view e,
                                             const RsaPrivateParts& priv) {
  return MakeRsaKey(n, e, &priv);
}

absl::StatusOr<BignumPtr> GetBignumParam(const EVP_PKEY* pkey,
                                         const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return OpenSslError(absl::StrCat("EVP_PKEY_get_bn_param(", name, ")"));
  }
  return BignumPtr(raw);
}

absl::StatusOr<std::string> DigestSignSha256(EVP_PKEY* pkey,
                                             absl::string_view data) {
  ErrorQueueGuard guard;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) !=
      1) {
    return OpenSslError("EVP_DigestSignInit");
  }
  size_t size = 0;
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, data.size()) != 1) {
    return OpenSslError("EVP_DigestSign");
  }
  std::string sig(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(sig.data()), &size,
                     in, data.size()) != 1) {
    return OpenSslError("EVP_DigestSign");
  }
  sig.resize(size);
  return sig;
}

absl::Status DigestVerifySha256(EVP_PKEY* pkey, absl::string_view data,
                                absl::string_view signature) {
  ErrorQueueGuard guard;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) !=
      1) {
    return OpenSslError("EVP_DigestVerifyInit");
  }
  if (EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const uint8_t*>(signature.data()),
          signature.size(), reinterpret_cast<const uint8_t*>(data.data()),
          data.size()) != 1) {
    return absl::UnauthenticatedError("signature does not verify");
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm,
                                       absl::string_view salt,
                                       absl::string_view info, size_t length) {
  ErrorQueueGuard guard;
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (kdf == nullptr) return OpenSslError("EVP_KDF_fetch(HKDF)");
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (ctx == nullptr) return OpenSslError("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads these.
  std::string salt_copy(salt);
  std::string info_copy(info);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY,
          const_cast<uint8_t*>(ikm.data(InsecureSecretAccess::Get())),
          ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(),
                                        salt_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(),
                                        info_copy.size()),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(InsecureSecretAccess::Get()), length,
                     params) != 1) {
    return OpenSslError("EVP_KDF_derive(HKDF)");
  }
  return out;
}

}  // namespace keys::internal
