#include "secretd/store/internal/sqlite.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace secretd::sqlite_internal {
namespace {

const char* PrimaryCodeName(int primary) {
  switch (primary) {
    case SQLITE_ERROR:
      return "SQLITE_ERROR";
    case SQLITE_INTERNAL:
      return "SQLITE_INTERNAL";
    case SQLITE_PERM:
      return "SQLITE_PERM";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_CANTOPEN:
      return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL:
      return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA:
      return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG:
      return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH:
      return "SQLITE_MISMATCH";
    case SQLITE_MISUSE:
      return "SQLITE_MISUSE";
    case SQLITE_NOLFS:
      return "SQLITE_NOLFS";
    case SQLITE_RANGE:
      return "SQLITE_RANGE";
    case SQLITE_NOTADB:
      return "SQLITE_NOTADB";
    default:
      return "SQLITE_UNKNOWN";
  }
}

}  // namespace

absl::Status SqliteError(int code, absl::string_view path, sqlite3* db) {
  const int primary = code & 0xff;
  // sqlite3_errmsg describes the most recent failure on `db`; use it only if
  // that failure is the one being reported.
  const char* detail = (db != nullptr && sqlite3_extended_errcode(db) == code)
                           ? sqlite3_errmsg(db)
                           : sqlite3_errstr(code);
  std::string message = absl::StrCat("store \"", path, "\": ", detail, " (",
                                     PrimaryCodeName(primary));
  if (code != primary) absl::StrAppend(&message, ", extended code ", code);
  absl::StrAppend(&message, ")");
  absl::StatusCode status_code = absl::StatusCode::kInternal;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      status_code = absl::StatusCode::kUnavailable;
      absl::StrAppend(&message,
                      "; another connection held the database lock for "
                      "longer than the busy timeout, retry later");
      break;
    case SQLITE_FULL:
      status_code = absl::StatusCode::kUnavailable;
      absl::StrAppend(&message, "; free disk space on the store's file system");
      break;
    case SQLITE_READONLY:
      status_code = absl::StatusCode::kUnavailable;
      absl::StrAppend(&message,
                      "; check that the store file, its directory and its "
                      "-wal and -shm files are writable by this user");
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
      status_code = absl::StatusCode::kUnavailable;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      status_code = absl::StatusCode::kDataLoss;
      absl::StrAppend(&message, "; restore the store from a backup");
      break;
    case SQLITE_NOMEM:
      status_code = absl::StatusCode::kResourceExhausted;
      break;
    case SQLITE_INTERRUPT:
      status_code = absl::StatusCode::kCancelled;
      break;
    case SQLITE_CONSTRAINT:
      switch (code) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          status_code = absl::StatusCode::kAlreadyExists;
          break;
        case SQLITE_CONSTRAINT_CHECK:
          status_code = absl::StatusCode::kInvalidArgument;
          break;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          status_code = absl::StatusCode::kFailedPrecondition;
          break;
        default:
          break;
      }
      break;
    default:
      break;
  }
  return absl::Status(status_code, message);
}

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      path_(other.path_),
      bind_error_(other.bind_error_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Statement& Statement::BindText(int index, absl::string_view value) {
  // A non-null pointer even for "" so that the value is '' and not NULL.
  NoteBind(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(),
                               value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view bytes) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(),
                               bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Statement& Statement::BindTime(int index, absl::Time value) {
  return BindInt64(index, absl::ToUnixMicros(value));
}

absl::StatusOr<bool> Statement::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_error_ != SQLITE_OK) return SqliteError(bind_error_, *path_, db);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, *path_, db);
}

absl::Status Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

int64_t Statement::ColumnInt64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), size);
}

std::string Statement::ColumnBlob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (blob == nullptr) return std::string();
  return std::string(static_cast<const char*>(blob), size);
}

absl::Time Statement::ColumnTime(int index) const {
  return absl::FromUnixMicros(ColumnInt64(index));
}

// ---- Connection ----

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& path, int flags, const std::string& vfs,
    absl::Duration busy_timeout) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, flags | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX,
      vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(rc, path, db);
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return status;
  }
  std::unique_ptr<Connection> conn(new Connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  // Defensive mode: no writable_schema, no journal tricks from SQL.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  const int64_t ms = absl::ToInt64Milliseconds(busy_timeout);
  const int rc_busy = sqlite3_busy_timeout(
      db, static_cast<int>(std::min<int64_t>(std::max<int64_t>(ms, 0),
                                             std::numeric_limits<int>::max())));
  if (rc_busy != SQLITE_OK) return conn->Error(rc_busy);
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::Status Connection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Connection::QueryInt64(const char* sql) {
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::InternalError(
        absl::StrCat("store \"", path_, "\": no row from \"", sql, "\""));
  }
  return stmt.ColumnInt64(0);
}

absl::StatusOr<std::string> Connection::QueryText(const char* sql) {
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::InternalError(
        absl::StrCat("store \"", path_, "\": no row from \"", sql, "\""));
  }
  return stmt.ColumnText(0);
}

absl::StatusOr<Statement> Connection::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Statement(it->second, &path_);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc);
  statements_.emplace(sql, stmt);
  return Statement(stmt, &path_);
}

}  // namespace secretd::sqlite_internal
