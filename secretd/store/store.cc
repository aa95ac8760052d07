#include "secretd/store/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace secretd {

bool TrustBundleRecord::operator==(const TrustBundleRecord& other) const {
  return issuer == other.issuer && jwks_json == other.jwks_json &&
         updated_at == other.updated_at;
}

bool PolicyDocument::operator==(const PolicyDocument& other) const {
  return name == other.name && document == other.document;
}

bool RoleRecord::operator==(const RoleRecord& other) const {
  return name == other.name && trust_policy == other.trust_policy &&
         permission_policies == other.permission_policies &&
         max_token_lifetime_seconds == other.max_token_lifetime_seconds &&
         secret_ttl_seconds == other.secret_ttl_seconds &&
         single_use_tokens == other.single_use_tokens &&
         updated_at == other.updated_at;
}

bool EncryptedSecretFields::operator==(
    const EncryptedSecretFields& other) const {
  return kek_id == other.kek_id && wrapped_data_key == other.wrapped_data_key &&
         ciphertext == other.ciphertext;
}

bool SecretVersionRecord::operator==(const SecretVersionRecord& other) const {
  return name == other.name && version == other.version &&
         enabled == other.enabled && created_at == other.created_at &&
         fields == other.fields;
}

bool SecretVersionMetadata::operator==(
    const SecretVersionMetadata& other) const {
  return version == other.version && enabled == other.enabled &&
         created_at == other.created_at && kek_id == other.kek_id;
}

bool SecretMetadata::operator==(const SecretMetadata& other) const {
  return name == other.name && latest_version == other.latest_version &&
         versions == other.versions;
}

absl::Status Store::RewrapAllSecrets(const RewrapSecretFn& rewrap) {
  ASSIGN_OR_RETURN(SecretVersionsSnapshot snapshot, ReadAllSecretVersions());
  std::vector<SecretFieldsUpdate> updates;
  updates.reserve(snapshot.versions.size());
  for (const SecretVersionRecord& record : snapshot.versions) {
    absl::StatusOr<EncryptedSecretFields> fields = rewrap(record);
    if (!fields.ok()) {
      return common::Annotate(fields.status(),
                              absl::StrCat("rewrapping secret \"", record.name,
                                           "\" version ", record.version));
    }
    updates.push_back({record.name, record.version, *std::move(fields)});
  }
  return ReplaceSecretFields(snapshot.change_counter, updates);
}

absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace secretd
