#include "secretd/store/testing/memory_store.h"

#include <string>
#include <utility>

#include "common/status_macros.h"
#include "secretd/store/internal/checks.h"

namespace secretd::testing {

using store_internal::CheckNotEmpty;

void MemoryStore::SetError(absl::Status error) {
  absl::MutexLock lock(&mu_);
  error_ = std::move(error);
}

absl::Status MemoryStore::PutTrustBundle(absl::string_view issuer,
                                         absl::string_view jwks_json) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jwks_json", jwks_json));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  trust_bundles_[std::string(issuer)] = {std::string(issuer),
                                         std::string(jwks_json), Now()};
  ++change_counter_;
  return absl::OkStatus();
}

absl::Status MemoryStore::DeleteTrustBundle(absl::string_view issuer) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = trust_bundles_.find(issuer);
  if (it == trust_bundles_.end()) {
    return store_internal::TrustBundleNotFound(issuer);
  }
  trust_bundles_.erase(it);
  ++change_counter_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TrustBundleRecord>> MemoryStore::ListTrustBundles() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  std::vector<TrustBundleRecord> out;
  for (const auto& [issuer, record] : trust_bundles_) out.push_back(record);
  return out;
}

absl::Status MemoryStore::PutRole(const RoleRecord& role) {
  RETURN_IF_ERROR(store_internal::CheckRole(role));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  RoleRecord stored = role;
  stored.updated_at = Now();
  roles_[role.name] = std::move(stored);
  ++change_counter_;
  return absl::OkStatus();
}

absl::StatusOr<RoleRecord> MemoryStore::GetRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = roles_.find(name);
  if (it == roles_.end()) return store_internal::RoleNotFound(name);
  return it->second;
}

absl::StatusOr<std::vector<RoleRecord>> MemoryStore::ListRoles() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  std::vector<RoleRecord> out;
  for (const auto& [name, role] : roles_) out.push_back(role);
  return out;
}

absl::Status MemoryStore::DeleteRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = roles_.find(name);
  if (it == roles_.end()) return store_internal::RoleNotFound(name);
  roles_.erase(it);
  ++change_counter_;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MemoryStore::AddSecretVersion(
    absl::string_view name, const EncryptSecretFn& encrypt) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = secrets_.find(name);
  const int64_t version =
      (it == secrets_.end() ? 0 : it->second.latest_version) + 1;
  ASSIGN_OR_RETURN(EncryptedSecretFields fields, encrypt(version));
  RETURN_IF_ERROR(store_internal::CheckFields(name, version, fields));
  Secret& secret = secrets_[std::string(name)];
  secret.latest_version = version;
  secret.versions[version] = {std::string(name), version, /*enabled=*/true,
                              Now(), std::move(fields)};
  ++change_counter_;
  return version;
}

absl::StatusOr<SecretVersionRecord> MemoryStore::GetSecretVersion(
    absl::string_view name, std::optional<int64_t> version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  if (version.has_value()) {
    RETURN_IF_ERROR(store_internal::CheckVersion(name, *version));
  }
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return store_internal::SecretNotFound(name);
  const auto& versions = it->second.versions;
  if (!version.has_value()) {
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      if (v->second.enabled) return v->second;
    }
    return store_internal::NoEnabledVersion(name);
  }
  auto v = versions.find(*version);
  if (v == versions.end()) {
    return store_internal::VersionNotFound(name, *version);
  }
  if (!v->second.enabled) {
    return store_internal::VersionDisabled(name, *version);
  }
  return v->second;
}

absl::Status MemoryStore::DisableSecretVersion(absl::string_view name,
                                               int64_t version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  RETURN_IF_ERROR(store_internal::CheckVersion(name, version));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return store_internal::SecretNotFound(name);
  auto v = it->second.versions.find(version);
  if (v == it->second.versions.end()) {
    return store_internal::VersionNotFound(name, version);
  }
  if (!v->second.enabled) return absl::OkStatus();
  v->second.enabled = false;
  ++change_counter_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SecretMetadata>> MemoryStore::ListSecrets(
    absl::string_view prefix) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  std::vector<SecretMetadata> out;
  for (auto it = secrets_.lower_bound(prefix);
       it != secrets_.end() &&
       absl::string_view(it->first).substr(0, prefix.size()) == prefix;
       ++it) {
    SecretMetadata metadata{it->first, it->second.latest_version, {}};
    for (const auto& [version, record] : it->second.versions) {
      metadata.versions.push_back(
          {version, record.enabled, record.created_at, record.fields.kek_id});
    }
    out.push_back(std::move(metadata));
  }
  return out;
}

absl::StatusOr<SecretVersionsSnapshot> MemoryStore::ReadAllSecretVersions() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  SecretVersionsSnapshot snapshot;
  snapshot.change_counter = change_counter_;
  for (const auto& [name, secret] : secrets_) {
    for (const auto& [version, record] : secret.versions) {
      snapshot.versions.push_back(record);
    }
  }
  return snapshot;
}

absl::Status MemoryStore::ReplaceSecretFields(
    int64_t expected_change_counter,
    const std::vector<SecretFieldsUpdate>& updates) {
  RETURN_IF_ERROR(store_internal::CheckUpdates(updates));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  if (change_counter_ != expected_change_counter) {
    return store_internal::LostCompareAndSet(expected_change_counter,
                                             change_counter_);
  }
  // Check everything first so that a missing version changes nothing.
  std::vector<SecretVersionRecord*> targets;
  for (const SecretFieldsUpdate& update : updates) {
    auto it = secrets_.find(update.name);
    if (it == secrets_.end())
      return store_internal::SecretNotFound(update.name);
    auto v = it->second.versions.find(update.version);
    if (v == it->second.versions.end()) {
      return store_internal::VersionNotFound(update.name, update.version);
    }
    targets.push_back(&v->second);
  }
  if (updates.empty()) return absl::OkStatus();
  for (size_t i = 0; i < updates.size(); ++i) {
    targets[i]->fields = updates[i].fields;
  }
  ++change_counter_;
  return absl::OkStatus();
}

absl::Status MemoryStore::RecordTokenUse(absl::string_view issuer,
                                         absl::string_view jti,
                                         absl::Time expires_at) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jti", jti));
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  auto [it, inserted] =
      token_uses_.emplace(std::make_pair(std::string(issuer), std::string(jti)),
                          TruncateToMicros(expires_at));
  if (!inserted) {
    if (it->second > Now())
      return store_internal::TokenAlreadyUsed(issuer, jti);
    it->second = TruncateToMicros(expires_at);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> MemoryStore::PurgeExpiredTokenUses(absl::Time now) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  const absl::Time cutoff = TruncateToMicros(now);
  int64_t purged = 0;
  for (auto it = token_uses_.begin(); it != token_uses_.end();) {
    if (it->second <= cutoff) {
      it = token_uses_.erase(it);
      ++purged;
    } else {
      ++it;
    }
  }
  return purged;
}

absl::StatusOr<int64_t> MemoryStore::GetChangeCounter() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  return change_counter_;
}

absl::StatusOr<StoreSnapshot> MemoryStore::LoadSnapshot() {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(error_);
  StoreSnapshot snapshot;
  snapshot.change_counter = change_counter_;
  for (const auto& [name, role] : roles_) snapshot.roles.push_back(role);
  for (const auto& [issuer, bundle] : trust_bundles_) {
    snapshot.trust_bundles.push_back(bundle);
  }
  return snapshot;
}

}  // namespace secretd::testing
