// Challenger: the broker's stateless challenges (DESIGN.md §3).
//
//   challenge = base64url(ts ‖ rand ‖ HMAC-SHA256(k_chal,
//                   "secretd-challenge-v1" ‖ ts ‖ rand)[0..16])
//
// ts is Unix seconds as 8 bytes big-endian, rand 16 random bytes; the
// result is 40 bytes, 54 base64url characters. k_chal is derived from the
// KEK, so every replica holding the KEK can check any replica's challenges:
//
//   k_chal = HKDF-SHA256(IKM = KEK, salt = "" (RFC 5869: 32 zero bytes),
//                        info = "secretd-challenge-key-v1", L = 32)
//
// Rotating the KEK therefore invalidates outstanding challenges (at most
// one TTL's worth of boots retry).
//
//   ASSIGN_OR_RETURN(keys::Challenger challenger,
//   keys::Challenger::FromKek(kek)); keys::Challenge c =
//   challenger.Issue(clock, random);
//   ...
//   absl::Status s = challenger.Check(token_nonce, clock);
//
// Check returns TokenErrors (token_reason.h): nonce_invalid when the value is
// not a well-formed challenge, its MAC does not verify, or its ts is more
// than `future_leeway` ahead of the clock; nonce_expired when now > ts + ttl.
// Immutable; thread-safe.
#ifndef SECRETD_KEYS_CHALLENGE_H_
#define SECRETD_KEYS_CHALLENGE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"

namespace keys {

inline constexpr absl::Duration kDefaultChallengeTtl = absl::Seconds(300);

struct Challenge {
  std::string value;      // 54 base64url characters
  absl::Time expires_at;  // ts + ttl
};

class Challenger final {
 public:
  // kInvalidArgument unless ttl > 0 and future_leeway >= 0.
  static absl::StatusOr<Challenger> FromKek(
      const Kek& kek, absl::Duration ttl = kDefaultChallengeTtl,
      absl::Duration future_leeway = absl::Seconds(30));

  Challenger(Challenger&&) = default;
  Challenger& operator=(Challenger&&) = default;

  Challenge Issue(const common::Clock& clock, RandomSource& random) const;
  // OkStatus or a TokenError (kNonceInvalid, kNonceExpired).
  absl::Status Check(absl::string_view challenge,
                     const common::Clock& clock) const;

  absl::Duration ttl() const { return ttl_; }

 private:
  Challenger(SecretBytes key, absl::Duration ttl, absl::Duration leeway)
      : key_(std::move(key)), ttl_(ttl), future_leeway_(leeway) {}
  std::string Mac(absl::string_view ts_and_rand) const;

  SecretBytes key_;
  absl::Duration ttl_;
  absl::Duration future_leeway_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_CHALLENGE_H_
