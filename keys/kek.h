// Kek: the broker's key-encryption key (DESIGN.md §6).
//
// 32 random bytes in guarded memory, with an id derived from the key so
// that every wrapped data key records which KEK wrapped it:
//
//   id = hex(SHA-256("secretd-kek-id-v1" ‖ 0x00 ‖ key))[0..16]
//
// The id is not secret (a preimage-resistant, domain-separated digest).
// The challenge key k_chal is also derived from the KEK (challenge.h).
//
//   keys::Kek kek = keys::Kek::Generate(random);      // secretctl init
//   ASSIGN_OR_RETURN(keys::Kek kek, keys::LoadKekFile(path));   // key_files.h
//
// Move-only; immutable; thread-safe.
#ifndef SECRETD_KEYS_KEK_H_
#define SECRETD_KEYS_KEK_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"

namespace keys {

inline constexpr size_t kKekSize = 32;

class Kek final {
 public:
  static Kek Generate(RandomSource& random);
  // kInvalidArgument unless `key` is 32 bytes.
  static absl::StatusOr<Kek> FromBytes(SecretBytes key);

  Kek(Kek&&) = default;
  Kek& operator=(Kek&&) = default;

  // 16 lower-case hex digits.
  const std::string& id() const { return id_; }
  const SecretBytes& key(SecretAccess) const { return key_; }

 private:
  Kek(SecretBytes key, std::string id)
      : key_(std::move(key)), id_(std::move(id)) {}
  SecretBytes key_;
  std::string id_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_KEK_H_
