// X25519 key pairs and sealed boxes (libsodium crypto_box_seal).
//
// The agent makes a key pair per boot; the broker seals the SecretBundle to
// the token's cnf key (DESIGN.md §2, §4):
//
//   keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
//   ASSIGN_OR_RETURN(std::string sealed, keys::SealTo(pair.public_key(),
//   bundle)); ASSIGN_OR_RETURN(keys::SecretBytes opened, keys::OpenSealed(pair,
//   sealed));
//
// Public keys are 32 raw bytes. A recipient key is accepted only if it is a
// canonical encoding (top bit clear, u < 2^255 - 19) and not one of the
// points of small order on the curve or its twist, so sealing to a
// low-order or otherwise invalid key is kInvalidArgument and never yields a
// predictable shared secret. Points on the twist of large order are
// accepted, as RFC 7748 allows: the sealer's key is ephemeral, so twist
// attacks gain nothing. All functions are thread-safe.
#ifndef SECRETD_KEYS_X25519_H_
#define SECRETD_KEYS_X25519_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"

namespace keys {

inline constexpr size_t kX25519KeySize = 32;
// Bytes a sealed box adds to the plaintext (ephemeral key + MAC).
inline constexpr size_t kSealOverhead = 48;

// OkStatus if `public_key` is a valid recipient key (see above);
// kInvalidArgument naming the problem otherwise.
absl::Status ValidateX25519PublicKey(absl::string_view public_key);

class X25519KeyPair final {
 public:
  // A fresh key pair from the system CSPRNG (crypto_box_keypair).
  static X25519KeyPair Generate();
  // A key pair whose private key is 32 bytes from `random`.
  static X25519KeyPair Generate(RandomSource& random);
  // The key pair of a 32-byte private key. kInvalidArgument on a wrong size.
  static absl::StatusOr<X25519KeyPair> FromPrivateKey(SecretBytes private_key);

  X25519KeyPair(X25519KeyPair&&) = default;
  X25519KeyPair& operator=(X25519KeyPair&&) = default;

  // 32 bytes.
  const std::string& public_key() const { return public_key_; }
  const SecretBytes& private_key(SecretAccess) const { return private_key_; }

 private:
  X25519KeyPair(SecretBytes private_key, std::string public_key)
      : private_key_(std::move(private_key)),
        public_key_(std::move(public_key)) {}

  SecretBytes private_key_;
  std::string public_key_;
};

// crypto_box_seal of `plaintext` to `recipient_public_key`: an anonymous,
// authenticated encryption only the recipient can open. The result is
// plaintext.size() + kSealOverhead bytes. kInvalidArgument if the key is
// invalid (ValidateX25519PublicKey).
absl::StatusOr<std::string> SealTo(absl::string_view recipient_public_key,
                                   absl::string_view plaintext);

// Opens a sealed box. kInvalidArgument if it is too short, was sealed to
// another key, or was modified.
absl::StatusOr<SecretBytes> OpenSealed(const X25519KeyPair& recipient,
                                       absl::string_view sealed);

}  // namespace keys

#endif  // SECRETD_KEYS_X25519_H_
