// The SQLite store's schema and its migrations.
//
// The schema version lives in the file header (PRAGMA user_version) and the
// file is marked as a secretd store (PRAGMA application_id). Opening a store
// runs MigrateSchema: each migration newer than the file's version runs in
// order, all in one BEGIN IMMEDIATE transaction together with the new
// user_version, so a crash or a failed step leaves the old schema intact and
// two processes opening one file at once migrate it once. A file whose
// version is newer than the last migration known to this binary is refused.
//
// To change the schema, append a Migration with the next version to
// kMigrations in sqlite_schema.cc (never edit a released one) and describe it
// in docs/store.md.
#ifndef SECRETD_SECRETD_STORE_INTERNAL_SQLITE_SCHEMA_H_
#define SECRETD_SECRETD_STORE_INTERNAL_SQLITE_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "secretd/store/internal/checks.h"
#include "secretd/store/internal/sqlite.h"

namespace secretd::sqlite_internal {

// PRAGMA application_id of every secretd store: "SECD" in ASCII.
inline constexpr int64_t kApplicationId = 0x53454344;

// Each migration's SQL runs with sqlite3_exec inside the transaction.
using Migration = store_internal::Migration;

// The migrations of this release; the last one's version is the schema
// version this binary writes.
absl::Span<const Migration> BuiltinMigrations();

// Brings the database on `conn` to the last version in `migrations`
// (consecutive from 1). kFailedPrecondition if the file is not a secretd
// store (another application_id, or tables without a schema version) or its
// schema is newer than `migrations` knows; kUnavailable if the write lock
// cannot be had within the busy timeout; a failing step's error (nothing
// changed). Logs each migration it applies.
absl::Status MigrateSchema(Connection& conn,
                           absl::Span<const Migration> migrations);

}  // namespace secretd::sqlite_internal

#endif  // SECRETD_SECRETD_STORE_INTERNAL_SQLITE_SCHEMA_H_
