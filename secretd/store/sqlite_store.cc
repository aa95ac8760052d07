#include "secretd/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "secretd/store/internal/checks.h"
#include "secretd/store/internal/sqlite.h"
#include "secretd/store/internal/sqlite_schema.h"

namespace secretd {
namespace {

using sqlite_internal::Connection;
using sqlite_internal::Statement;
using store_internal::CheckNotEmpty;

// ---- SQL. Every statement is prepared once per connection and cached. ----

constexpr char kBegin[] = "BEGIN";
constexpr char kBeginImmediate[] = "BEGIN IMMEDIATE";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";

constexpr char kGetCounter[] = "SELECT value FROM change_counter WHERE id = 1";
constexpr char kBumpCounter[] =
    "UPDATE change_counter SET value = value + 1 WHERE id = 1";

constexpr char kPutTrustBundle[] =
    "INSERT INTO trust_bundles (issuer, jwks_json, updated_at_us) "
    "VALUES (?1, ?2, ?3) ON CONFLICT (issuer) DO UPDATE SET "
    "jwks_json = excluded.jwks_json, updated_at_us = excluded.updated_at_us";
constexpr char kDeleteTrustBundle[] =
    "DELETE FROM trust_bundles WHERE issuer = ?1";
constexpr char kListTrustBundles[] =
    "SELECT issuer, jwks_json, updated_at_us FROM trust_bundles "
    "ORDER BY issuer";

constexpr char kPutRole[] =
    "INSERT INTO roles (name, trust_policy_name, trust_policy_document, "
    "max_token_lifetime_seconds, secret_ttl_seconds, single_use_tokens, "
    "updated_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (name) DO UPDATE SET "
    "trust_policy_name = excluded.trust_policy_name, "
    "trust_policy_document = excluded.trust_policy_document, "
    "max_token_lifetime_seconds = excluded.max_token_lifetime_seconds, "
    "secret_ttl_seconds = excluded.secret_ttl_seconds, "
    "single_use_tokens = excluded.single_use_tokens, "
    "updated_at_us = excluded.updated_at_us";
constexpr char kDeleteRolePolicies[] =
    "DELETE FROM role_permission_policies WHERE role_name = ?1";
constexpr char kInsertRolePolicy[] =
    "INSERT INTO role_permission_policies (role_name, position, name, "
    "document) VALUES (?1, ?2, ?3, ?4)";
constexpr char kGetRole[] =
    "SELECT name, trust_policy_name, trust_policy_document, "
    "max_token_lifetime_seconds, secret_ttl_seconds, single_use_tokens, "
    "updated_at_us FROM roles WHERE name = ?1";
constexpr char kListRoles[] =
    "SELECT name, trust_policy_name, trust_policy_document, "
    "max_token_lifetime_seconds, secret_ttl_seconds, single_use_tokens, "
    "updated_at_us FROM roles ORDER BY name";
constexpr char kGetRolePolicies[] =
    "SELECT role_name, name, document FROM role_permission_policies "
    "WHERE role_name = ?1 ORDER BY position";
constexpr char kListRolePolicies[] =
    "SELECT role_name, name, document FROM role_permission_policies "
    "ORDER BY role_name, position";
constexpr char kDeleteRole[] = "DELETE FROM roles WHERE name = ?1";

constexpr char kNextVersion[] =
    "INSERT INTO secrets (name, latest_version, created_at_us) "
    "VALUES (?1, 1, ?2) ON CONFLICT (name) DO UPDATE SET "
    "latest_version = latest_version + 1 RETURNING latest_version";
constexpr char kInsertVersion[] =
    "INSERT INTO secret_versions (name, version, enabled, created_at_us, "
    "kek_id, wrapped_data_key, ciphertext) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)";
constexpr char kSecretExists[] = "SELECT 1 FROM secrets WHERE name = ?1";
constexpr char kGetVersion[] =
    "SELECT version, enabled, created_at_us, kek_id, wrapped_data_key, "
    "ciphertext FROM secret_versions WHERE name = ?1 AND version = ?2";
constexpr char kGetNewestEnabled[] =
    "SELECT version, enabled, created_at_us, kek_id, wrapped_data_key, "
    "ciphertext FROM secret_versions WHERE name = ?1 AND enabled = 1 "
    "ORDER BY version DESC LIMIT 1";
constexpr char kDisableVersion[] =
    "UPDATE secret_versions SET enabled = 0 "
    "WHERE name = ?1 AND version = ?2 AND enabled = 1";
constexpr char kVersionExists[] =
    "SELECT 1 FROM secret_versions WHERE name = ?1 AND version = ?2";
// ?1 is the prefix; ?2 the smallest string above every string with that
// prefix, or NULL when there is none (prefix "" or all 0xff bytes).
constexpr char kListSecrets[] =
    "SELECT s.name, s.latest_version, v.version, v.enabled, v.created_at_us, "
    "v.kek_id FROM secrets AS s JOIN secret_versions AS v ON v.name = s.name "
    "WHERE s.name >= ?1 AND (?2 IS NULL OR s.name < ?2) "
    "ORDER BY s.name, v.version";
constexpr char kReadAllVersions[] =
    "SELECT name, version, enabled, created_at_us, kek_id, wrapped_data_key, "
    "ciphertext FROM secret_versions ORDER BY name, version";
constexpr char kReplaceFields[] =
    "UPDATE secret_versions SET kek_id = ?3, wrapped_data_key = ?4, "
    "ciphertext = ?5 WHERE name = ?1 AND version = ?2";

// A recorded use blocks a new one only while it has not expired (?4 = now).
constexpr char kRecordTokenUse[] =
    "INSERT INTO token_uses (issuer, jti, expires_at_us) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (issuer, jti) DO UPDATE SET "
    "expires_at_us = excluded.expires_at_us "
    "WHERE token_uses.expires_at_us <= ?4";
constexpr char kPurgeTokenUses[] =
    "DELETE FROM token_uses WHERE expires_at_us <= ?1";

absl::Status RunCached(Connection& conn, const char* sql) {
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  return stmt.Run();
}

absl::Status BumpChangeCounter(Connection& conn) {
  return RunCached(conn, kBumpCounter);
}

absl::StatusOr<int64_t> ReadChangeCounter(Connection& conn) {
  return conn.QueryInt64(kGetCounter);
}

RoleRecord RoleFromRow(const Statement& stmt) {
  RoleRecord role;
  role.name = stmt.ColumnText(0);
  role.trust_policy.name = stmt.ColumnText(1);
  role.trust_policy.document = stmt.ColumnText(2);
  role.max_token_lifetime_seconds = stmt.ColumnInt64(3);
  role.secret_ttl_seconds = stmt.ColumnInt64(4);
  role.single_use_tokens = stmt.ColumnBool(5);
  role.updated_at = stmt.ColumnTime(6);
  return role;
}

// Every role with its permission policies, sorted by name.
absl::StatusOr<std::vector<RoleRecord>> ReadAllRoles(Connection& conn) {
  std::vector<RoleRecord> roles;
  {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kListRoles));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      roles.push_back(RoleFromRow(stmt));
    }
  }
  std::map<std::string, RoleRecord*, std::less<>> by_name;
  for (RoleRecord& role : roles) by_name[role.name] = &role;
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kListRolePolicies));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto it = by_name.find(stmt.ColumnText(0));
    if (it == by_name.end()) continue;  // impossible with foreign keys on
    it->second->permission_policies.push_back(
        {stmt.ColumnText(1), stmt.ColumnText(2)});
  }
  return roles;
}

absl::StatusOr<std::vector<TrustBundleRecord>> ReadAllTrustBundles(
    Connection& conn) {
  std::vector<TrustBundleRecord> bundles;
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kListTrustBundles));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    bundles.push_back(
        {stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnTime(2)});
  }
  return bundles;
}

// Columns: version, enabled, created_at_us, kek_id, wrapped_data_key,
// ciphertext starting at `first`.
SecretVersionRecord VersionFromRow(const Statement& stmt,
                                   absl::string_view name, int first) {
  SecretVersionRecord record;
  record.name = std::string(name);
  record.version = stmt.ColumnInt64(first);
  record.enabled = stmt.ColumnBool(first + 1);
  record.created_at = stmt.ColumnTime(first + 2);
  record.fields.kek_id = stmt.ColumnText(first + 3);
  record.fields.wrapped_data_key = stmt.ColumnBlob(first + 4);
  record.fields.ciphertext = stmt.ColumnBlob(first + 5);
  return record;
}

absl::StatusOr<bool> Exists(Connection& conn, const char* sql,
                            absl::string_view name,
                            std::optional<int64_t> version = std::nullopt) {
  ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  stmt.BindText(1, name);
  if (version.has_value()) stmt.BindInt64(2, *version);
  return stmt.Step();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status ErrnoStatus(int err, absl::string_view what,
                         const std::string& path) {
  const absl::StatusCode code =
      (err == ENOENT || err == ENOTDIR || err == EACCES || err == EPERM ||
       err == ELOOP || err == EROFS)
          ? absl::StatusCode::kFailedPrecondition
          : absl::StatusCode::kUnavailable;
  return absl::Status(code, absl::StrCat("cannot ", what, " store \"", path,
                                         "\": ", std::strerror(err)));
}

// Makes sure a regular file exists at `path`, creating it with mode 0600
// when allowed.
absl::Status EnsureFile(const std::string& path, bool create) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("store \"", path, "\" is not a regular file"));
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) return ErrnoStatus(errno, "inspect", path);
  if (!create) {
    const std::string dir = DirectoryOf(path);
    return absl::FailedPreconditionError(absl::StrCat(
        "no store at \"", path, "\"; run \"secretctl init --data-dir ", dir,
        "\" first, or point --data-dir at an initialised directory"));
  }
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
             S_IRUSR | S_IWUSR);
  if (fd < 0) {
    if (errno == EEXIST) return absl::OkStatus();  // created meanwhile
    return ErrnoStatus(errno, "create", path);
  }
  // The umask can only remove bits; fchmod makes the mode exactly 0600.
  // SQLite gives the -wal and -shm files the same mode.
  const int rc = ::fchmod(fd, S_IRUSR | S_IWUSR);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "set the mode of", path);
  return absl::OkStatus();
}

// Applies the per-connection settings shared by the writer and readers.
absl::Status ConfigureConnection(Connection& conn, bool writer) {
  if (writer) {
    ASSIGN_OR_RETURN(std::string mode,
                     conn.QueryText("PRAGMA journal_mode = WAL"));
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("store \"", conn.path(),
                       "\" cannot use write-ahead logging (journal mode is \"",
                       mode, "\"); put the store on a local file system"));
    }
    RETURN_IF_ERROR(conn.Exec("PRAGMA synchronous = FULL"));
    RETURN_IF_ERROR(conn.Exec("PRAGMA secure_delete = ON"));
    // After a checkpoint the WAL shrinks back to at most 4 MiB.
    RETURN_IF_ERROR(conn.Exec("PRAGMA journal_size_limit = 4194304"));
  } else {
    RETURN_IF_ERROR(conn.Exec("PRAGMA query_only = ON"));
  }
  return conn.Exec("PRAGMA foreign_keys = ON");
}

}  // namespace

int64_t SqliteStore::SchemaVersion() {
  return sqlite_internal::BuiltinMigrations().back().version;
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path, const common::Clock& clock,
    const Options& options) {
  return OpenSqliteStoreWithMigrations(path, clock, options,
                                       sqlite_internal::BuiltinMigrations());
}

absl::StatusOr<std::unique_ptr<SqliteStore>> OpenSqliteStoreWithMigrations(
    const std::string& path, const common::Clock& clock,
    const SqliteStore::Options& options,
    absl::Span<const store_internal::Migration> migrations) {
  if (path.empty()) {
    return absl::InvalidArgumentError("store path is empty");
  }
  if (options.reader_connections < 0 || options.reader_connections > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("reader_connections must be between 0 and 64, got ",
                     options.reader_connections));
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("busy_timeout must not be negative");
  }
  if (sqlite3_threadsafe() == 0) {
    return absl::FailedPreconditionError(
        "the SQLite library was built without thread support");
  }
  // Memory statistics take a global mutex on every allocation, serializing
  // threads that use separate connections. Only possible before SQLite
  // initializes; a no-op (SQLITE_MISUSE, ignored) after.
  static const int kNoMemStatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kNoMemStatus;
  RETURN_IF_ERROR(EnsureFile(path, options.create));

  std::unique_ptr<SqliteStore> store(new SqliteStore(path, clock));
  {
    absl::MutexLock lock(&store->write_mu_);
    ASSIGN_OR_RETURN(store->writer_,
                     Connection::Open(path, SQLITE_OPEN_READWRITE, options.vfs,
                                      options.busy_timeout));
    absl::Status status = ConfigureConnection(*store->writer_, true);
    if (!status.ok() &&
        sqlite3_extended_errcode(store->writer_->db()) == SQLITE_NOTADB) {
      return absl::FailedPreconditionError(absl::StrCat(
          "\"", path,
          "\" is not a SQLite database, so not a secretd store; point "
          "--data-dir at a directory made by \"secretctl init\""));
    }
    RETURN_IF_ERROR(status);
    RETURN_IF_ERROR(
        sqlite_internal::MigrateSchema(*store->writer_, migrations));
  }
  for (int i = 0; i < options.reader_connections; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                     Connection::Open(path, SQLITE_OPEN_READONLY, options.vfs,
                                      options.busy_timeout));
    RETURN_IF_ERROR(ConfigureConnection(*reader, false));
    store->readers_.push_back(std::move(reader));
  }
  absl::MutexLock lock(&store->pool_mu_);
  for (auto& reader : store->readers_) {
    store->idle_readers_.push_back(reader.get());
  }
  return store;
}

SqliteStore::SqliteStore(std::string path, const common::Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

SqliteStore::~SqliteStore() {
  // Readers first: the last connection to close checkpoints the WAL.
  readers_.clear();
  absl::MutexLock lock(&write_mu_);
  writer_.reset();
}

absl::Time SqliteStore::Now() const { return TruncateToMicros(clock_.Now()); }

absl::Status SqliteStore::Write(
    absl::FunctionRef<absl::Status(Connection&)> fn) {
  absl::MutexLock lock(&write_mu_);
  Connection& conn = *writer_;
  RETURN_IF_ERROR(RunCached(conn, kBeginImmediate));
  absl::Status status = fn(conn);
  if (status.ok()) status = RunCached(conn, kCommit);
  // SQLite may already have rolled back (e.g. after SQLITE_FULL).
  if (!status.ok() && !conn.AutoCommit()) {
    RunCached(conn, kRollback).IgnoreError();
  }
  return status;
}

SqliteStore::Connection* SqliteStore::AcquireReader() {
  pool_mu_.LockWhen(absl::Condition(
      +[](std::vector<Connection*>* idle) { return !idle->empty(); },
      &idle_readers_));
  Connection* conn = idle_readers_.back();
  idle_readers_.pop_back();
  pool_mu_.Unlock();
  return conn;
}

void SqliteStore::ReleaseReader(Connection* conn) {
  absl::MutexLock lock(&pool_mu_);
  idle_readers_.push_back(conn);
}

absl::Status SqliteStore::Read(
    absl::FunctionRef<absl::Status(Connection&)> fn) {
  auto run = [&](Connection& conn) {
    RETURN_IF_ERROR(RunCached(conn, kBegin));
    absl::Status status = fn(conn);
    if (status.ok()) status = RunCached(conn, kCommit);
    if (!status.ok() && !conn.AutoCommit()) {
      RunCached(conn, kRollback).IgnoreError();
    }
    return status;
  };
  if (readers_.empty()) {
    absl::MutexLock lock(&write_mu_);
    return run(*writer_);
  }
  Connection* conn = AcquireReader();
  absl::Status status = run(*conn);
  ReleaseReader(conn);
  return status;
}

absl::Status SqliteStore::Checkpoint() {
  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(Statement stmt,
                   writer_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (row && stmt.ColumnInt64(0) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "store \"", path_,
        "\": checkpoint could not finish because other connections were "
        "using the database; retry"));
  }
  return absl::OkStatus();
}

// ---- Trust bundles ----

absl::Status SqliteStore::PutTrustBundle(absl::string_view issuer,
                                         absl::string_view jwks_json) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jwks_json", jwks_json));
  const absl::Time now = Now();
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kPutTrustBundle));
      stmt.BindText(1, issuer).BindText(2, jwks_json).BindTime(3, now);
      RETURN_IF_ERROR(stmt.Run());
    }
    return BumpChangeCounter(conn);
  });
}

absl::Status SqliteStore::DeleteTrustBundle(absl::string_view issuer) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kDeleteTrustBundle));
      stmt.BindText(1, issuer);
      RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() == 0) return store_internal::TrustBundleNotFound(issuer);
    return BumpChangeCounter(conn);
  });
}

absl::StatusOr<std::vector<TrustBundleRecord>> SqliteStore::ListTrustBundles() {
  std::vector<TrustBundleRecord> bundles;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(bundles, ReadAllTrustBundles(conn));
    return absl::OkStatus();
  }));
  return bundles;
}

// ---- Roles ----

absl::Status SqliteStore::PutRole(const RoleRecord& role) {
  RETURN_IF_ERROR(store_internal::CheckRole(role));
  const absl::Time now = Now();
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kPutRole));
      stmt.BindText(1, role.name)
          .BindText(2, role.trust_policy.name)
          .BindText(3, role.trust_policy.document)
          .BindInt64(4, role.max_token_lifetime_seconds)
          .BindInt64(5, role.secret_ttl_seconds)
          .BindInt64(6, role.single_use_tokens ? 1 : 0)
          .BindTime(7, now);
      RETURN_IF_ERROR(stmt.Run());
    }
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kDeleteRolePolicies));
      stmt.BindText(1, role.name);
      RETURN_IF_ERROR(stmt.Run());
    }
    for (size_t i = 0; i < role.permission_policies.size(); ++i) {
      const PolicyDocument& policy = role.permission_policies[i];
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kInsertRolePolicy));
      stmt.BindText(1, role.name)
          .BindInt64(2, static_cast<int64_t>(i))
          .BindText(3, policy.name)
          .BindText(4, policy.document);
      RETURN_IF_ERROR(stmt.Run());
    }
    return BumpChangeCounter(conn);
  });
}

absl::StatusOr<RoleRecord> SqliteStore::GetRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  RoleRecord role;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kGetRole));
      stmt.BindText(1, name);
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return store_internal::RoleNotFound(name);
      role = RoleFromRow(stmt);
    }
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kGetRolePolicies));
    stmt.BindText(1, name);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      role.permission_policies.push_back(
          {stmt.ColumnText(1), stmt.ColumnText(2)});
    }
    return absl::OkStatus();
  }));
  return role;
}

absl::StatusOr<std::vector<RoleRecord>> SqliteStore::ListRoles() {
  std::vector<RoleRecord> roles;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(roles, ReadAllRoles(conn));
    return absl::OkStatus();
  }));
  return roles;
}

absl::Status SqliteStore::DeleteRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kDeleteRole));
      stmt.BindText(1, name);
      RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() == 0) return store_internal::RoleNotFound(name);
    return BumpChangeCounter(conn);
  });
}

// ---- Secret versions ----

absl::StatusOr<int64_t> SqliteStore::AddSecretVersion(
    absl::string_view name, const EncryptSecretFn& encrypt) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  int64_t version = 0;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    const absl::Time now = Now();
    {
      // Takes the next number under the write lock: no other writer, in
      // any process, can get it until this transaction ends.
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kNextVersion));
      stmt.BindText(1, name).BindTime(2, now);
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) {
        return absl::InternalError(
            absl::StrCat("store \"", path_,
                         "\": no version number for secret \"", name, "\""));
      }
      version = stmt.ColumnInt64(0);
      RETURN_IF_ERROR(stmt.Run());
    }
    ASSIGN_OR_RETURN(EncryptedSecretFields fields, encrypt(version));
    RETURN_IF_ERROR(store_internal::CheckFields(name, version, fields));
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kInsertVersion));
      stmt.BindText(1, name)
          .BindInt64(2, version)
          .BindTime(3, now)
          .BindText(4, fields.kek_id)
          .BindBlob(5, fields.wrapped_data_key)
          .BindBlob(6, fields.ciphertext);
      RETURN_IF_ERROR(stmt.Run());
    }
    return BumpChangeCounter(conn);
  }));
  return version;
}

absl::StatusOr<SecretVersionRecord> SqliteStore::GetSecretVersion(
    absl::string_view name, std::optional<int64_t> version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  if (version.has_value()) {
    RETURN_IF_ERROR(store_internal::CheckVersion(name, *version));
  }
  SecretVersionRecord record;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          Statement stmt,
          conn.Prepare(version.has_value() ? kGetVersion : kGetNewestEnabled));
      stmt.BindText(1, name);
      if (version.has_value()) stmt.BindInt64(2, *version);
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (row) {
        record = VersionFromRow(stmt, name, 0);
        if (!record.enabled) {
          return store_internal::VersionDisabled(name, *version);
        }
        return absl::OkStatus();
      }
    }
    ASSIGN_OR_RETURN(bool secret_exists, Exists(conn, kSecretExists, name));
    if (!secret_exists) return store_internal::SecretNotFound(name);
    if (!version.has_value()) return store_internal::NoEnabledVersion(name);
    return store_internal::VersionNotFound(name, *version);
  }));
  return record;
}

absl::Status SqliteStore::DisableSecretVersion(absl::string_view name,
                                               int64_t version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  RETURN_IF_ERROR(store_internal::CheckVersion(name, version));
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kDisableVersion));
      stmt.BindText(1, name).BindInt64(2, version);
      RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() == 1) return BumpChangeCounter(conn);
    ASSIGN_OR_RETURN(bool version_exists,
                     Exists(conn, kVersionExists, name, version));
    if (version_exists) return absl::OkStatus();  // already disabled
    ASSIGN_OR_RETURN(bool secret_exists, Exists(conn, kSecretExists, name));
    if (!secret_exists) return store_internal::SecretNotFound(name);
    return store_internal::VersionNotFound(name, version);
  });
}

absl::StatusOr<std::vector<SecretMetadata>> SqliteStore::ListSecrets(
    absl::string_view prefix) {
  std::vector<SecretMetadata> secrets;
  const std::optional<std::string> upper =
      store_internal::PrefixUpperBound(prefix);
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kListSecrets));
    stmt.BindText(1, prefix);
    if (upper.has_value()) {
      stmt.BindText(2, *upper);
    } else {
      stmt.BindNull(2);
    }
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string name = stmt.ColumnText(0);
      if (secrets.empty() || secrets.back().name != name) {
        secrets.push_back({std::move(name), stmt.ColumnInt64(1), {}});
      }
      secrets.back().versions.push_back({stmt.ColumnInt64(2),
                                         stmt.ColumnBool(3), stmt.ColumnTime(4),
                                         stmt.ColumnText(5)});
    }
    return absl::OkStatus();
  }));
  return secrets;
}

// ---- KEK rotation ----

absl::StatusOr<SecretVersionsSnapshot> SqliteStore::ReadAllSecretVersions() {
  SecretVersionsSnapshot snapshot;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(snapshot.change_counter, ReadChangeCounter(conn));
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kReadAllVersions));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      snapshot.versions.push_back(VersionFromRow(stmt, stmt.ColumnText(0), 1));
    }
    return absl::OkStatus();
  }));
  return snapshot;
}

absl::Status SqliteStore::ReplaceSecretFields(
    int64_t expected_change_counter,
    const std::vector<SecretFieldsUpdate>& updates) {
  RETURN_IF_ERROR(store_internal::CheckUpdates(updates));
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t counter, ReadChangeCounter(conn));
    if (counter != expected_change_counter) {
      return store_internal::LostCompareAndSet(expected_change_counter,
                                               counter);
    }
    if (updates.empty()) return absl::OkStatus();
    for (const SecretFieldsUpdate& update : updates) {
      {
        ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kReplaceFields));
        stmt.BindText(1, update.name)
            .BindInt64(2, update.version)
            .BindText(3, update.fields.kek_id)
            .BindBlob(4, update.fields.wrapped_data_key)
            .BindBlob(5, update.fields.ciphertext);
        RETURN_IF_ERROR(stmt.Run());
      }
      if (conn.Changes() == 0) {
        // Rolled back by Write(): nothing of this update stays.
        ASSIGN_OR_RETURN(bool secret_exists,
                         Exists(conn, kSecretExists, update.name));
        if (!secret_exists) return store_internal::SecretNotFound(update.name);
        return store_internal::VersionNotFound(update.name, update.version);
      }
    }
    return BumpChangeCounter(conn);
  });
}

// ---- Single-use tokens ----

absl::Status SqliteStore::RecordTokenUse(absl::string_view issuer,
                                         absl::string_view jti,
                                         absl::Time expires_at) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jti", jti));
  const absl::Time now = Now();
  return Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kRecordTokenUse));
      stmt.BindText(1, issuer)
          .BindText(2, jti)
          .BindTime(3, expires_at)
          .BindTime(4, now);
      RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() == 0)
      return store_internal::TokenAlreadyUsed(issuer, jti);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SqliteStore::PurgeExpiredTokenUses(absl::Time now) {
  int64_t purged = 0;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kPurgeTokenUses));
    stmt.BindTime(1, now);
    RETURN_IF_ERROR(stmt.Run());
    purged = conn.Changes();
    return absl::OkStatus();
  }));
  return purged;
}

// ---- Change tracking ----

absl::StatusOr<int64_t> SqliteStore::GetChangeCounter() {
  int64_t counter = 0;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(counter, ReadChangeCounter(conn));
    return absl::OkStatus();
  }));
  return counter;
}

absl::StatusOr<StoreSnapshot> SqliteStore::LoadSnapshot() {
  StoreSnapshot snapshot;
  RETURN_IF_ERROR(Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(snapshot.change_counter, ReadChangeCounter(conn));
    ASSIGN_OR_RETURN(snapshot.roles, ReadAllRoles(conn));
    ASSIGN_OR_RETURN(snapshot.trust_bundles, ReadAllTrustBundles(conn));
    return absl::OkStatus();
  }));
  return snapshot;
}

}  // namespace secretd
