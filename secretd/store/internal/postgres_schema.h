// The PostgreSQL store's schema and its migrations.
//
// The schema version lives in the table secretd_schema_version (one row) in
// the connection's current schema (the first of its search_path). Opening a
// store runs MigrateSchema: in one transaction that first takes
// pg_advisory_xact_lock(kMigrationLockKey), it reads the version, runs each
// newer migration in order and records the new version. PostgreSQL's DDL is
// transactional, so a failed step leaves the old schema intact, and
// replicas that start together queue on the lock and migrate once. A
// schema newer than this binary knows is refused.
//
// Every string column is BYTEA: the store keeps opaque bytes (names need
// not be UTF-8 and may hold any byte), ordering is byte order without
// depending on collations, and the database's encoding does not matter.
// Times are BIGINT Unix microseconds, as in SQLite.
//
// To change the schema, append a Migration with the next version to
// kMigrations in postgres_schema.cc (never edit a released one) and
// describe it in docs/store.md.
#ifndef SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_SCHEMA_H_
#define SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "secretd/store/internal/checks.h"
#include "secretd/store/internal/postgres.h"

namespace secretd::postgres_internal {

// The advisory lock key of migrations: "secretd" in ASCII, as a bigint.
inline constexpr int64_t kMigrationLockKey = 32481100117144676;

// Each migration's SQL runs with the simple query protocol inside the
// migration transaction.
using Migration = store_internal::Migration;

// The migrations of this release; the last one's version is the schema
// version this binary writes.
absl::Span<const Migration> BuiltinMigrations();

// Brings the schema on `conn` to the last version in `migrations`
// (consecutive from 1). kFailedPrecondition if the schema is newer than
// `migrations` knows, or the schema has tables named like the store's but
// no version table (not a secretd store); kUnavailable if the lock or the
// database cannot be had within the timeouts; a failing step's error
// (nothing changed). Logs each migration it applies.
absl::Status MigrateSchema(Connection& conn,
                           absl::Span<const Migration> migrations);

}  // namespace secretd::postgres_internal

#endif  // SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_SCHEMA_H_
