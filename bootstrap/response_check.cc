#include "bootstrap/response_check.h"

#include <sodium.h>

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/exit_code.h"
#include "keys/encoding.h"

namespace bootstrap {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

bool IsPrintableId(absl::string_view s) {
  if (s.empty() || s.size() > kMaxRequestIdLength) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// Wipes every value (and the other strings) of a parsed bundle.
void WipeBundle(secretd::v1::SecretBundle& bundle) {
  for (secretd::v1::Secret& s : *bundle.mutable_secrets()) {
    std::string* v = s.mutable_value();
    if (!v->empty()) sodium_memzero(v->data(), v->size());
  }
  bundle.Clear();
}

}  // namespace

std::string ReleaseSignatureMessage(absl::string_view recipient_public_key,
                                    absl::string_view sealed_bundle) {
  return absl::StrCat(kReleaseContext, absl::string_view("\0", 1),
                      recipient_public_key, sealed_bundle);
}

absl::StatusOr<ResponseVerifier> ResponseVerifier::Create(
    absl::string_view release_public_key) {
  auto verifier = keys::Ed25519Verifier::Create(release_public_key);
  if (!verifier.ok()) return verifier.status();
  return ResponseVerifier(
      std::shared_ptr<const keys::Ed25519Verifier>(*std::move(verifier)),
      keys::PublicKeyId(release_public_key));
}

absl::StatusOr<VerifiedRelease> ResponseVerifier::Verify(
    const secretd::v1::ProvisionResponse& response,
    const ExpectedBundle& expected, const keys::X25519KeyPair& recipient,
    absl::Time now) const {
  const std::string request =
      IsPrintableId(response.request_id())
          ? absl::StrCat(" (request ", response.request_id(), ")")
          : "";
  auto refuse = [&](absl::string_view why) {
    return WithExitCode(
        absl::FailedPreconditionError(
            absl::StrCat("refusing the broker's response", request, ": ", why)),
        ExitCode::kVerificationFailed);
  };
  if (request.empty()) {
    return refuse("request_id is missing or not 1 to 128 printable characters");
  }
  if (response.release_key_id() != key_id_) {
    std::string got = response.release_key_id().substr(0, 32);
    for (char& c : got) {
      if (c < 0x21 || c > 0x7e) c = '?';
    }
    return refuse(absl::StrCat("it names release key \"", got,
                               "\" but the pinned key (--release-key) is ",
                               key_id_));
  }
  if (!verifier_
           ->Verify(ReleaseSignatureMessage(recipient.public_key(),
                                            response.sealed_bundle()),
                    response.signature())
           .ok()) {
    return refuse(
        "the release signature does not verify with the pinned key "
        "(--release-key); the response is forged or was altered");
  }
  auto opened = keys::OpenSealed(recipient, response.sealed_bundle());
  if (!opened.ok()) {
    return refuse("the sealed bundle does not open with this agent's key");
  }
  secretd::v1::SecretBundle bundle;
  absl::Cleanup wipe = [&bundle] { WipeBundle(bundle); };
  const absl::string_view bytes =
      opened->AsStringView(keys::InsecureSecretAccess::Get());
  if (bytes.size() > INT32_MAX ||
      !bundle.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return refuse("the opened bundle is not a SecretBundle");
  }
  if (bundle.request_id() != response.request_id()) {
    return refuse("the bundle answers another request id");
  }
  if (bundle.role() != expected.role) {
    return refuse(absl::StrCat("the bundle is for another role, not \"",
                               expected.role, "\""));
  }
  if (bundle.subject() != expected.subject) {
    return refuse(absl::StrCat("the bundle is for another subject, not \"",
                               expected.subject, "\""));
  }
  if (bundle.token_id() != expected.token_id) {
    return refuse("the bundle answers another token (jti differs)");
  }
  if (bundle.token_sha256() != expected.token_sha256) {
    return refuse("the bundle answers another token (token_sha256 differs)");
  }
  if (bundle.expires_at() != response.expires_at()) {
    return refuse("the bundle's expires_at differs from the response's");
  }
  const int64_t now_s = absl::ToUnixSeconds(now);
  if (bundle.expires_at() <= now_s) {
    return refuse(absl::StrCat(
        "the bundle expired at ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                         absl::FromUnixSeconds(bundle.expires_at()),
                         absl::UTCTimeZone()),
        " (is this machine's clock right?)"));
  }
  if (bundle.issued_at() > bundle.expires_at()) {
    return refuse("the bundle was issued after it expires");
  }
  if (static_cast<size_t>(bundle.secrets_size()) != expected.secrets.size()) {
    return refuse(absl::StrCat("the bundle holds ", bundle.secrets_size(),
                               " secrets, but ", expected.secrets.size(),
                               " were requested"));
  }
  VerifiedRelease out;
  out.request_id = response.request_id();
  out.issued_at = bundle.issued_at();
  out.expires_at = bundle.expires_at();
  std::vector<bool> used(static_cast<size_t>(bundle.secrets_size()), false);
  for (const secretd::SecretRef& ref : expected.secrets) {
    int found = -1;
    for (int i = 0; i < bundle.secrets_size(); ++i) {
      if (bundle.secrets(i).name() != ref.name) continue;
      if (found >= 0 || used[static_cast<size_t>(i)]) {
        return refuse(absl::StrCat("the bundle holds secret \"", ref.name,
                                   "\" more than once"));
      }
      found = i;
    }
    if (found < 0) {
      return refuse(absl::StrCat("the bundle lacks the requested secret \"",
                                 ref.name, "\""));
    }
    used[static_cast<size_t>(found)] = true;
    secretd::v1::Secret* s = bundle.mutable_secrets(found);
    if (s->version() < 1) {
      return refuse(
          absl::StrCat("secret \"", ref.name, "\" has version ", s->version()));
    }
    if (ref.version.has_value() && *ref.version != s->version()) {
      return refuse(absl::StrCat("secret \"", ref.name, "\" is version ",
                                 s->version(), ", not the requested ",
                                 *ref.version));
    }
    out.secrets.push_back(ReleasedSecret{
        ref.name, s->version(), keys::SecretBytes::CopyFrom(s->value())});
  }
  return out;
}

}  // namespace bootstrap
