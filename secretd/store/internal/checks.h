// Argument checks and error messages shared by every Store backend, so that
// all of them reject the same inputs with the same codes and words.
// Messages name the object (issuer, role, secret name, version), never a
// document, a key or a ciphertext.
#ifndef SECRETD_SECRETD_STORE_INTERNAL_CHECKS_H_
#define SECRETD_SECRETD_STORE_INTERNAL_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "secretd/store/store.h"

namespace secretd::store_internal {

// kInvalidArgument "<what> is empty" if `value` is empty.
absl::Status CheckNotEmpty(absl::string_view what, absl::string_view value);
// Everything PutRole promises to reject (see store.h).
absl::Status CheckRole(const RoleRecord& role);
// kInvalidArgument unless version >= 1.
absl::Status CheckVersion(absl::string_view name, int64_t version);
// kInvalidArgument if any of the three fields is empty.
absl::Status CheckFields(absl::string_view name, int64_t version,
                         const EncryptedSecretFields& fields);
// Each update checked, and no (name, version) listed twice.
absl::Status CheckUpdates(const std::vector<SecretFieldsUpdate>& updates);

// The smallest string greater than every string that starts with `prefix`
// (the exclusive upper bound of a ListSecrets range scan), or nullopt if
// there is none (prefix "" or all 0xff bytes).
std::optional<std::string> PrefixUpperBound(absl::string_view prefix);

absl::Status TrustBundleNotFound(absl::string_view issuer);
absl::Status RoleNotFound(absl::string_view name);
absl::Status SecretNotFound(absl::string_view name);
absl::Status NoEnabledVersion(absl::string_view name);
absl::Status VersionNotFound(absl::string_view name, int64_t version);
absl::Status VersionDisabled(absl::string_view name, int64_t version);
absl::Status TokenAlreadyUsed(absl::string_view issuer, absl::string_view jti);
absl::Status LostCompareAndSet(int64_t expected, int64_t actual);
// One schema migration of a backend (internal/sqlite_schema.cc,
// internal/postgres_schema.cc).
struct Migration {
  int64_t version;      // 1, 2, 3, ... in order
  const char* summary;  // one line, for the log and docs/store.md
  const char* sql;      // the backend runs it inside its migration
                        // transaction
};

// kInternal unless `migrations` is non-empty and numbered 1, 2, 3, ...
absl::Status CheckMigrationList(absl::Span<const Migration> migrations);
// Logs that the store `store` was migrated from version `from` to the last
// of `migrations`.
void LogMigrated(absl::string_view store, int64_t from,
                 absl::Span<const Migration> migrations);

// kFailedPrecondition: the store `where` (e.g. `store "data/store.db"`) has
// schema `version`, newer than the `latest` this binary knows.
absl::Status NewerSchema(absl::string_view where, int64_t version,
                         int64_t latest);

}  // namespace secretd::store_internal

#endif  // SECRETD_SECRETD_STORE_INTERNAL_CHECKS_H_
