#include "secretd/store/internal/postgres_schema.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "secretd/store/internal/checks.h"

namespace secretd::postgres_internal {
namespace {

// Version 1: the tables of the SQLite schema (sqlite_schema.cc) with BYTEA
// for every string and BIGINT microseconds for times. The CHECKs repeat the
// store's argument checks so that no other writer (an admin with psql) can
// break invariants.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE change_counter (
  id    integer PRIMARY KEY CHECK (id = 1),
  value bigint NOT NULL CHECK (value >= 0)
);
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE trust_bundles (
  issuer        bytea PRIMARY KEY CHECK (length(issuer) > 0),
  jwks_json     bytea NOT NULL CHECK (length(jwks_json) > 0),
  updated_at_us bigint NOT NULL
);

CREATE TABLE roles (
  name                       bytea PRIMARY KEY CHECK (length(name) > 0),
  trust_policy_name          bytea NOT NULL
                             CHECK (length(trust_policy_name) > 0),
  trust_policy_document      bytea NOT NULL
                             CHECK (length(trust_policy_document) > 0),
  max_token_lifetime_seconds bigint NOT NULL
                             CHECK (max_token_lifetime_seconds > 0),
  secret_ttl_seconds         bigint NOT NULL CHECK (secret_ttl_seconds > 0),
  single_use_tokens          boolean NOT NULL,
  updated_at_us              bigint NOT NULL
);

CREATE TABLE role_permission_policies (
  role_name bytea NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
  position  bigint NOT NULL CHECK (position >= 0),
  name      bytea NOT NULL CHECK (length(name) > 0),
  document  bytea NOT NULL CHECK (length(document) > 0),
  PRIMARY KEY (role_name, position),
  UNIQUE (role_name, name)
);

CREATE TABLE secrets (
  name           bytea PRIMARY KEY CHECK (length(name) > 0),
  latest_version bigint NOT NULL CHECK (latest_version >= 1),
  created_at_us  bigint NOT NULL
);

CREATE TABLE secret_versions (
  name             bytea NOT NULL REFERENCES secrets (name),
  version          bigint NOT NULL CHECK (version >= 1),
  enabled          boolean NOT NULL,
  created_at_us    bigint NOT NULL,
  kek_id           bytea NOT NULL CHECK (length(kek_id) > 0),
  wrapped_data_key bytea NOT NULL CHECK (length(wrapped_data_key) > 0),
  ciphertext       bytea NOT NULL CHECK (length(ciphertext) > 0),
  PRIMARY KEY (name, version)
);

CREATE TABLE token_uses (
  issuer        bytea NOT NULL CHECK (length(issuer) > 0),
  jti           bytea NOT NULL CHECK (length(jti) > 0),
  expires_at_us bigint NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX token_uses_by_expiry ON token_uses (expires_at_us);
)sql";

constexpr Migration kMigrations[] = {
    {1, "trust bundles, roles, secret versions, token uses, change counter",
     kSchemaV1},
};

// The tables of the store, to recognise a schema that has them without a
// version table (not a secretd store, or a damaged one).
constexpr char kStoreTables[] =
    "'change_counter', 'trust_bundles', 'roles', 'role_permission_policies', "
    "'secrets', 'secret_versions', 'token_uses'";

// Sets *from to the schema version found in the transaction.
absl::Status MigrateInTransaction(Connection& conn,
                                  absl::Span<const Migration> migrations,
                                  int64_t* from) {
  const int64_t latest = migrations.back().version;
  const std::string where = absl::StrCat("store ", conn.label());
  // Held to the end of the transaction; waits at most lock_timeout.
  RETURN_IF_ERROR(conn.Exec(
      absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockKey, ")")));
  ASSIGN_OR_RETURN(
      Result schema,
      conn.ExecuteOnce("SELECT current_schema() IS NOT NULL, "
                       "to_regclass('secretd_schema_version') IS NOT NULL",
                       "", "tt", Params()));
  if (!schema.Bool(0, 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        where,
        ": no schema to create the store's tables in (the search_path names "
        "no existing schema); create one, or fix search_path in the URL"));
  }
  int64_t version = 0;
  if (schema.Bool(0, 1)) {
    ASSIGN_OR_RETURN(
        Result row,
        conn.ExecuteOnce("SELECT version FROM secretd_schema_version "
                         "WHERE id = 1",
                         "", "i", Params()));
    if (row.rows() != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          where,
          ": the table secretd_schema_version has no version row; restore "
          "the database from a backup"));
    }
    version = row.Int64(0, 0);
  } else {
    ASSIGN_OR_RETURN(
        Result tables,
        conn.ExecuteOnce(absl::StrCat("SELECT count(*) FROM pg_tables WHERE "
                                      "schemaname = current_schema() AND "
                                      "tablename IN (",
                                      kStoreTables, ")"),
                         "", "i", Params()));
    if (tables.Int64(0, 0) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          where,
          ": the schema has tables named like the store's (roles, secrets, "
          "...) but no secretd_schema_version table, so it is not a secretd "
          "store; give secretd an empty database or schema"));
    }
    RETURN_IF_ERROR(conn.Exec(
        "CREATE TABLE secretd_schema_version ("
        "id integer PRIMARY KEY CHECK (id = 1), "
        "version bigint NOT NULL CHECK (version >= 0)); "
        "INSERT INTO secretd_schema_version (id, version) VALUES (1, 0)"));
  }
  *from = version;
  if (version > latest) {
    return store_internal::NewerSchema(where, version, latest);
  }
  if (version < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, " has an invalid schema version ", version,
                     "; restore the database from a backup"));
  }
  if (version == latest) return absl::OkStatus();
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    RETURN_IF_ERROR(
        common::Annotate(conn.Exec(migration.sql),
                         absl::StrCat("migrating the store schema to version ",
                                      migration.version)));
  }
  return conn.Exec(absl::StrCat(
      "UPDATE secretd_schema_version SET version = ", latest, " WHERE id = 1"));
}

}  // namespace

absl::Span<const Migration> BuiltinMigrations() { return kMigrations; }

absl::Status MigrateSchema(Connection& conn,
                           absl::Span<const Migration> migrations) {
  RETURN_IF_ERROR(store_internal::CheckMigrationList(migrations));
  const int64_t latest = migrations.back().version;
  // READ COMMITTED: every statement after the lock sees what the replica
  // that held it before committed.
  RETURN_IF_ERROR(conn.Exec("BEGIN ISOLATION LEVEL READ COMMITTED"));
  int64_t from = latest;
  absl::Status status = MigrateInTransaction(conn, migrations, &from);
  if (status.ok()) status = conn.Exec("COMMIT");
  if (!status.ok()) {
    if (!conn.broken() && conn.InTransaction()) {
      conn.Exec("ROLLBACK").IgnoreError();
    }
    return status;
  }
  if (from != latest) {
    store_internal::LogMigrated(conn.label(), from, migrations);
  }
  return absl::OkStatus();
}

}  // namespace secretd::postgres_internal
