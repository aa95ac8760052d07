#include "keys/challenge.h"

#include <sodium.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "keys/encoding.h"
#include "keys/internal/openssl.h"
#include "keys/internal/sodium.h"
#include "keys/token_reason.h"

namespace keys {
namespace {

constexpr absl::string_view kMacLabel = "secretd-challenge-v1";
constexpr absl::string_view kKdfInfo = "secretd-challenge-key-v1";
constexpr size_t kTs = 8, kRand = 16, kMac = 16;
constexpr size_t kChallengeBytes = kTs + kRand + kMac;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::Status Invalid(absl::string_view why) {
  return TokenError(TokenReason::kNonceInvalid,
                    absl::StrCat("nonce check failed: ", why,
                                 "; ask this broker for a new challenge"));
}

}  // namespace

absl::StatusOr<Challenger> Challenger::FromKek(const Kek& kek,
                                               absl::Duration ttl,
                                               absl::Duration future_leeway) {
  if (ttl <= absl::ZeroDuration() || future_leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "challenge ttl must be > 0 and leeway >= 0");
  }
  auto key = internal::HkdfSha256(kek.key(InsecureSecretAccess::Get()), "",
                                  kKdfInfo, 32);
  if (!key.ok()) return key.status();
  return Challenger(*std::move(key), ttl, future_leeway);
}

std::string Challenger::Mac(absl::string_view ts_and_rand) const {
  internal::EnsureSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key_.data(InsecureSecretAccess::Get()),
                              key_.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const uint8_t*>(kMacLabel.data()),
      kMacLabel.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const uint8_t*>(ts_and_rand.data()),
      ts_and_rand.size());
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof(state));
  return std::string(reinterpret_cast<const char*>(mac), kMac);
}

Challenge Challenger::Issue(const common::Clock& clock,
                            RandomSource& random) const {
  const int64_t ts = absl::ToUnixSeconds(clock.Now());
  std::string body(kTs, '\0');
  for (size_t i = 0; i < kTs; ++i) {
    body[i] =
        static_cast<char>((static_cast<uint64_t>(ts) >> (56 - 8 * i)) & 0xff);
  }
  body += RandomBytes(random, kRand);
  body += Mac(body);
  return Challenge{Base64UrlEncode(body), absl::FromUnixSeconds(ts) + ttl_};
}

absl::Status Challenger::Check(absl::string_view challenge,
                               const common::Clock& clock) const {
  auto raw = Base64UrlDecode(challenge);
  if (!raw.ok() || raw->size() != kChallengeBytes) {
    return Invalid("the nonce is not a challenge of this broker (wrong form)");
  }
  const std::string expected = Mac(raw->substr(0, kTs + kRand));
  if (crypto_verify_16(
          reinterpret_cast<const uint8_t*>(raw->data() + kTs + kRand),
          reinterpret_cast<const uint8_t*>(expected.data())) != 0) {
    return Invalid(
        "the challenge does not authenticate (not issued by this broker, or "
        "before a KEK rotation)");
  }
  uint64_t ts = 0;
  for (size_t i = 0; i < kTs; ++i) {
    ts = (ts << 8) | static_cast<uint8_t>((*raw)[i]);
  }
  const absl::Time issued = absl::FromUnixSeconds(static_cast<int64_t>(ts));
  const absl::Time now = clock.Now();
  if (issued > now + future_leeway_) {
    return Invalid(absl::StrCat("the challenge was issued at ", Rfc3339(issued),
                                ", in the future; check the broker clocks"));
  }
  if (now > issued + ttl_) {
    return TokenError(
        TokenReason::kNonceExpired,
        absl::StrCat(
            "nonce check failed: the challenge expired at ",
            Rfc3339(issued + ttl_), " (ttl ", absl::ToInt64Seconds(ttl_),
            " s); ask the broker for a new challenge and a new token"));
  }
  return absl::OkStatus();
}

}  // namespace keys
