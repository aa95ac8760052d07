#include "secretd/store/postgres_store.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "secretd/store/internal/checks.h"
#include "secretd/store/internal/postgres.h"
#include "secretd/store/internal/postgres_schema.h"

namespace secretd {
namespace {

using postgres_internal::Connection;
using postgres_internal::FailureKind;
using postgres_internal::Params;
using postgres_internal::Result;
using postgres_internal::StatementDef;
using store_internal::CheckNotEmpty;

// ---- SQL. Each statement is prepared once per connection. Parameter and
// column types: b = bytea, i = bigint, t = boolean (internal/postgres.h). ----

// The first statement of every change: takes the row lock that orders all
// changes of all replicas, and counts the change (rolled back with it).
constexpr StatementDef kBumpCounter = {
    0,
    "UPDATE change_counter SET value = value + 1 WHERE id = 1 "
    "RETURNING value",
    "", "i"};
// The same, and a notification delivered at commit.
constexpr StatementDef kBumpCounterAndNotify = {
    1,
    "WITH bumped AS (UPDATE change_counter SET value = value + 1 "
    "WHERE id = 1 RETURNING value) "
    "SELECT value FROM bumped, LATERAL pg_notify('secretd_changes', "
    "value::text)",
    "", "i"};
constexpr StatementDef kGetCounter = {
    2, "SELECT value FROM change_counter WHERE id = 1", "", "i"};

constexpr StatementDef kPutTrustBundle = {
    3,
    "INSERT INTO trust_bundles (issuer, jwks_json, updated_at_us) "
    "VALUES ($1, $2, $3) ON CONFLICT (issuer) DO UPDATE SET "
    "jwks_json = excluded.jwks_json, updated_at_us = excluded.updated_at_us",
    "bbi", ""};
constexpr StatementDef kDeleteTrustBundle = {
    4, "DELETE FROM trust_bundles WHERE issuer = $1", "b", ""};
constexpr StatementDef kListTrustBundles = {
    5,
    "SELECT issuer, jwks_json, updated_at_us FROM trust_bundles "
    "ORDER BY issuer",
    "", "bbi"};

constexpr StatementDef kPutRole = {
    6,
    "INSERT INTO roles (name, trust_policy_name, trust_policy_document, "
    "max_token_lifetime_seconds, secret_ttl_seconds, single_use_tokens, "
    "updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (name) DO UPDATE SET "
    "trust_policy_name = excluded.trust_policy_name, "
    "trust_policy_document = excluded.trust_policy_document, "
    "max_token_lifetime_seconds = excluded.max_token_lifetime_seconds, "
    "secret_ttl_seconds = excluded.secret_ttl_seconds, "
    "single_use_tokens = excluded.single_use_tokens, "
    "updated_at_us = excluded.updated_at_us",
    "bbbiiti", ""};
constexpr StatementDef kDeleteRolePolicies = {
    7, "DELETE FROM role_permission_policies WHERE role_name = $1", "b", ""};
constexpr StatementDef kInsertRolePolicy = {
    8,
    "INSERT INTO role_permission_policies (role_name, position, name, "
    "document) VALUES ($1, $2, $3, $4)",
    "bibb", ""};
// A role and its policies in one statement (one snapshot); a role without
// policies comes as one row with NULL policy columns.
#define SECRETD_ROLE_COLUMNS                                      \
  "SELECT r.name, r.trust_policy_name, r.trust_policy_document, " \
  "r.max_token_lifetime_seconds, r.secret_ttl_seconds, "          \
  "r.single_use_tokens, r.updated_at_us, p.name, p.document "     \
  "FROM roles AS r LEFT JOIN role_permission_policies AS p ON "   \
  "p.role_name = r.name "
constexpr char kRoleColumnTypes[] = "bbbiitibb";
constexpr StatementDef kGetRole = {
    9, SECRETD_ROLE_COLUMNS "WHERE r.name = $1 ORDER BY p.position", "b",
    kRoleColumnTypes};
constexpr StatementDef kListRoles = {
    10, SECRETD_ROLE_COLUMNS "ORDER BY r.name, p.position", "",
    kRoleColumnTypes};
#undef SECRETD_ROLE_COLUMNS
constexpr StatementDef kDeleteRole = {11, "DELETE FROM roles WHERE name = $1",
                                      "b", ""};

// Locks the secret's row to the commit (concurrent adds to one name queue
// here too) and returns the number the new version gets.
constexpr StatementDef kNextVersion = {
    12,
    "INSERT INTO secrets (name, latest_version, created_at_us) "
    "VALUES ($1, 1, $2) ON CONFLICT (name) DO UPDATE SET "
    "latest_version = secrets.latest_version + 1 RETURNING latest_version",
    "bi", "i"};
constexpr StatementDef kInsertVersion = {
    13,
    "INSERT INTO secret_versions (name, version, enabled, created_at_us, "
    "kek_id, wrapped_data_key, ciphertext) "
    "VALUES ($1, $2, true, $3, $4, $5, $6)",
    "biibbb", ""};
// One row if the secret exists, with NULL version columns if the version
// does not; no row if the secret does not.
constexpr StatementDef kGetVersion = {
    14,
    "SELECT v.version, v.enabled, v.created_at_us, v.kek_id, "
    "v.wrapped_data_key, v.ciphertext FROM secrets AS s "
    "LEFT JOIN secret_versions AS v ON v.name = s.name AND v.version = $2 "
    "WHERE s.name = $1",
    "bi", "itibbb"};
constexpr StatementDef kGetNewestEnabled = {
    15,
    "SELECT v.version, v.enabled, v.created_at_us, v.kek_id, "
    "v.wrapped_data_key, v.ciphertext FROM secrets AS s "
    "LEFT JOIN LATERAL (SELECT * FROM secret_versions AS e "
    "WHERE e.name = s.name AND e.enabled ORDER BY e.version DESC LIMIT 1) "
    "AS v ON true WHERE s.name = $1",
    "b", "itibbb"};
constexpr StatementDef kDisableVersion = {
    16,
    "UPDATE secret_versions SET enabled = false "
    "WHERE name = $1 AND version = $2 AND enabled",
    "bi", ""};
constexpr StatementDef kVersionState = {
    17,
    "SELECT EXISTS (SELECT 1 FROM secrets WHERE name = $1), "
    "EXISTS (SELECT 1 FROM secret_versions WHERE name = $1 AND version = $2)",
    "bi", "tt"};
// $1 is the prefix; $2 the smallest string above every string with that
// prefix, or NULL when there is none (prefix "" or all 0xff bytes).
constexpr StatementDef kListSecrets = {
    18,
    "SELECT s.name, s.latest_version, v.version, v.enabled, v.created_at_us, "
    "v.kek_id FROM secrets AS s JOIN secret_versions AS v ON v.name = s.name "
    "WHERE s.name >= $1 AND ($2::bytea IS NULL OR s.name < $2) "
    "ORDER BY s.name, v.version",
    "bb", "biitib"};
// The counter and every version in one statement (one snapshot); with no
// versions, one row with NULL version columns.
constexpr StatementDef kReadAllVersions = {
    19,
    "SELECT c.value, v.name, v.version, v.enabled, v.created_at_us, "
    "v.kek_id, v.wrapped_data_key, v.ciphertext FROM change_counter AS c "
    "LEFT JOIN secret_versions AS v ON true WHERE c.id = 1 "
    "ORDER BY v.name, v.version",
    "", "ibitibbb"};
constexpr StatementDef kReplaceFields = {
    20,
    "UPDATE secret_versions SET kek_id = $3, wrapped_data_key = $4, "
    "ciphertext = $5 WHERE name = $1 AND version = $2",
    "bibbb", ""};

// A recorded use blocks a new one only while it has not expired ($4 = now).
// Concurrent inserts of one pair queue on the primary key: exactly one
// changes a row.
constexpr StatementDef kRecordTokenUse = {
    21,
    "INSERT INTO token_uses (issuer, jti, expires_at_us) VALUES ($1, $2, $3) "
    "ON CONFLICT (issuer, jti) DO UPDATE SET "
    "expires_at_us = excluded.expires_at_us "
    "WHERE token_uses.expires_at_us <= $4",
    "bbii", ""};
// One batch of at most $2 expired records ($1 = now). SKIP LOCKED: replicas
// purging at the same time split the rows instead of queueing on each
// other's row locks (and a token use in flight on an expired row is left
// for the next purge).
constexpr StatementDef kPurgeTokenUses = {
    22,
    "DELETE FROM token_uses AS t USING (SELECT issuer, jti FROM token_uses "
    "WHERE expires_at_us <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED) AS d "
    "WHERE t.issuer = d.issuer AND t.jti = d.jti",
    "ii", ""};

// What the broker caches, in one statement (one snapshot). Rows by kind:
//   0  the counter:  n1 = value
//   1  a role with one policy (or none):  n1 = max_token_lifetime_seconds,
//      n2 = secret_ttl_seconds, n3 = updated_at_us, n4 = position,
//      flag = single_use_tokens, k1 = name, k2 = trust_policy_name,
//      k3 = trust_policy_document, k4 = policy name, k5 = policy document
//   2  a trust bundle:  n1 = updated_at_us, k1 = issuer, k2 = jwks_json
constexpr StatementDef kLoadSnapshot = {
    23,
    "SELECT 0::bigint AS kind, value AS n1, NULL::bigint AS n2, "
    "NULL::bigint AS n3, NULL::bigint AS n4, NULL::boolean AS flag, "
    "NULL::bytea AS k1, NULL::bytea AS k2, NULL::bytea AS k3, "
    "NULL::bytea AS k4, NULL::bytea AS k5 FROM change_counter WHERE id = 1 "
    "UNION ALL "
    "SELECT 1, r.max_token_lifetime_seconds, r.secret_ttl_seconds, "
    "r.updated_at_us, p.position, r.single_use_tokens, r.name, "
    "r.trust_policy_name, r.trust_policy_document, p.name, p.document "
    "FROM roles AS r LEFT JOIN role_permission_policies AS p "
    "ON p.role_name = r.name "
    "UNION ALL "
    "SELECT 2, b.updated_at_us, NULL, NULL, NULL, NULL, b.issuer, "
    "b.jwks_json, NULL, NULL, NULL FROM trust_bundles AS b "
    "ORDER BY kind, k1, n4",
    "", "iiiiitbbbbb"};
static_assert(kLoadSnapshot.id < postgres_internal::kMaxStatements);

// Roles from rows of kGetRole / kListRoles (sorted by name, then position).
std::vector<RoleRecord> RolesFromRows(const Result& rows) {
  std::vector<RoleRecord> roles;
  for (int i = 0; i < rows.rows(); ++i) {
    std::string name = rows.Bytes(i, 0);
    if (roles.empty() || roles.back().name != name) {
      RoleRecord role;
      role.name = std::move(name);
      role.trust_policy.name = rows.Bytes(i, 1);
      role.trust_policy.document = rows.Bytes(i, 2);
      role.max_token_lifetime_seconds = rows.Int64(i, 3);
      role.secret_ttl_seconds = rows.Int64(i, 4);
      role.single_use_tokens = rows.Bool(i, 5);
      role.updated_at = rows.Time(i, 6);
      roles.push_back(std::move(role));
    }
    if (!rows.IsNull(i, 7)) {
      roles.back().permission_policies.push_back(
          {rows.Bytes(i, 7), rows.Bytes(i, 8)});
    }
  }
  return roles;
}

// Columns: version, enabled, created_at_us, kek_id, wrapped_data_key,
// ciphertext starting at `first`.
SecretVersionRecord VersionFromRow(const Result& rows, int row,
                                   std::string name, int first) {
  SecretVersionRecord record;
  record.name = std::move(name);
  record.version = rows.Int64(row, first);
  record.enabled = rows.Bool(row, first + 1);
  record.created_at = rows.Time(row, first + 2);
  record.fields.kek_id = rows.Bytes(row, first + 3);
  record.fields.wrapped_data_key = rows.Bytes(row, first + 4);
  record.fields.ciphertext = rows.Bytes(row, first + 5);
  return record;
}

absl::Status CheckOptions(const PostgresStore::Options& options) {
  if (options.pool_size < 1 || options.pool_size > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "store pool size must be between 1 and 1000, got ", options.pool_size));
  }
  const std::pair<const char*, absl::Duration> positive[] = {
      {"pool_wait_timeout", options.pool_wait_timeout},
      {"connect_timeout", options.connect_timeout},
      {"statement_timeout", options.statement_timeout},
      {"min_reconnect_backoff", options.min_reconnect_backoff},
      {"max_reconnect_backoff", options.max_reconnect_backoff},
  };
  for (const auto& [name, value] : positive) {
    if (value <= absl::ZeroDuration() || value == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("store ", name, " must be positive and finite, got ",
                       absl::FormatDuration(value)));
    }
  }
  if (options.min_reconnect_backoff > options.max_reconnect_backoff) {
    return absl::InvalidArgumentError(
        "store min_reconnect_backoff must not exceed max_reconnect_backoff");
  }
  if (options.purge_batch_size < 1 || options.purge_batch_size > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("store purge_batch_size must be between 1 and 1000000, "
                     "got ",
                     options.purge_batch_size));
  }
  if (options.max_attempts < 1 || options.max_attempts > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("store max_attempts must be between 1 and 100, got ",
                     options.max_attempts));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t PostgresStore::SchemaVersion() {
  return postgres_internal::BuiltinMigrations().back().version;
}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    absl::string_view url, const common::Clock& clock, const Options& options) {
  return OpenPostgresStoreWithMigrations(
      url, clock, options, postgres_internal::BuiltinMigrations());
}

absl::StatusOr<std::unique_ptr<PostgresStore>> OpenPostgresStoreWithMigrations(
    absl::string_view url, const common::Clock& clock,
    const PostgresStore::Options& options,
    absl::Span<const store_internal::Migration> migrations) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(postgres_internal::ConnectionConfig config,
                   postgres_internal::ParseConnectionUrl(url));
  config.connect_timeout = options.connect_timeout;
  config.statement_timeout = options.statement_timeout;
  config.answer_timeout = options.statement_timeout + absl::Seconds(1);
  std::unique_ptr<PostgresStore> store(new PostgresStore(
      std::make_shared<const postgres_internal::ConnectionConfig>(
          std::move(config)),
      clock, options));
  ASSIGN_OR_RETURN(PostgresStore::Pooled pooled, store->Acquire());
  absl::Status status =
      postgres_internal::MigrateSchema(*pooled.conn, migrations);
  store->Release(std::move(pooled));
  RETURN_IF_ERROR(status);
  return store;
}

PostgresStore::PostgresStore(std::shared_ptr<const ConnectionConfig> config,
                             const common::Clock& clock, const Options& options)
    : config_(std::move(config)),
      clock_(clock),
      options_(options),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      backoff_(options.min_reconnect_backoff) {}

PostgresStore::~PostgresStore() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

const std::string& PostgresStore::label() const { return config_->label; }

absl::Time PostgresStore::Now() const { return TruncateToMicros(clock_.Now()); }

int PostgresStore::OpenConnections() {
  absl::MutexLock lock(&mu_);
  return checked_out_ + static_cast<int>(idle_.size());
}

PostgresStore::PoolStats PostgresStore::pool_stats() {
  absl::MutexLock lock(&mu_);
  PoolStats stats = stats_;
  stats.idle = static_cast<int>(idle_.size());
  stats.in_use = checked_out_;
  return stats;
}

// ---- The pool ----

absl::StatusOr<PostgresStore::Pooled> PostgresStore::Acquire() {
  while (true) {
    mu_.Lock();
    auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() ||
             checked_out_ + static_cast<int>(idle_.size()) < options_.pool_size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has_room),
                              options_.pool_wait_timeout)) {
      mu_.Unlock();
      return absl::UnavailableError(
          absl::StrCat("store ", config_->label, ": all ", options_.pool_size,
                       " database connections stayed busy for ",
                       absl::FormatDuration(options_.pool_wait_timeout),
                       "; retry, or raise --store-pool-size"));
    }
    ++checked_out_;
    if (!idle_.empty()) {
      Pooled pooled = std::move(idle_.back());
      idle_.pop_back();
      const bool current = pooled.generation == generation_;
      mu_.Unlock();
      if (current && pooled.conn->CheckIdle()) {
        pooled.reused = true;
        return pooled;
      }
      pooled.conn.reset();  // stale: close it and look again
      absl::MutexLock lock(&mu_);
      --checked_out_;
      continue;
    }
    // Room for a new connection.
    const auto now = std::chrono::steady_clock::now();
    if (down_ && (probing_ || now < next_attempt_)) {
      --checked_out_;
      const absl::Duration wait =
          probing_ ? absl::ZeroDuration()
                   : absl::Microseconds(
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             next_attempt_ - now)
                             .count());
      absl::Status status = absl::UnavailableError(absl::StrCat(
          last_connect_error_.message(), " (reconnecting",
          probing_ ? ": an attempt is in progress"
                   : absl::StrCat(": next attempt in ",
                                  absl::FormatDuration(absl::Trunc(
                                      wait, absl::Milliseconds(1)))),
          ")"));
      mu_.Unlock();
      return status;
    }
    const bool probe = down_;
    if (probe) probing_ = true;
    const int64_t generation = generation_;
    mu_.Unlock();

    absl::StatusOr<std::unique_ptr<Connection>> conn = Connect();
    absl::MutexLock lock(&mu_);
    if (probe) probing_ = false;
    if (!conn.ok()) {
      --checked_out_;
      if (!down_) {
        // When an outage starts (by each thread that finds it); the callers
        // get every failure.
        common::log::Warning(
            "store unreachable; reconnecting with backoff",
            {{"store", config_->label}, {"error", conn.status()}});
      }
      backoff_ = down_ ? std::min(backoff_ * 2, options_.max_reconnect_backoff)
                       : options_.min_reconnect_backoff;
      down_ = true;
      // Full jitter in [backoff/2, backoff]: replicas that lost the server
      // together do not come back in lockstep.
      const absl::Duration wait = backoff_ * absl::Uniform(bitgen_, 0.5, 1.0);
      next_attempt_ =
          std::chrono::steady_clock::now() +
          std::chrono::microseconds(absl::ToInt64Microseconds(wait));
      last_connect_error_ = conn.status();
      ++stats_.connect_failures;
      return conn.status();
    }
    ++stats_.connections_opened;
    if (down_) {
      common::log::Info("store reachable again", {{"store", config_->label}});
    }
    down_ = false;
    backoff_ = options_.min_reconnect_backoff;
    return Pooled{*std::move(conn), generation, false, 0};
  }
}

absl::StatusOr<std::unique_ptr<PostgresStore::Connection>>
PostgresStore::Connect() {
  return Connection::Open(config_);
}

void PostgresStore::Release(Pooled pooled) {
  const bool broken = pooled.conn->broken();
  const bool keep = !broken && !pooled.conn->InTransaction();
  const int prepared = pooled.conn->prepared_count();
  absl::MutexLock lock(&mu_);
  --checked_out_;
  stats_.statements_prepared += prepared - pooled.prepared;
  pooled.prepared = prepared;
  if (broken) ++generation_;
  if (keep && pooled.generation == generation_) {
    pooled.reused = false;
    idle_.push_back(std::move(pooled));
  }
  // Otherwise `pooled` closes its connection when it goes out of scope
  // (PQfinish does not wait for the server).
}

// ---- Transactions ----

absl::Status PostgresStore::Write(
    absl::FunctionRef<absl::StatusOr<Finish>(Tx&)> fn) {
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(Pooled pooled, Acquire());
    Connection& conn = *pooled.conn;
    Tx tx{conn};
    bool commit_sent = false;
    absl::Status status = conn.Exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    if (status.ok()) {
      absl::StatusOr<Finish> finish = fn(tx);
      if (!finish.ok()) {
        status = finish.status();
      } else if (*finish == Finish::kCommit) {
        commit_sent = true;
        status = conn.Exec("COMMIT");
      } else {
        status = conn.Exec("ROLLBACK");
      }
    }
    const FailureKind failure =
        status.ok() ? FailureKind::kNone : conn.last_failure();
    if (!status.ok() && !conn.broken() && conn.InTransaction()) {
      conn.Exec("ROLLBACK").IgnoreError();
    }
    const bool reused = pooled.reused;
    Release(std::move(pooled));
    if (status.ok()) return status;
    if (failure == FailureKind::kRetryable && tx.rerun_allowed &&
        attempt < options_.max_attempts) {
      continue;
    }
    if (failure == FailureKind::kConnection && !commit_sent &&
        tx.rerun_allowed && reused && attempt == 1) {
      continue;  // a pooled connection that had died: nothing was applied
    }
    if ((failure == FailureKind::kConnection ||
         failure == FailureKind::kTimedOut) &&
        commit_sent) {
      return absl::UnavailableError(absl::StrCat(
          status.message(),
          " (during COMMIT: the change may or may not have been applied; "
          "read before retrying)"));
    }
    if (failure == FailureKind::kRetryable) {
      return absl::AbortedError(absl::StrCat(
          status.message(), " (gave up after ", attempt, " attempts)"));
    }
    return status;
  }
}

absl::Status PostgresStore::Run(absl::FunctionRef<absl::Status(Connection&)> fn,
                                bool retry_lost) {
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(Pooled pooled, Acquire());
    absl::Status status = fn(*pooled.conn);
    const FailureKind failure =
        status.ok() ? FailureKind::kNone : pooled.conn->last_failure();
    const bool reused = pooled.reused;
    Release(std::move(pooled));
    if (status.ok()) return status;
    if (failure == FailureKind::kConnection && retry_lost && reused &&
        attempt == 1) {
      continue;
    }
    if (failure == FailureKind::kRetryable && attempt < options_.max_attempts) {
      continue;
    }
    return status;
  }
}

absl::Status PostgresStore::MissingCounterRow() const {
  return absl::FailedPreconditionError(
      absl::StrCat("store ", config_->label,
                   ": the change_counter row is missing; restore the "
                   "database from a backup"));
}

absl::StatusOr<int64_t> PostgresStore::BumpChangeCounter(Connection& conn) {
  ASSIGN_OR_RETURN(Result result,
                   conn.Execute(options_.notify_changes ? kBumpCounterAndNotify
                                                        : kBumpCounter,
                                Params()));
  if (result.rows() != 1) {
    return MissingCounterRow();
  }
  return result.Int64(0, 0);
}

// ---- Trust bundles ----

absl::Status PostgresStore::PutTrustBundle(absl::string_view issuer,
                                           absl::string_view jwks_json) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jwks_json", jwks_json));
  const absl::Time now = Now();
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    RETURN_IF_ERROR(
        tx.conn
            .Execute(kPutTrustBundle,
                     Params().Bytes(issuer).Bytes(jwks_json).Time(now))
            .status());
    return Finish::kCommit;
  });
}

absl::Status PostgresStore::DeleteTrustBundle(absl::string_view issuer) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    ASSIGN_OR_RETURN(Result result, tx.conn.Execute(kDeleteTrustBundle,
                                                    Params().Bytes(issuer)));
    if (result.affected() == 0) {
      return store_internal::TrustBundleNotFound(issuer);
    }
    return Finish::kCommit;
  });
}

absl::StatusOr<std::vector<TrustBundleRecord>>
PostgresStore::ListTrustBundles() {
  std::vector<TrustBundleRecord> bundles;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        bundles.clear();
        ASSIGN_OR_RETURN(Result rows,
                         conn.Execute(kListTrustBundles, Params()));
        for (int i = 0; i < rows.rows(); ++i) {
          bundles.push_back(
              {rows.Bytes(i, 0), rows.Bytes(i, 1), rows.Time(i, 2)});
        }
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return bundles;
}

// ---- Roles ----

absl::Status PostgresStore::PutRole(const RoleRecord& role) {
  RETURN_IF_ERROR(store_internal::CheckRole(role));
  const absl::Time now = Now();
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    RETURN_IF_ERROR(
        tx.conn
            .Execute(kPutRole, Params()
                                   .Bytes(role.name)
                                   .Bytes(role.trust_policy.name)
                                   .Bytes(role.trust_policy.document)
                                   .Int64(role.max_token_lifetime_seconds)
                                   .Int64(role.secret_ttl_seconds)
                                   .Bool(role.single_use_tokens)
                                   .Time(now))
            .status());
    RETURN_IF_ERROR(
        tx.conn.Execute(kDeleteRolePolicies, Params().Bytes(role.name))
            .status());
    for (size_t i = 0; i < role.permission_policies.size(); ++i) {
      const PolicyDocument& policy = role.permission_policies[i];
      RETURN_IF_ERROR(
          tx.conn
              .Execute(kInsertRolePolicy, Params()
                                              .Bytes(role.name)
                                              .Int64(static_cast<int64_t>(i))
                                              .Bytes(policy.name)
                                              .Bytes(policy.document))
              .status());
    }
    return Finish::kCommit;
  });
}

absl::StatusOr<RoleRecord> PostgresStore::GetRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  std::vector<RoleRecord> roles;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(Result rows,
                         conn.Execute(kGetRole, Params().Bytes(name)));
        roles = RolesFromRows(rows);
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  if (roles.empty()) return store_internal::RoleNotFound(name);
  return std::move(roles.front());
}

absl::StatusOr<std::vector<RoleRecord>> PostgresStore::ListRoles() {
  std::vector<RoleRecord> roles;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(Result rows, conn.Execute(kListRoles, Params()));
        roles = RolesFromRows(rows);
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return roles;
}

absl::Status PostgresStore::DeleteRole(absl::string_view name) {
  RETURN_IF_ERROR(CheckNotEmpty("role name", name));
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    // The policies go with it (ON DELETE CASCADE).
    ASSIGN_OR_RETURN(Result result,
                     tx.conn.Execute(kDeleteRole, Params().Bytes(name)));
    if (result.affected() == 0) return store_internal::RoleNotFound(name);
    return Finish::kCommit;
  });
}

// ---- Secret versions ----

absl::StatusOr<int64_t> PostgresStore::AddSecretVersion(
    absl::string_view name, const EncryptSecretFn& encrypt) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  int64_t version = 0;
  RETURN_IF_ERROR(Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    // The counter's lock first, as in every change: no other change of
    // any replica commits until this one ends, so the number taken below
    // is the next one and stays gapless if encrypt fails (rollback).
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    const absl::Time now = Now();
    ASSIGN_OR_RETURN(
        Result next,
        tx.conn.Execute(kNextVersion, Params().Bytes(name).Time(now)));
    if (next.rows() != 1) {
      return absl::InternalError(
          absl::StrCat("store ", config_->label,
                       ": no version number for secret \"", name, "\""));
    }
    version = next.Int64(0, 0);
    tx.NoRerun();
    ASSIGN_OR_RETURN(EncryptedSecretFields fields, encrypt(version));
    RETURN_IF_ERROR(store_internal::CheckFields(name, version, fields));
    RETURN_IF_ERROR(
        tx.conn
            .Execute(kInsertVersion, Params()
                                         .Bytes(name)
                                         .Int64(version)
                                         .Time(now)
                                         .Bytes(fields.kek_id)
                                         .Bytes(fields.wrapped_data_key)
                                         .Bytes(fields.ciphertext))
            .status());
    return Finish::kCommit;
  }));
  return version;
}

absl::StatusOr<SecretVersionRecord> PostgresStore::GetSecretVersion(
    absl::string_view name, std::optional<int64_t> version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  if (version.has_value()) {
    RETURN_IF_ERROR(store_internal::CheckVersion(name, *version));
  }
  SecretVersionRecord record;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        Params params;
        params.Bytes(name);
        if (version.has_value()) params.Int64(*version);
        ASSIGN_OR_RETURN(
            Result rows,
            conn.Execute(version.has_value() ? kGetVersion : kGetNewestEnabled,
                         params));
        if (rows.rows() == 0) return store_internal::SecretNotFound(name);
        if (rows.IsNull(0, 0)) {
          if (!version.has_value()) {
            return store_internal::NoEnabledVersion(name);
          }
          return store_internal::VersionNotFound(name, *version);
        }
        record = VersionFromRow(rows, 0, std::string(name), 0);
        if (!record.enabled) {
          return store_internal::VersionDisabled(name, record.version);
        }
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return record;
}

absl::Status PostgresStore::DisableSecretVersion(absl::string_view name,
                                                 int64_t version) {
  RETURN_IF_ERROR(CheckNotEmpty("secret name", name));
  RETURN_IF_ERROR(store_internal::CheckVersion(name, version));
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    RETURN_IF_ERROR(BumpChangeCounter(tx.conn).status());
    ASSIGN_OR_RETURN(
        Result result,
        tx.conn.Execute(kDisableVersion, Params().Bytes(name).Int64(version)));
    if (result.affected() == 1) return Finish::kCommit;
    ASSIGN_OR_RETURN(
        Result state,
        tx.conn.Execute(kVersionState, Params().Bytes(name).Int64(version)));
    // Already disabled: a no-op, not a change (the bump is rolled back).
    if (state.Bool(0, 1)) return Finish::kRollBack;
    if (!state.Bool(0, 0)) return store_internal::SecretNotFound(name);
    return store_internal::VersionNotFound(name, version);
  });
}

absl::StatusOr<std::vector<SecretMetadata>> PostgresStore::ListSecrets(
    absl::string_view prefix) {
  std::vector<SecretMetadata> secrets;
  const std::optional<std::string> upper =
      store_internal::PrefixUpperBound(prefix);
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        secrets.clear();
        Params params;
        params.Bytes(prefix);
        if (upper.has_value()) {
          params.Bytes(*upper);
        } else {
          params.Null();
        }
        ASSIGN_OR_RETURN(Result rows, conn.Execute(kListSecrets, params));
        for (int i = 0; i < rows.rows(); ++i) {
          std::string name = rows.Bytes(i, 0);
          if (secrets.empty() || secrets.back().name != name) {
            secrets.push_back({std::move(name), rows.Int64(i, 1), {}});
          }
          secrets.back().versions.push_back({rows.Int64(i, 2), rows.Bool(i, 3),
                                             rows.Time(i, 4),
                                             rows.Bytes(i, 5)});
        }
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return secrets;
}

// ---- KEK rotation ----

absl::StatusOr<SecretVersionsSnapshot> PostgresStore::ReadAllSecretVersions() {
  SecretVersionsSnapshot snapshot;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        snapshot.versions.clear();
        ASSIGN_OR_RETURN(Result rows, conn.Execute(kReadAllVersions, Params()));
        if (rows.rows() == 0) {
          return MissingCounterRow();
        }
        snapshot.change_counter = rows.Int64(0, 0);
        for (int i = 0; i < rows.rows(); ++i) {
          if (rows.IsNull(i, 1)) continue;  // no versions at all
          snapshot.versions.push_back(
              VersionFromRow(rows, i, rows.Bytes(i, 1), 2));
        }
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return snapshot;
}

absl::Status PostgresStore::ReplaceSecretFields(
    int64_t expected_change_counter,
    const std::vector<SecretFieldsUpdate>& updates) {
  RETURN_IF_ERROR(store_internal::CheckUpdates(updates));
  return Write([&](Tx& tx) -> absl::StatusOr<Finish> {
    // The bump takes the lock every change takes, so no change can commit
    // between this comparison and the commit.
    ASSIGN_OR_RETURN(int64_t bumped, BumpChangeCounter(tx.conn));
    const int64_t counter = bumped - 1;
    if (counter != expected_change_counter) {
      return store_internal::LostCompareAndSet(expected_change_counter,
                                               counter);
    }
    if (updates.empty()) return Finish::kRollBack;
    for (const SecretFieldsUpdate& update : updates) {
      ASSIGN_OR_RETURN(
          Result result,
          tx.conn.Execute(kReplaceFields,
                          Params()
                              .Bytes(update.name)
                              .Int64(update.version)
                              .Bytes(update.fields.kek_id)
                              .Bytes(update.fields.wrapped_data_key)
                              .Bytes(update.fields.ciphertext)));
      if (result.affected() == 0) {
        // Rolled back by Write(): nothing of this update stays.
        ASSIGN_OR_RETURN(
            Result state,
            tx.conn.Execute(kVersionState,
                            Params().Bytes(update.name).Int64(update.version)));
        if (!state.Bool(0, 0))
          return store_internal::SecretNotFound(update.name);
        return store_internal::VersionNotFound(update.name, update.version);
      }
    }
    return Finish::kCommit;
  });
}

// ---- Single-use tokens ----

absl::Status PostgresStore::RecordTokenUse(absl::string_view issuer,
                                           absl::string_view jti,
                                           absl::Time expires_at) {
  RETURN_IF_ERROR(CheckNotEmpty("issuer", issuer));
  RETURN_IF_ERROR(CheckNotEmpty("jti", jti));
  const absl::Time now = Now();
  int64_t affected = 0;
  // Not rerun on a lost connection: the insert may have committed, and a
  // rerun would then report the caller's own use as a second one.
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(
            Result result,
            conn.Execute(
                kRecordTokenUse,
                Params().Bytes(issuer).Bytes(jti).Time(expires_at).Time(now)));
        affected = result.affected();
        return absl::OkStatus();
      },
      /*retry_lost=*/false));
  if (affected == 0) return store_internal::TokenAlreadyUsed(issuer, jti);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PostgresStore::PurgeExpiredTokenUses(absl::Time now) {
  // Batches, each its own short statement: a large backlog never holds
  // locks long or runs into statement_timeout.
  int64_t total = 0;
  while (true) {
    int64_t purged = 0;
    RETURN_IF_ERROR(Run(
        [&](Connection& conn) -> absl::Status {
          ASSIGN_OR_RETURN(Result result,
                           conn.Execute(kPurgeTokenUses,
                                        Params()
                                            .Time(TruncateToMicros(now))
                                            .Int64(options_.purge_batch_size)));
          purged = result.affected();
          return absl::OkStatus();
        },
        /*retry_lost=*/true));
    total += purged;
    if (purged < options_.purge_batch_size) return total;
  }
}

// ---- Change tracking ----

absl::StatusOr<int64_t> PostgresStore::GetChangeCounter() {
  int64_t counter = 0;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(Result rows, conn.Execute(kGetCounter, Params()));
        if (rows.rows() != 1) {
          return MissingCounterRow();
        }
        counter = rows.Int64(0, 0);
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return counter;
}

absl::StatusOr<StoreSnapshot> PostgresStore::LoadSnapshot() {
  StoreSnapshot snapshot;
  RETURN_IF_ERROR(Run(
      [&](Connection& conn) -> absl::Status {
        snapshot = StoreSnapshot();
        ASSIGN_OR_RETURN(Result rows, conn.Execute(kLoadSnapshot, Params()));
        bool have_counter = false;
        for (int i = 0; i < rows.rows(); ++i) {
          switch (rows.Int64(i, 0)) {
            case 0:
              snapshot.change_counter = rows.Int64(i, 1);
              have_counter = true;
              break;
            case 1: {
              std::string name = rows.Bytes(i, 6);
              if (snapshot.roles.empty() ||
                  snapshot.roles.back().name != name) {
                RoleRecord role;
                role.name = std::move(name);
                role.trust_policy.name = rows.Bytes(i, 7);
                role.trust_policy.document = rows.Bytes(i, 8);
                role.max_token_lifetime_seconds = rows.Int64(i, 1);
                role.secret_ttl_seconds = rows.Int64(i, 2);
                role.single_use_tokens = rows.Bool(i, 5);
                role.updated_at = rows.Time(i, 3);
                snapshot.roles.push_back(std::move(role));
              }
              if (!rows.IsNull(i, 9)) {
                snapshot.roles.back().permission_policies.push_back(
                    {rows.Bytes(i, 9), rows.Bytes(i, 10)});
              }
              break;
            }
            case 2:
              snapshot.trust_bundles.push_back(
                  {rows.Bytes(i, 6), rows.Bytes(i, 7), rows.Time(i, 1)});
              break;
          }
        }
        if (!have_counter) {
          return MissingCounterRow();
        }
        return absl::OkStatus();
      },
      /*retry_lost=*/true));
  return snapshot;
}

// ---- Change notification ----

void PostgresStore::StopWaiting() {
  stop_waiting_.store(true);
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    // Only fails when the counter would overflow: it is readable anyway.
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
}

absl::Status PostgresStore::WaitStopped() const {
  return absl::CancelledError(
      absl::StrCat("store ", config_->label, ": stopped waiting for changes"));
}

absl::StatusOr<int64_t> PostgresStore::WaitForChange(int64_t known,
                                                     absl::Duration timeout) {
  absl::MutexLock lock(&listen_mu_);
  if (stop_waiting_.load()) return WaitStopped();
  const SteadyTime deadline = postgres_internal::SteadyDeadline(timeout);
  if (listener_ == nullptr || listener_->broken()) {
    listener_.reset();
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connect();
    if (conn.ok() && (*conn)->Exec("LISTEN secretd_changes").ok()) {
      listener_ = *std::move(conn);
    }
  }
  // Read after LISTEN: a change committed before it shows here, one after
  // it sends a notification.
  absl::StatusOr<int64_t> counter = GetChangeCounter();
  if (counter.ok() && *counter != known) return counter;
  if (listener_ != nullptr) {
    while (true) {
      absl::StatusOr<int> notified =
          listener_->WaitForNotifications(deadline, wake_fd_);
      if (stop_waiting_.load()) return WaitStopped();
      if (!notified.ok()) {
        listener_.reset();
        break;
      }
      if (*notified == 0) return GetChangeCounter();  // timed out
      counter = GetChangeCounter();
      if (counter.ok() && *counter != known) return counter;
    }
  }
  // No listener: poll once at the deadline (or until StopWaiting).
  while (true) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    const int64_t ms =
        std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd wake = {wake_fd_, POLLIN, 0};
    if (wake_fd_ < 0) {
      absl::SleepFor(absl::Milliseconds(std::min<int64_t>(ms, 100)));
    } else if (::poll(&wake, 1,
                      static_cast<int>(std::min<int64_t>(ms, 1 << 30))) < 0 &&
               errno != EINTR) {
      absl::SleepFor(absl::Milliseconds(std::min<int64_t>(ms, 100)));
    }
    if (stop_waiting_.load()) return WaitStopped();
  }
  return GetChangeCounter();
}

}  // namespace secretd
