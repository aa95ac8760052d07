#include "bootstrap/testing/release_builder.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/encoding.h"
#include "keys/jws.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"

namespace bootstrap::testing {
namespace {

std::string Release(absl::string_view recipient, absl::string_view sealed) {
  return absl::StrCat("secretd-release-v1", absl::string_view("\0", 1),
                      recipient, sealed);
}

std::string MustSign(const keys::Ed25519Signer& signer,
                     absl::string_view message) {
  auto sig = signer.Sign(message);
  if (!sig.ok()) std::abort();
  return *sig;
}

std::string MustSeal(absl::string_view recipient, absl::string_view plain) {
  auto sealed = keys::SealTo(recipient, plain);
  if (!sealed.ok()) std::abort();
  return *sealed;
}

}  // namespace

std::vector<Forgery> AllForgeries() {
  return {Forgery::kWrongSigningKey,
          Forgery::kWrongKeyId,
          Forgery::kSignedForOtherRecipient,
          Forgery::kSealedToOtherKey,
          Forgery::kGarbageBundle,
          Forgery::kOtherRequestId,
          Forgery::kOtherRole,
          Forgery::kOtherSubject,
          Forgery::kOtherTokenId,
          Forgery::kOtherTokenHash,
          Forgery::kMissingSecret,
          Forgery::kExtraSecret,
          Forgery::kOtherVersion,
          Forgery::kExpired,
          Forgery::kExpiryMismatch};
}

absl::string_view ForgeryName(Forgery forgery) {
  switch (forgery) {
    case Forgery::kNone:
      return "none";
    case Forgery::kWrongSigningKey:
      return "wrong_signing_key";
    case Forgery::kWrongKeyId:
      return "wrong_key_id";
    case Forgery::kSignedForOtherRecipient:
      return "signed_for_other_recipient";
    case Forgery::kSealedToOtherKey:
      return "sealed_to_other_key";
    case Forgery::kGarbageBundle:
      return "garbage_bundle";
    case Forgery::kOtherRequestId:
      return "other_request_id";
    case Forgery::kOtherRole:
      return "other_role";
    case Forgery::kOtherSubject:
      return "other_subject";
    case Forgery::kOtherTokenId:
      return "other_token_id";
    case Forgery::kOtherTokenHash:
      return "other_token_hash";
    case Forgery::kMissingSecret:
      return "missing_secret";
    case Forgery::kExtraSecret:
      return "extra_secret";
    case Forgery::kOtherVersion:
      return "other_version";
    case Forgery::kExpired:
      return "expired";
    case Forgery::kExpiryMismatch:
      return "expiry_mismatch";
  }
  return "unknown";
}

absl::StatusOr<ReleaseInput> ReleaseFor(
    absl::string_view token, absl::string_view role,
    std::vector<ReleaseInput::Secret> secrets, absl::Time now) {
  auto jws = keys::Jws::Parse(token);
  if (!jws.ok()) return jws.status();
  nlohmann::json claims = nlohmann::json::parse(jws->payload(), nullptr, false);
  if (!claims.is_object() || !claims["sub"].is_string() ||
      !claims["jti"].is_string()) {
    return absl::InvalidArgumentError("token without sub or jti");
  }
  ReleaseInput in;
  in.role = std::string(role);
  in.subject = claims["sub"].get<std::string>();
  in.token_id = claims["jti"].get<std::string>();
  in.token_sha256 = keys::Sha256(token);
  in.issued_at = absl::ToUnixSeconds(now);
  in.expires_at = in.issued_at + 3600;
  in.secrets = std::move(secrets);
  return in;
}

std::string SerializeBundle(const ReleaseInput& in) {
  secretd::v1::SecretBundle bundle;
  bundle.set_request_id(in.request_id);
  bundle.set_role(in.role);
  bundle.set_subject(in.subject);
  bundle.set_token_id(in.token_id);
  bundle.set_token_sha256(in.token_sha256);
  bundle.set_issued_at(in.issued_at);
  bundle.set_expires_at(in.expires_at);
  for (const ReleaseInput::Secret& s : in.secrets) {
    secretd::v1::Secret* out = bundle.add_secrets();
    out->set_name(s.name);
    out->set_version(s.version);
    out->set_value(s.value);
  }
  return bundle.SerializeAsString();
}

secretd::v1::ProvisionResponse SealAndSign(
    absl::string_view request_id, absl::string_view plaintext,
    int64_t expires_at, absl::string_view recipient_public_key,
    const keys::Ed25519Signer& release) {
  secretd::v1::ProvisionResponse r;
  r.set_request_id(std::string(request_id));
  r.set_sealed_bundle(MustSeal(recipient_public_key, plaintext));
  r.set_signature(
      MustSign(release, Release(recipient_public_key, r.sealed_bundle())));
  r.set_release_key_id(release.key_id());
  r.set_expires_at(expires_at);
  return r;
}

secretd::v1::ProvisionResponse BuildResponse(
    const ReleaseInput& input, absl::string_view recipient_public_key,
    const keys::Ed25519Signer& release, Forgery forgery) {
  ReleaseInput in = input;
  int64_t response_expires_at = in.expires_at;
  std::string response_request_id = in.request_id;
  switch (forgery) {
    case Forgery::kOtherRequestId:
      in.request_id += "-other";
      break;
    case Forgery::kOtherRole:
      in.role += "-other";
      break;
    case Forgery::kOtherSubject:
      in.subject += "-other";
      break;
    case Forgery::kOtherTokenId:
      in.token_id += "-other";
      break;
    case Forgery::kOtherTokenHash:
      in.token_sha256 = keys::Sha256("another token");
      break;
    case Forgery::kMissingSecret:
      in.secrets.pop_back();
      break;
    case Forgery::kExtraSecret:
      in.secrets.push_back({"unrequested/secret", 1, "extra"});
      break;
    case Forgery::kOtherVersion:
      in.secrets[0].version += 1;
      break;
    case Forgery::kExpired:
      in.expires_at = in.issued_at - 1;
      in.issued_at -= 3600;
      response_expires_at = in.expires_at;
      break;
    case Forgery::kExpiryMismatch:
      response_expires_at += 60;
      break;
    default:
      break;
  }
  std::string plaintext = forgery == Forgery::kGarbageBundle
                              ? std::string("\xff\xff\xff garbage", 12)
                              : SerializeBundle(in);
  std::string recipient(recipient_public_key);
  if (forgery == Forgery::kSealedToOtherKey) {
    keys::SystemRandom random;
    recipient = keys::X25519KeyPair::Generate(random).public_key();
  }
  secretd::v1::ProvisionResponse r = SealAndSign(
      response_request_id, plaintext, response_expires_at, recipient, release);
  if (forgery == Forgery::kSealedToOtherKey) {
    // Signed for the real recipient, so only the seal is wrong.
    r.set_signature(
        MustSign(release, Release(recipient_public_key, r.sealed_bundle())));
  }
  if (forgery == Forgery::kSignedForOtherRecipient) {
    keys::SystemRandom random;
    const std::string other =
        keys::X25519KeyPair::Generate(random).public_key();
    r.set_signature(MustSign(release, Release(other, r.sealed_bundle())));
  }
  if (forgery == Forgery::kWrongSigningKey || forgery == Forgery::kWrongKeyId) {
    keys::SystemRandom random;
    auto other = keys::Ed25519Signer::Generate(random);
    if (forgery == Forgery::kWrongSigningKey) {
      r.set_signature(
          MustSign(*other, Release(recipient_public_key, r.sealed_bundle())));
    } else {
      r.set_release_key_id(other->key_id());
    }
  }
  return r;
}

}  // namespace bootstrap::testing
