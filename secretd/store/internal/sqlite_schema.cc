#include "secretd/store/internal/sqlite_schema.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "secretd/store/internal/checks.h"

namespace secretd::sqlite_internal {
namespace {

// Version 1. Times are Unix microseconds. STRICT tables make SQLite enforce
// the column types; the CHECKs repeat the store's argument checks so that
// no other writer (an admin with the sqlite3 shell) can break invariants.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE change_counter (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL CHECK (value >= 0)
) STRICT;
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE trust_bundles (
  issuer        TEXT PRIMARY KEY NOT NULL CHECK (issuer <> ''),
  jwks_json     TEXT NOT NULL CHECK (jwks_json <> ''),
  updated_at_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE roles (
  name                       TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
  trust_policy_name          TEXT NOT NULL CHECK (trust_policy_name <> ''),
  trust_policy_document      TEXT NOT NULL CHECK (trust_policy_document <> ''),
  max_token_lifetime_seconds INTEGER NOT NULL
                             CHECK (max_token_lifetime_seconds > 0),
  secret_ttl_seconds         INTEGER NOT NULL CHECK (secret_ttl_seconds > 0),
  single_use_tokens          INTEGER NOT NULL
                             CHECK (single_use_tokens IN (0, 1)),
  updated_at_us              INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE role_permission_policies (
  role_name TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
  position  INTEGER NOT NULL CHECK (position >= 0),
  name      TEXT NOT NULL CHECK (name <> ''),
  document  TEXT NOT NULL CHECK (document <> ''),
  PRIMARY KEY (role_name, position),
  UNIQUE (role_name, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE secrets (
  name           TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  created_at_us  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE secret_versions (
  name             TEXT NOT NULL REFERENCES secrets (name),
  version          INTEGER NOT NULL CHECK (version >= 1),
  enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at_us    INTEGER NOT NULL,
  kek_id           TEXT NOT NULL CHECK (kek_id <> ''),
  wrapped_data_key BLOB NOT NULL CHECK (length(wrapped_data_key) > 0),
  ciphertext       BLOB NOT NULL CHECK (length(ciphertext) > 0),
  PRIMARY KEY (name, version)
) STRICT;

CREATE TABLE token_uses (
  issuer        TEXT NOT NULL CHECK (issuer <> ''),
  jti           TEXT NOT NULL CHECK (jti <> ''),
  expires_at_us INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) STRICT, WITHOUT ROWID;
CREATE INDEX token_uses_by_expiry ON token_uses (expires_at_us);
)sql";

constexpr Migration kMigrations[] = {
    {1, "trust bundles, roles, secret versions, token uses, change counter",
     kSchemaV1},
};

std::string Hex(int64_t value) {
  return absl::StrFormat("0x%08x", static_cast<uint32_t>(value));
}

// Checks what the file says it is. `latest` is the newest version known.
absl::Status CheckIdentity(const Connection& conn, int64_t application_id,
                           int64_t version, int64_t latest) {
  if (application_id != 0 && application_id != kApplicationId) {
    return absl::FailedPreconditionError(absl::StrCat(
        "\"", conn.path(), "\" is not a secretd store (SQLite application_id ",
        Hex(application_id), ", expected ", Hex(kApplicationId),
        "); point --data-dir at a directory made by \"secretctl init\""));
  }
  if (version > latest) {
    return store_internal::NewerSchema(
        absl::StrCat("store \"", conn.path(), "\""), version, latest);
  }
  if (version < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store \"", conn.path(), "\" has an invalid schema version ", version,
        "; restore the store from a backup"));
  }
  return absl::OkStatus();
}

// What the file header says about the file.
struct Identity {
  int64_t application_id;
  int64_t version;
  bool Current(int64_t latest) const {
    return version == latest && application_id == kApplicationId;
  }
};

// Reads the header and refuses files this binary must not touch.
absl::StatusOr<Identity> ReadIdentity(Connection& conn, int64_t latest) {
  Identity identity;
  ASSIGN_OR_RETURN(identity.application_id,
                   conn.QueryInt64("PRAGMA application_id"));
  ASSIGN_OR_RETURN(identity.version, conn.QueryInt64("PRAGMA user_version"));
  RETURN_IF_ERROR(
      CheckIdentity(conn, identity.application_id, identity.version, latest));
  return identity;
}

// Sets *from to the schema version found in the transaction.
absl::Status MigrateInTransaction(Connection& conn,
                                  absl::Span<const Migration> migrations,
                                  int64_t* from) {
  const int64_t latest = migrations.back().version;
  ASSIGN_OR_RETURN(const Identity identity, ReadIdentity(conn, latest));
  const int64_t version = identity.version;
  *from = version;
  if (identity.Current(latest)) {
    return absl::OkStatus();  // another process migrated it meanwhile
  }
  if (version == 0) {
    ASSIGN_OR_RETURN(int64_t objects,
                     conn.QueryInt64("SELECT count(*) FROM sqlite_schema"));
    if (objects != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "\"", conn.path(),
          "\" is a SQLite database but not a secretd store (it has tables but "
          "no secretd schema version); point --data-dir at a directory made "
          "by \"secretctl init\""));
    }
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    RETURN_IF_ERROR(
        common::Annotate(conn.Exec(migration.sql),
                         absl::StrCat("migrating the store schema to version ",
                                      migration.version)));
  }
  RETURN_IF_ERROR(
      conn.Exec(absl::StrCat("PRAGMA user_version = ", latest).c_str()));
  return conn.Exec(
      absl::StrCat("PRAGMA application_id = ", kApplicationId).c_str());
}

}  // namespace

absl::Span<const Migration> BuiltinMigrations() { return kMigrations; }

absl::Status MigrateSchema(Connection& conn,
                           absl::Span<const Migration> migrations) {
  RETURN_IF_ERROR(store_internal::CheckMigrationList(migrations));
  const int64_t latest = migrations.back().version;
  // Fast path without the write lock: most opens find the schema current.
  ASSIGN_OR_RETURN(const Identity identity, ReadIdentity(conn, latest));
  if (identity.Current(latest)) return absl::OkStatus();
  RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
  int64_t from = latest;
  absl::Status status = MigrateInTransaction(conn, migrations, &from);
  if (status.ok()) status = conn.Exec("COMMIT");
  if (!status.ok()) {
    if (!conn.AutoCommit()) conn.Exec("ROLLBACK").IgnoreError();
    return status;
  }
  if (from != latest) {
    store_internal::LogMigrated(conn.path(), from, migrations);
  }
  return absl::OkStatus();
}

}  // namespace secretd::sqlite_internal
