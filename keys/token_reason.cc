#include "keys/token_reason.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace keys {
namespace {

constexpr char kPayloadUrl[] = "type.secretd.dev/keys.TokenReason";

struct Entry {
  TokenReason reason;
  const char* name;
};

constexpr Entry kNames[] = {
    {TokenReason::kMalformed, "malformed"},
    {TokenReason::kTooLarge, "too_large"},
    {TokenReason::kAlgNotAllowed, "alg_not_allowed"},
    {TokenReason::kCritUnsupported, "crit_unsupported"},
    {TokenReason::kKidMissing, "kid_missing"},
    {TokenReason::kUnknownIssuer, "unknown_issuer"},
    {TokenReason::kUnknownKid, "unknown_kid"},
    {TokenReason::kKeyNotForSigning, "key_not_for_signing"},
    {TokenReason::kAlgKeyMismatch, "alg_key_mismatch"},
    {TokenReason::kBadSignature, "bad_signature"},
    {TokenReason::kClaimMissing, "claim_missing"},
    {TokenReason::kClaimInvalid, "claim_invalid"},
    {TokenReason::kExpired, "expired"},
    {TokenReason::kLifetimeTooLong, "lifetime_too_long"},
    {TokenReason::kIssuedInFuture, "issued_in_future"},
    {TokenReason::kNotYetValid, "not_yet_valid"},
    {TokenReason::kWrongAudience, "wrong_audience"},
    {TokenReason::kNonceMissing, "nonce_missing"},
    {TokenReason::kNonceInvalid, "nonce_invalid"},
    {TokenReason::kNonceExpired, "nonce_expired"},
    {TokenReason::kCnfMissing, "cnf_missing"},
    {TokenReason::kCnfInvalid, "cnf_invalid"},
    {TokenReason::kReplayed, "replayed"},
};

}  // namespace

absl::string_view TokenReasonName(TokenReason reason) {
  for (const Entry& e : kNames) {
    if (e.reason == reason) return e.name;
  }
  return "unknown";
}

std::optional<TokenReason> TokenReasonFromName(absl::string_view name) {
  for (const Entry& e : kNames) {
    if (name == e.name) return e.reason;
  }
  return std::nullopt;
}

absl::Status TokenError(TokenReason reason, absl::string_view message) {
  absl::Status status =
      absl::UnauthenticatedError(absl::StrCat("token rejected: ", message));
  status.SetPayload(kPayloadUrl, absl::Cord(TokenReasonName(reason)));
  return status;
}

std::optional<TokenReason> GetTokenReason(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kPayloadUrl);  // absl::optional
  if (!payload.has_value()) return std::nullopt;
  return TokenReasonFromName(std::string(*payload));
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (char c : value.substr(0, kMax)) {
    const bool printable = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    out.push_back(printable ? c : '?');
  }
  if (value.size() > kMax) out += "...";
  out += "\"";
  return out;
}

}  // namespace keys
