#include "secretd/vault/secret_vault.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/envelope.h"

namespace secretd {
namespace {

keys::EncryptedSecret ToKeys(const EncryptedSecretFields& f) {
  return keys::EncryptedSecret{f.kek_id, f.wrapped_data_key, f.ciphertext};
}
EncryptedSecretFields FromKeys(keys::EncryptedSecret e) {
  return EncryptedSecretFields{std::move(e.kek_id),
                               std::move(e.wrapped_data_key),
                               std::move(e.ciphertext)};
}

}  // namespace

const keys::Kek* KekRing::Find(absl::string_view id) const {
  if (current_->id() == id) return current_;
  for (const keys::Kek* k : retired_) {
    if (k->id() == id) return k;
  }
  return nullptr;
}

absl::StatusOr<const keys::Kek*> SecretVault::KekFor(const std::string& kek_id,
                                                     absl::string_view name,
                                                     int64_t version) const {
  const keys::Kek* kek = keks_.Find(kek_id);
  if (kek == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secret \"", name, "\" version ", version, " is wrapped by KEK ",
        kek_id, ", which this broker does not hold (current KEK ",
        keks_.current().id(),
        "); install that KEK or finish the KEK rotation"));
  }
  return kek;
}

absl::StatusOr<int64_t> SecretVault::Put(absl::string_view name,
                                         const keys::SecretBytes& value,
                                         const BeforeCommitFn& before_commit) {
  const keys::Kek& kek = keks_.current();
  const absl::string_view plaintext =
      value.AsStringView(keys::InsecureSecretAccess::Get());
  return store_.AddSecretVersion(
      name, [&](int64_t version) -> absl::StatusOr<EncryptedSecretFields> {
        ASSIGN_OR_RETURN(
            keys::EncryptedSecret e,
            keys::EncryptSecret(kek, name, version, plaintext, random_));
        if (before_commit) RETURN_IF_ERROR(before_commit(version));
        return FromKeys(std::move(e));
      });
}

absl::StatusOr<SecretVault::Plaintext> SecretVault::Read(
    absl::string_view name, std::optional<int64_t> version) {
  ASSIGN_OR_RETURN(SecretVersionRecord record,
                   store_.GetSecretVersion(name, version));
  ASSIGN_OR_RETURN(const keys::Kek* kek,
                   KekFor(record.fields.kek_id, name, record.version));
  ASSIGN_OR_RETURN(keys::SecretBytes value,
                   keys::DecryptSecret(*kek, record.name, record.version,
                                       ToKeys(record.fields)));
  return Plaintext{std::move(record.name), record.version, std::move(value)};
}

absl::StatusOr<SecretVault::Rotation> SecretVault::RewrapAll(
    const keys::Kek& new_kek) {
  Rotation rotation;
  RETURN_IF_ERROR(
      store_.RewrapAllSecrets([&](const SecretVersionRecord& record)
                                  -> absl::StatusOr<EncryptedSecretFields> {
        if (record.fields.kek_id == new_kek.id()) return record.fields;
        ASSIGN_OR_RETURN(
            const keys::Kek* old_kek,
            KekFor(record.fields.kek_id, record.name, record.version));
        ASSIGN_OR_RETURN(
            keys::EncryptedSecret e,
            keys::RewrapSecret(*old_kek, new_kek, record.name, record.version,
                               ToKeys(record.fields), random_));
        ++rotation.rewrapped;
        return FromKeys(std::move(e));
      }));
  return rotation;
}

}  // namespace secretd
