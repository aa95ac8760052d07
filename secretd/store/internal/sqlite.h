// Thin RAII layer over the SQLite C API for SqliteStore: a connection with a
// cache of prepared statements, a statement handle that resets itself, and
// the one mapping from SQLite result codes to absl::Status codes.
//
//   ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(
//       "SELECT value FROM change_counter WHERE id = 1"));
//   ASSIGN_OR_RETURN(bool row, stmt.Step());
//   int64_t value = stmt.ColumnInt64(0);
//
// Not thread-safe: a Connection and its Statements belong to one thread at
// a time (SqliteStore guards each connection with a mutex or a pool).
#ifndef SECRETD_SECRETD_STORE_INTERNAL_SQLITE_H_
#define SECRETD_SECRETD_STORE_INTERNAL_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace secretd::sqlite_internal {

// The status for SQLite result `code` (primary or extended) on the store at
// `path`. `db` (may be null) supplies the detailed message. Codes:
//   BUSY, LOCKED (waited longer than the busy timeout), FULL, IOERR,
//   CANTOPEN, PROTOCOL, READONLY, NOLFS      -> kUnavailable (fail closed)
//   CORRUPT, NOTADB                          -> kDataLoss
//   NOMEM                                    -> kResourceExhausted
//   CONSTRAINT (unique / primary key)        -> kAlreadyExists
//   CONSTRAINT (check)                       -> kInvalidArgument
//   CONSTRAINT (foreign key)                 -> kFailedPrecondition
//   INTERRUPT                                -> kCancelled
//   anything else                            -> kInternal
// The message reads `store "<path>": <sqlite message> (<code name>)`, plus
// what to do for the common environment failures. SQLite's messages name
// tables and columns, never bound values.
absl::Status SqliteError(int code, absl::string_view path, sqlite3* db);

// A prepared statement borrowed from a Connection's cache. Resets itself and
// clears its bindings when destroyed, so the cached statement is ready for
// the next use. Move-only. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Text is bound by copy (SQLITE_TRANSIENT) with its exact length.
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindInt64(int index, int64_t value);
  Statement& BindNull(int index);
  // Unix microseconds.
  Statement& BindTime(int index, absl::Time value);

  // Runs one step: true if a row is ready, false when done. The first
  // failed bind, if any, is reported here.
  absl::StatusOr<bool> Step();
  // Steps to the end, ignoring rows (for statements run for effect).
  absl::Status Run();

  int64_t ColumnInt64(int index) const;
  bool ColumnBool(int index) const { return ColumnInt64(index) != 0; }
  std::string ColumnText(int index) const;
  std::string ColumnBlob(int index) const;
  absl::Time ColumnTime(int index) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, const std::string* path)
      : stmt_(stmt), path_(path) {}
  void NoteBind(int rc);

  sqlite3_stmt* stmt_;
  const std::string* path_;
  int bind_error_ = SQLITE_OK;
};

// One open database connection and its prepared-statement cache.
class Connection {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_EXRESCODE and
  // SQLITE_OPEN_NOMUTEX are added) through VFS `vfs` (empty: the default),
  // turns on extended result codes and defensive mode, and sets the busy
  // timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& path, int flags, const std::string& vfs,
      absl::Duration busy_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (one or more statements, no parameters, rows ignored)
  // without caching it: for PRAGMAs and schema migrations.
  absl::Status Exec(const char* sql);
  // The single value of a one-row query such as "PRAGMA user_version".
  absl::StatusOr<int64_t> QueryInt64(const char* sql);
  absl::StatusOr<std::string> QueryText(const char* sql);

  // The prepared statement for `sql`, prepared once (SQLITE_PREPARE_
  // PERSISTENT) and cached by its text. At most one Statement per `sql` may
  // be alive at a time.
  absl::StatusOr<Statement> Prepare(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // True while no transaction is open.
  bool AutoCommit() const { return sqlite3_get_autocommit(db_) != 0; }

  absl::Status Error(int code) const { return SqliteError(code, path_, db_); }
  const std::string& path() const { return path_; }
  sqlite3* db() const { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace secretd::sqlite_internal

#endif  // SECRETD_SECRETD_STORE_INTERNAL_SQLITE_H_
