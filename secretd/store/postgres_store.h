// PostgresStore: the Store for several replicas, on one PostgreSQL database.
//
//   PostgresStore::Options options;
//   options.pool_size = 8;  // --store-pool-size
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store,
//                    PostgresStore::Open(
//                        "postgresql://secretd@db.internal:5432/secretd"
//                        "?sslmode=verify-full",
//                        clock, options));
//
// The URL is libpq's (any libpq setting may go in its query string; the
// password may also come from PGPASSWORD or ~/.pgpass). The password never
// appears in a message: every error names the server as
// postgresql://user@host:port/dbname.
//
// Open connects once, then creates or migrates the schema in one
// transaction under a PostgreSQL advisory lock, so replicas that start
// together do not race; a schema newer than this binary is refused
// (kFailedPrecondition). The tables live in the first schema of the
// connection's search_path (public by default).
//
// Connections: a pool of at most `pool_size`, opened on demand and reused;
// a caller waits at most `pool_wait_timeout` for one (then kUnavailable).
// Statements are prepared once per connection. Every change is one
// READ COMMITTED transaction that first increments the change counter,
// whose row lock orders all changes of all replicas (so version numbers are
// gapless and the KEK-rotation compare-and-set holds); reads are single
// statements, each one consistent snapshot. Token uses are one upsert.
//
// Failures: every wait is bounded (connect_timeout to connect,
// statement_timeout on the server and a little more on the client for each
// statement, TCP keepalives for idle connections). A connection that
// breaks is discarded, and so are the idle ones opened before it; new ones
// are opened on demand with exponential backoff and jitter between
// `min_reconnect_backoff` and `max_reconnect_backoff` while the server is
// unreachable, and every call meanwhile fails fast with kUnavailable. When
// the server is back, calls succeed again on the same object. A read that
// fails on a reused connection that turned out dead is retried once on a
// new one; so is a change whose connection died before its COMMIT was
// sent. A serialization failure or deadlock reruns the transaction up to
// `max_attempts` times, then kAborted. docs/store.md has the details.
//
// Thread-safe.
#ifndef SECRETD_SECRETD_STORE_POSTGRES_STORE_H_
#define SECRETD_SECRETD_STORE_POSTGRES_STORE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/random/random.h"
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

namespace postgres_internal {
class Connection;
struct ConnectionConfig;
}  // namespace postgres_internal

class PostgresStore final : public Store {
 public:
  struct Options {
    // Connections at most (1 to 1000), opened on demand.
    int pool_size = 4;
    // How long a call waits for a free connection before kUnavailable.
    absl::Duration pool_wait_timeout = absl::Seconds(5);
    // How long opening one connection may take.
    absl::Duration connect_timeout = absl::Seconds(5);
    // The server's statement_timeout and lock_timeout for every statement;
    // the client gives up on an answer one second later.
    absl::Duration statement_timeout = absl::Seconds(5);
    // Bounds of the wait between reconnect attempts while the server is
    // unreachable (doubling, with jitter).
    absl::Duration min_reconnect_backoff = absl::Milliseconds(100);
    absl::Duration max_reconnect_backoff = absl::Seconds(5);
    // Runs of a transaction that hits a serialization failure or deadlock
    // (SQLSTATE 40001, 40P01) before kAborted.
    int max_attempts = 3;
    // NOTIFY secretd_changes in every change transaction, for
    // WaitForChange in other replicas.
    bool notify_changes = true;
    // PurgeExpiredTokenUses deletes at most this many records per
    // statement (1 to 1,000,000), looping until a batch comes back short.
    int64_t purge_batch_size = 10000;
  };

  // The pool's counters (docs/store.md §9), for metrics and tests.
  struct PoolStats {
    int idle = 0;    // open connections waiting in the pool
    int in_use = 0;  // connections checked out (or being opened)
    // Since Open: connections the pool opened, attempts that failed, and
    // statements prepared (each statement once per connection, on first
    // use; the listener of WaitForChange is not counted).
    int64_t connections_opened = 0;
    int64_t connect_failures = 0;
    int64_t statements_prepared = 0;
  };

  // The schema version this binary writes.
  static int64_t SchemaVersion();

  // Connects to `url`, creating or migrating the schema. kInvalidArgument
  // for a malformed URL or bad options; kUnavailable if the server cannot
  // be reached or refuses the login; kFailedPrecondition if the schema is
  // newer than this binary, is not a secretd store, or the server is older
  // than PostgreSQL 13. `clock` (for the stored times) must outlive the
  // store.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      absl::string_view url, const common::Clock& clock,
      const Options& options);

  ~PostgresStore() override;

  // The server, without the password: postgresql://user@host:port/dbname.
  const std::string& label() const;

  // Waits until the change counter differs from `known` or `timeout` has
  // passed, and returns the counter then. Uses LISTEN secretd_changes on a
  // connection of its own, so a change committed by any replica (with
  // notify_changes) wakes it within a round trip; without a notification
  // (the listener cannot connect, or the change came from a replica with
  // notify_changes off) it reads the counter when `timeout` ends, so a
  // loop of WaitForChange(known, poll_interval) refreshes at least once
  // per poll interval. Returns early only with a changed counter; errors
  // come from the final counter read. Calls are serialized; it may take up
  // to connect_timeout longer than `timeout` while the server is
  // unreachable.
  // After StopWaiting it returns kCancelled instead (at once, also from a
  // wait in progress).
  absl::StatusOr<int64_t> WaitForChange(int64_t known, absl::Duration timeout);
  // Makes every current and later WaitForChange return kCancelled at once
  // (for shutdown: the thread that waits can be joined). Thread-safe.
  void StopWaiting();

  // Connections open now (idle and in use), for tests and metrics.
  int OpenConnections();
  // The pool's counters. Thread-safe.
  PoolStats pool_stats();

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
  using Connection = postgres_internal::Connection;
  using ConnectionConfig = postgres_internal::ConnectionConfig;
  using SteadyTime = std::chrono::steady_clock::time_point;

  // A connection out of the pool, and the pool generation it was opened in.
  struct Pooled {
    std::unique_ptr<Connection> conn;
    int64_t generation = 0;
    bool reused = false;  // taken idle from the pool, not just opened
    int prepared = 0;     // statements prepared on it, as last counted
  };
  // What a change transaction's body asks for when it succeeds.
  enum class Finish { kCommit, kRollBack };
  // Handed to a change transaction's body.
  struct Tx {
    Connection& conn;
    // Called before running a caller's callback (encrypt): a transaction
    // that ran it is never rerun, so the callback runs exactly once.
    void NoRerun() { rerun_allowed = false; }
    bool rerun_allowed = true;
  };

  friend absl::StatusOr<std::unique_ptr<PostgresStore>>
  OpenPostgresStoreWithMigrations(
      absl::string_view url, const common::Clock& clock, const Options& options,
      absl::Span<const store_internal::Migration> migrations);

  PostgresStore(std::shared_ptr<const ConnectionConfig> config,
                const common::Clock& clock, const Options& options);
  absl::Time Now() const;

  // Takes an idle connection (checked with CheckIdle) or opens one, waiting
  // at most pool_wait_timeout for room. While the server is unreachable,
  // opening fails fast until the backoff has passed.
  absl::StatusOr<Pooled> Acquire();
  absl::StatusOr<std::unique_ptr<Connection>> Connect();
  // Returns a connection: kept if usable, else closed, and a broken one
  // retires every idle connection opened before it.
  void Release(Pooled pooled);

  // Runs `fn` in BEGIN ... COMMIT (or ROLLBACK), rerunning it as the class
  // comment says.
  absl::Status Write(absl::FunctionRef<absl::StatusOr<Finish>(Tx&)> fn);
  // Runs `fn` (autocommit statements). `retry_lost` allows one rerun on a
  // new connection when a reused one turns out dead: for reads and
  // idempotent writes only.
  absl::Status Run(absl::FunctionRef<absl::Status(Connection&)> fn,
                   bool retry_lost);

  absl::StatusOr<int64_t> BumpChangeCounter(Connection& conn);
  absl::Status MissingCounterRow() const;
  absl::Status WaitStopped() const;

  const std::shared_ptr<const ConnectionConfig> config_;
  const common::Clock& clock_;
  const Options options_;
  // Readable after StopWaiting (an eventfd; -1 if none could be made, and
  // waits then end at their timeout).
  const int wake_fd_;
  std::atomic<bool> stop_waiting_{false};

  absl::Mutex mu_;
  std::vector<Pooled> idle_ ABSL_GUARDED_BY(mu_);
  int checked_out_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped when a connection breaks: idle connections of older generations
  // are closed instead of reused.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Reconnect state: while `down_`, at most one attempt at a time, and
  // none before `next_attempt_`.
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
  SteadyTime next_attempt_ ABSL_GUARDED_BY(mu_);
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  absl::Status last_connect_error_ ABSL_GUARDED_BY(mu_);
  PoolStats stats_ ABSL_GUARDED_BY(mu_);
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);

  absl::Mutex listen_mu_;
  std::unique_ptr<Connection> listener_ ABSL_GUARDED_BY(listen_mu_);
};

// Open() with another migration list, for tests of the migration code (see
// internal/postgres_schema.h). Production code calls Open().
absl::StatusOr<std::unique_ptr<PostgresStore>> OpenPostgresStoreWithMigrations(
    absl::string_view url, const common::Clock& clock,
    const PostgresStore::Options& options,
    absl::Span<const store_internal::Migration> migrations);

}  // namespace secretd

#endif  // SECRETD_SECRETD_STORE_POSTGRES_STORE_H_
