#include "secretctl/audit/audit_key.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/key_files.h"

namespace secretctl {

absl::StatusOr<AuditKey> AuditKeyFromBytes(absl::string_view public_key) {
  auto verifier = keys::Ed25519Verifier::Create(public_key);
  if (!verifier.ok()) return verifier.status();
  AuditKey key;
  key.key_id = keys::PublicKeyId(public_key);
  std::shared_ptr<const keys::Ed25519Verifier> v = std::move(*verifier);
  key.check = [v, id = key.key_id](absl::string_view message,
                                   absl::string_view signature,
                                   absl::string_view key_id) -> absl::Status {
    if (key_id != id) {
      return absl::NotFoundError(
          absl::StrCat("key id ", key_id, " is not ", id));
    }
    return v->Verify(message, signature);
  };
  return key;
}

absl::StatusOr<AuditKey> LoadAuditPublicKey(const std::string& path) {
  auto raw = keys::ReadPublicKeyFile(path);
  if (!raw.ok()) return common::Annotate(raw.status(), "audit public key");
  auto key = AuditKeyFromBytes(*raw);
  if (!key.ok()) {
    return common::Annotate(key.status(),
                            absl::StrCat("audit public key \"", path, "\""));
  }
  key->path = path;
  return key;
}

}  // namespace secretctl
