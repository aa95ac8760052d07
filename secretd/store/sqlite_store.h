// SqliteStore: the default Store, one SQLite file (DATA_DIR/store.db).
//
//   SqliteStore::Options options;
//   options.create = true;  // secretctl init only; secretd never creates
//   ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
//                    SqliteStore::Open("data/store.db", clock, options));
//
// The file is in WAL mode (readers never block the writer nor each other),
// with foreign keys on, synchronous=FULL (a change is on disk when the call
// returns) and secure_delete (freed pages are zeroed, so a rewrapped data
// key does not linger in the main file). Every change is one BEGIN IMMEDIATE
// transaction; a crash at any point leaves the old or the new state. Several
// processes may open one file: writers queue on SQLite's lock for up to
// `busy_timeout`, then get kUnavailable.
//
// Connections: one writer connection under a mutex (SQLite allows one writer
// at a time anyway, and queueing threads on a mutex is cheaper and fairer
// than on the file lock), plus a pool of `reader_connections` read-only
// connections for the read methods, which run in parallel with each other
// and with the writer. tests/bench/store measures the choice; see
// docs/store.md.
//
// The schema version is recorded in the file and migrated on open; a file
// written by a newer secretd is refused (kFailedPrecondition). Thread-safe.
#ifndef SECRETD_SECRETD_STORE_SQLITE_STORE_H_
#define SECRETD_SECRETD_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "secretd/store/store.h"

namespace secretd {

namespace store_internal {
struct Migration;
}  // namespace store_internal

namespace sqlite_internal {
class Connection;
}  // namespace sqlite_internal

class SqliteStore final : public Store {
 public:
  struct Options {
    // Create the file (mode 0600) if it does not exist. Otherwise a missing
    // file is kFailedPrecondition saying to run "secretctl init".
    bool create = false;
    // How long a write waits for another process's write lock before
    // kUnavailable.
    absl::Duration busy_timeout = absl::Seconds(5);
    // Read-only connections for the read methods (0: reads share the writer
    // connection and its mutex).
    int reader_connections = 2;
    // The SQLite VFS to use; empty for the default. Tests use this to inject
    // faults.
    std::string vfs;
  };

  // The schema version this binary writes.
  static int64_t SchemaVersion();

  // Opens (and with options.create, creates) the store at `path`, migrating
  // its schema. kFailedPrecondition if the file is missing (and !create),
  // is not a secretd store, or has a newer schema; kUnavailable if it cannot
  // be opened or locked; kDataLoss if it is corrupt; kInvalidArgument for
  // bad options. `clock` must outlive the store.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path, const common::Clock& clock,
      const Options& options);

  ~SqliteStore() override;

  const std::string& path() const { return path_; }

  // Copies the WAL into the main file and truncates the WAL (PRAGMA
  // wal_checkpoint(TRUNCATE)), e.g. after a KEK rotation so that old
  // wrapped keys leave the WAL, or before copying the file for a backup.
  // kUnavailable if readers kept it from completing.
  absl::Status Checkpoint();

  absl::Status PutTrustBundle(absl::string_view issuer,
                              absl::string_view jwks_json) override;
  absl::Status DeleteTrustBundle(absl::string_view issuer) override;
  absl::StatusOr<std::vector<TrustBundleRecord>> ListTrustBundles() override;

  absl::Status PutRole(const RoleRecord& role) override;
  absl::StatusOr<RoleRecord> GetRole(absl::string_view name) override;
  absl::StatusOr<std::vector<RoleRecord>> ListRoles() override;
  absl::Status DeleteRole(absl::string_view name) override;

  absl::StatusOr<int64_t> AddSecretVersion(
      absl::string_view name, const EncryptSecretFn& encrypt) override;
  absl::StatusOr<SecretVersionRecord> GetSecretVersion(
      absl::string_view name, std::optional<int64_t> version) override;
  absl::Status DisableSecretVersion(absl::string_view name,
                                    int64_t version) override;
  absl::StatusOr<std::vector<SecretMetadata>> ListSecrets(
      absl::string_view prefix) override;

  absl::StatusOr<SecretVersionsSnapshot> ReadAllSecretVersions() override;
  absl::Status ReplaceSecretFields(
      int64_t expected_change_counter,
      const std::vector<SecretFieldsUpdate>& updates) override;

  absl::Status RecordTokenUse(absl::string_view issuer, absl::string_view jti,
                              absl::Time expires_at) override;
  absl::StatusOr<int64_t> PurgeExpiredTokenUses(absl::Time now) override;

  absl::StatusOr<int64_t> GetChangeCounter() override;
  absl::StatusOr<StoreSnapshot> LoadSnapshot() override;

 private:
  using Connection = sqlite_internal::Connection;
  // Runs `fn` in a transaction on a connection. Write: the writer, under
  // write_mu_, BEGIN IMMEDIATE ... COMMIT (ROLLBACK if fn or COMMIT fails).
  // Read: a pooled reader, BEGIN ... COMMIT so that several statements see
  // one snapshot.
  absl::Status Write(absl::FunctionRef<absl::Status(Connection&)> fn);
  absl::Status Read(absl::FunctionRef<absl::Status(Connection&)> fn);

  friend absl::StatusOr<std::unique_ptr<SqliteStore>>
  OpenSqliteStoreWithMigrations(
      const std::string& path, const common::Clock& clock,
      const Options& options,
      absl::Span<const store_internal::Migration> migrations);

  SqliteStore(std::string path, const common::Clock& clock);
  absl::Time Now() const;
  Connection* AcquireReader();
  void ReleaseReader(Connection* conn);

  const std::string path_;
  const common::Clock& clock_;

  absl::Mutex write_mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(write_mu_);

  std::vector<std::unique_ptr<Connection>> readers_;  // fixed after Open
  absl::Mutex pool_mu_;
  std::vector<Connection*> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
};

// Open() with another migration list, for tests of the migration code (see
// internal/sqlite_schema.h). Production code calls Open().
absl::StatusOr<std::unique_ptr<SqliteStore>> OpenSqliteStoreWithMigrations(
    const std::string& path, const common::Clock& clock,
    const SqliteStore::Options& options,
    absl::Span<const store_internal::Migration> migrations);

}  // namespace secretd

#endif  // SECRETD_SECRETD_STORE_SQLITE_STORE_H_
