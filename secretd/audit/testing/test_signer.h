// Ed25519 CheckpointSigner over a fixed test key (libsodium). Testonly:
// production code signs with the audit key through keys::.
#ifndef SECRETD_SECRETD_AUDIT_TESTING_TEST_SIGNER_H_
#define SECRETD_SECRETD_AUDIT_TESTING_TEST_SIGNER_H_

#include <sodium.h>

#include <array>
#include <string>

#include "absl/strings/str_cat.h"
#include "secretd/audit/file_audit_writer.h"

namespace secretd::audit::testing {

class TestSigner final : public CheckpointSigner {
 public:
  explicit TestSigner(uint8_t seed_byte = 7) {
    if (sodium_init() < 0) abort();
    std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
    seed.fill(seed_byte);
    crypto_sign_seed_keypair(pk_.data(), sk_.data(), seed.data());
  }
  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), sk_.data());
    return sig;
  }
  std::string KeyId() const override {
    std::string pk(reinterpret_cast<const char*>(pk_.data()), pk_.size());
    return HexSha256(ComputeSha256(pk)).substr(0, 16);
  }
  bool Verify(absl::string_view message, absl::string_view sig) const {
    return sig.size() == crypto_sign_BYTES &&
           crypto_sign_verify_detached(
               reinterpret_cast<const unsigned char*>(sig.data()),
               reinterpret_cast<const unsigned char*>(message.data()),
               message.size(), pk_.data()) == 0;
  }
  const std::array<uint8_t, crypto_sign_PUBLICKEYBYTES>& public_key() const {
    return pk_;
  }

 private:
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk_;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> sk_;
};

}  // namespace secretd::audit::testing

#endif  // SECRETD_SECRETD_AUDIT_TESTING_TEST_SIGNER_H_
