#include "secretd/store/internal/checks.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace secretd::store_internal {

absl::Status CheckNotEmpty(absl::string_view what, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  }
  return absl::OkStatus();
}

absl::Status CheckRole(const RoleRecord& role) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", role.name));
  const std::string where = absl::StrCat("role \"", role.name, "\": ");
  if (role.trust_policy.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "trust policy name is empty"));
  }
  if (role.trust_policy.document.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "trust policy \"",
                                                   role.trust_policy.name,
                                                   "\" has an empty document"));
  }
  std::set<absl::string_view> names;
  for (size_t i = 0; i < role.permission_policies.size(); ++i) {
    const PolicyDocument& policy = role.permission_policies[i];
    if (policy.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "permission policy ", i, " has an empty name"));
    }
    if (policy.document.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "permission policy \"", policy.name,
                       "\" has an empty document"));
    }
    if (!names.insert(policy.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "permission policy name \"", policy.name,
                       "\" is used twice; give each policy its own name"));
    }
  }
  if (role.max_token_lifetime_seconds <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "max_token_lifetime_seconds must be positive, got ",
                     role.max_token_lifetime_seconds));
  }
  if (role.secret_ttl_seconds <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "secret_ttl_seconds must be positive, got ",
                     role.secret_ttl_seconds));
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(absl::string_view name, int64_t version) {
  if (version < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret \"", name, "\": version must be 1 or more, got ", version));
  }
  return absl::OkStatus();
}

absl::Status CheckFields(absl::string_view name, int64_t version,
                         const EncryptedSecretFields& fields) {
  const char* empty = nullptr;
  if (fields.kek_id.empty()) {
    empty = "kek_id";
  } else if (fields.wrapped_data_key.empty()) {
    empty = "wrapped_data_key";
  } else if (fields.ciphertext.empty()) {
    empty = "ciphertext";
  }
  if (empty != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret \"", name, "\" version ", version, ": ", empty, " is empty"));
  }
  return absl::OkStatus();
}

absl::Status CheckUpdates(const std::vector<SecretFieldsUpdate>& updates) {
  std::set<std::pair<absl::string_view, int64_t>> seen;
  for (const SecretFieldsUpdate& update : updates) {
    RETURN_IF_ERROR(CheckNotEmpty("secret name", update.name));
    RETURN_IF_ERROR(CheckVersion(update.name, update.version));
    RETURN_IF_ERROR(CheckFields(update.name, update.version, update.fields));
    if (!seen.emplace(update.name, update.version).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("secret \"", update.name, "\" version ", update.version,
                       " is listed twice in one update"));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> PrefixUpperBound(absl::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    unsigned char last = static_cast<unsigned char>(bound.back());
    if (last != 0xff) {
      bound.back() = static_cast<char>(last + 1);
      return bound;
    }
    bound.pop_back();
  }
  return std::nullopt;
}

absl::Status TrustBundleNotFound(absl::string_view issuer) {
  return absl::NotFoundError(
      absl::StrCat("no trust bundle for issuer \"", issuer, "\""));
}

absl::Status RoleNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("role \"", name, "\" not found"));
}

absl::Status SecretNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("secret \"", name, "\" not found"));
}

absl::Status NoEnabledVersion(absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat("secret \"", name, "\" has no enabled version"));
}

absl::Status VersionNotFound(absl::string_view name, int64_t version) {
  return absl::NotFoundError(
      absl::StrCat("secret \"", name, "\" has no version ", version));
}

absl::Status VersionDisabled(absl::string_view name, int64_t version) {
  return absl::NotFoundError(
      absl::StrCat("secret \"", name, "\" version ", version, " is disabled"));
}

absl::Status TokenAlreadyUsed(absl::string_view issuer, absl::string_view jti) {
  return absl::AlreadyExistsError(absl::StrCat(
      "token jti \"", jti, "\" from issuer \"", issuer, "\" was already used"));
}

absl::Status LostCompareAndSet(int64_t expected, int64_t actual) {
  return absl::AbortedError(absl::StrCat(
      "the store changed while secrets were being rewrapped (change counter ",
      expected, " expected, now ", actual, "); nothing was written, retry"));
}

absl::Status CheckMigrationList(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int64_t>(i) + 1) {
      return absl::InternalError(
          absl::StrCat("store migrations are not numbered 1, 2, 3, ...: entry ",
                       i, " has version ", migrations[i].version));
    }
  }
  if (migrations.empty()) return absl::InternalError("no store migrations");
  return absl::OkStatus();
}

void LogMigrated(absl::string_view store, int64_t from,
                 absl::Span<const Migration> migrations) {
  common::log::Info("store schema migrated",
                    {{"store", store},
                     {"from_version", from},
                     {"to_version", migrations.back().version},
                     {"last_step", migrations.back().summary}});
}

absl::Status NewerSchema(absl::string_view where, int64_t version,
                         int64_t latest) {
  return absl::FailedPreconditionError(absl::StrCat(
      where, " has schema version ", version,
      " but this secretd knows versions up to ", latest,
      "; it was written by a newer secretd: run that release (downgrades "
      "are not supported) or restore a backup made by this one"));
}

}  // namespace secretd::store_internal
