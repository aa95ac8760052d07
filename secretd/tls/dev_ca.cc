#include "secretd/tls/dev_ca.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace secretd::tls {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION,
                               Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

absl::Status OpensslError(absl::string_view call) {
  unsigned long err = ERR_get_error();
  char buf[256] = "unknown error";
  if (err != 0) ERR_error_string_n(err, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(call, " failed: ", buf));
}

absl::StatusOr<EvpPkeyPtr> NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpensslError("EVP_EC_gen(P-256)");
  return key;
}

absl::StatusOr<std::string> BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return OpensslError("BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpensslError("PEM_write_bio_PrivateKey");
  }
  return BioToString(bio.get());
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpensslError("PEM_write_bio_X509");
  }
  return BioToString(bio.get());
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpensslError(
        absl::StrCat("X509V3_EXT_conf_nid(", OBJ_nid2sn(nid), ")"));
  }
  return absl::OkStatus();
}

bool IsIpAddress(absl::string_view s) {
  std::string str(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, str.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

// Builds a certificate for `key` with `subject_cn`, signed by `issuer_key`
// (self-signed when `issuer` is null).
absl::StatusOr<X509Ptr> MakeCert(
    EVP_PKEY* key, const std::string& subject_cn, X509* issuer,
    EVP_PKEY* issuer_key, absl::Time now, absl::Duration validity,
    const std::vector<std::pair<int, std::string>>& exts) {
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return OpensslError("X509_new");
  }
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
    return OpensslError("RAND_bytes");
  serial_bytes[0] &= 0x7F;  // positive
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (serial == nullptr ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ==
          nullptr) {
    return OpensslError("BN_to_ASN1_INTEGER");
  }
  const time_t not_before = absl::ToTimeT(now - absl::Hours(1));
  const time_t not_after = absl::ToTimeT(now + validity);
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) == nullptr) {
    return OpensslError("ASN1_TIME_set");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "O", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>("secretd development"), -1, -1,
          0) != 1 ||
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(subject_cn.c_str()), -1, -1,
          0) != 1) {
    return OpensslError("X509_NAME_add_entry_by_txt");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpensslError("X509_set_pubkey");
  }
  for (const auto& [nid, value] : exts) {
    if (absl::Status s = AddExtension(cert.get(), signer, nid, value); !s.ok())
      return s;
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0)
    return OpensslError("X509_sign");
  return cert;
}

}  // namespace

std::vector<std::string> DefaultServerSans() {
  return {"localhost", "127.0.0.1", "::1"};
}

absl::Status ValidateSan(absl::string_view san) {
  if (IsIpAddress(san)) return absl::OkStatus();
  absl::string_view rest = san;
  if (absl::StartsWith(rest, "*.")) rest.remove_prefix(2);
  bool ok = !rest.empty() && rest.size() <= 253 && rest.front() != '.' &&
            rest.back() != '.' && rest.front() != '-' &&
            !absl::StrContains(rest, "..");
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.') ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-san \"", san, "\" is neither an IP address nor a DNS name"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DevTlsMaterial> MakeDevTlsMaterial(
    const std::vector<std::string>& sans_in, absl::Time now) {
  const std::vector<std::string> sans =
      sans_in.empty() ? DefaultServerSans() : sans_in;
  std::vector<std::string> san_entries;
  for (const std::string& san : sans) {
    if (absl::Status s = ValidateSan(san); !s.ok()) return s;
    san_entries.push_back(absl::StrCat(IsIpAddress(san) ? "IP:" : "DNS:", san));
  }
  auto ca_key = NewP256Key();
  if (!ca_key.ok()) return ca_key.status();
  auto ca = MakeCert(ca_key->get(), "secretd development CA", nullptr,
                     ca_key->get(), now, absl::Hours(24 * 3650),
                     {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                      {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();
  auto server_key = NewP256Key();
  if (!server_key.ok()) return server_key.status();
  auto server =
      MakeCert(server_key->get(), sans.front(), ca->get(), ca_key->get(), now,
               absl::Hours(24 * 825),
               {{NID_basic_constraints, "critical,CA:FALSE"},
                {NID_key_usage, "critical,digitalSignature"},
                {NID_ext_key_usage, "serverAuth"},
                {NID_subject_alt_name, absl::StrJoin(san_entries, ",")},
                {NID_authority_key_identifier, "keyid:always"}});
  if (!server.ok()) return server.status();
  DevTlsMaterial out;
  auto pem = CertToPem(ca->get());
  if (!pem.ok()) return pem.status();
  out.ca.certificate_pem = *pem;
  if (pem = KeyToPem(ca_key->get()); !pem.ok()) return pem.status();
  out.ca.private_key_pem = *pem;
  if (pem = CertToPem(server->get()); !pem.ok()) return pem.status();
  out.server.certificate_pem = *pem;
  if (pem = KeyToPem(server_key->get()); !pem.ok()) return pem.status();
  out.server.private_key_pem = *pem;
  return out;
}

}  // namespace secretd::tls
