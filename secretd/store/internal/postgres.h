// Thin layer over libpq for PostgresStore: connection settings parsed from a
// URL (with the password kept out of every message), one connection with
// bounded waits and a cache of prepared statements, binary parameters and
// results, and the one mapping from SQLSTATEs to absl::Status codes.
//
//   ASSIGN_OR_RETURN(ConnectionConfig config, ParseConnectionUrl(url, {...}));
//   ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
//                    Connection::Open(config));
//   ASSIGN_OR_RETURN(Result result,
//                    conn->Execute(kGetCounter, Params()));
//   int64_t value = result.Int64(0, 0);
//
// Every wait (connecting, sending, waiting for an answer) is bounded: libpq
// runs in non-blocking mode and this layer polls its socket with a
// deadline, so an unreachable server costs at most the configured timeouts,
// never a hang. A connection that failed at the connection level is marked
// broken() and must be thrown away.
//
// Not thread-safe: a Connection belongs to one thread at a time
// (PostgresStore's pool hands it out).
#ifndef SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_H_
#define SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_H_

// Debian installs libpq under postgresql/; @sys//:libpq cannot export that
// include directory (copts do not propagate to dependents).
#include <postgresql/libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace secretd::postgres_internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// The steady (monotonic) time `d` from now: every deadline here is on the
// steady clock, never the wall clock.
SteadyTime SteadyDeadline(absl::Duration d);

// How to reach the server, parsed from a libpq connection URL (or a
// key=value string). Holds the password only inside `values`.
struct ConnectionConfig {
  // For PQconnectStartParams: the URL's settings plus this layer's
  // defaults (application_name, TCP keepalives) where the URL sets none.
  std::vector<std::string> keywords;
  std::vector<std::string> values;
  // The server named without the password, for messages:
  // "postgresql://user@host:port/dbname".
  std::string label;
  // Strings removed from every message (the password as given and as
  // decoded), longest first.
  std::vector<std::string> secrets;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Sent as the session's statement_timeout and lock_timeout.
  absl::Duration statement_timeout = absl::Seconds(5);
  // How long the client waits for any one answer: statement_timeout plus a
  // margin, so that the server's own timeout normally answers first.
  absl::Duration answer_timeout = absl::Seconds(6);
};

// Parses `url` (postgresql://user:password@host:port/dbname?param=value, or
// libpq's "host=... dbname=..." form). kInvalidArgument (password removed
// from the message) if libpq rejects it.
absl::StatusOr<ConnectionConfig> ParseConnectionUrl(absl::string_view url);

// `message` with every string in `secrets` replaced by "[redacted]".
std::string Scrub(absl::string_view message,
                  const std::vector<std::string>& secrets);

// Parameter and column types, always in binary format.
enum class Type : char {
  kBytes = 'b',  // BYTEA
  kInt64 = 'i',  // BIGINT
  kBool = 't',   // BOOLEAN
};

// One SQL statement, prepared once per connection under the name "s<id>".
// `params` and `columns` spell the types of the parameters and of the
// result columns with the Type letters, e.g. "bbi"; Execute checks the
// result's column types against `columns`.
struct StatementDef {
  int id;  // unique, 0 <= id < kMaxStatements
  const char* sql;
  const char* params;
  const char* columns;
};
inline constexpr int kMaxStatements = 64;

// The parameters of one execution, in binary. Bytes are referenced, not
// copied: they must outlive the Execute call.
class Params {
 public:
  Params& Bytes(absl::string_view value);
  Params& Int64(int64_t value);
  Params& Bool(bool value);
  Params& Null();
  // Unix microseconds.
  Params& Time(absl::Time value);

  int size() const { return static_cast<int>(slots_.size()); }

 private:
  friend class Connection;
  struct Slot {
    const char* data = nullptr;  // null with length 0: NULL
    int length = 0;
    bool inline_value = false;  // the value is in `bytes`
    char bytes[8] = {};
  };
  std::vector<Slot> slots_;
};

// The rows of one execution (binary format). Row and column indexes are
// 0-based. Values of the wrong type cannot occur: Execute checked them.
class Result {
 public:
  Result() = default;
  Result(Result&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const { return res_ == nullptr ? 0 : PQntuples(res_); }
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t affected() const;
  bool IsNull(int row, int col) const;
  std::string Bytes(int row, int col) const;
  int64_t Int64(int row, int col) const;
  bool Bool(int row, int col) const;
  absl::Time Time(int row, int col) const;

 private:
  friend class Connection;
  explicit Result(PGresult* res) : res_(res) {}
  PGresult* res_ = nullptr;
};

// How the last failure of a connection should be handled.
enum class FailureKind {
  kNone,
  kStatement,   // the statement failed; the connection is fine
  kRetryable,   // serialization failure or deadlock: rerun the transaction
  kConnection,  // the connection is gone or unusable: throw it away
  kTimedOut,    // no answer in time: thrown away too, but not rerun (a
                // rerun would most likely wait as long again)
};

// The status for an error result `res` (or, without one, the connection's
// error) on the server `label`. SQLSTATE classes:
//   08 (connection), 57P01-57P03 (server shutting down or starting),
//   53 (out of disk, memory or connections), 58 (I/O), 57014 (statement
//   timeout), 55P03 (lock timeout), 25006 (read-only: a standby)
//                              -> kUnavailable
//   40001, 40P01               -> kAborted (the caller reruns first)
//   XX001, XX002 (corruption)  -> kDataLoss
//   42 (missing table, no privilege), 3D000 (no such database)
//                              -> kFailedPrecondition
//   anything else              -> kInternal
// The message names the SQLSTATE and carries only the server's primary
// message, never its DETAIL (which can contain values), with the password
// scrubbed.
absl::Status ErrorStatus(const PGresult* res, PGconn* conn,
                         absl::string_view label, absl::string_view what,
                         const std::vector<std::string>& secrets,
                         FailureKind* kind);

// One connection to the server.
class Connection {
 public:
  // Connects within config.connect_timeout, sets the session's timeouts and
  // checks the server version (13 or newer: kFailedPrecondition otherwise).
  // kUnavailable if the server cannot be reached or refuses the login (the
  // message says which).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      std::shared_ptr<const ConnectionConfig> config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs the prepared statement `def` (preparing it on first use).
  absl::StatusOr<Result> Execute(const StatementDef& def, const Params& params);
  // Runs `sql` (one or more statements, no parameters) with the simple
  // query protocol, discarding rows: BEGIN, COMMIT, SET, DDL.
  absl::Status Exec(absl::string_view sql);
  // Runs `sql` once without preparing it, with binary parameters and
  // results (types checked as for StatementDef).
  absl::StatusOr<Result> ExecuteOnce(absl::string_view sql,
                                     absl::string_view param_types,
                                     absl::string_view columns,
                                     const Params& params);

  // How the last failed call failed (kNone after a success).
  FailureKind last_failure() const { return last_failure_; }
  // True once the connection failed at the connection level; it is then
  // never usable again.
  bool broken() const { return broken_; }
  // True inside a transaction block (also an aborted one).
  bool InTransaction() const;
  // A cheap check before reuse: reads, without waiting, whatever the
  // server sent while the connection was idle (a shutting-down server
  // sends an error and closes). False if the connection is gone.
  bool CheckIdle();

  // LISTEN support: waits until `deadline` or until `wake_fd` (may be -1)
  // is readable for a notification. Returns the number of notifications
  // received (0 on timeout or wake-up).
  absl::StatusOr<int> WaitForNotifications(SteadyTime deadline, int wake_fd);

  const std::string& label() const { return config_->label; }
  int server_version() const { return PQserverVersion(conn_); }
  // How many statements are prepared on this connection.
  int prepared_count() const { return __builtin_popcountll(prepared_); }

 private:
  Connection(PGconn* conn, std::shared_ptr<const ConnectionConfig> config)
      : conn_(conn), config_(std::move(config)) {}

  // Sends what libpq has buffered and waits for the complete answer, then
  // returns every result (the last one last). Bounded by answer_timeout.
  absl::Status FlushAndWait(SteadyTime deadline,
                            std::vector<PGresult*>* results);
  // Waits for `events` on the socket until `deadline`; false on timeout.
  absl::StatusOr<bool> WaitSocket(short events, SteadyTime deadline,
                                  int wake_fd = -1, bool* woken = nullptr);
  absl::Status Fail(const PGresult* res, absl::string_view what);
  absl::Status Lost(absl::string_view what);
  absl::Status CheckColumns(const PGresult* res, absl::string_view columns,
                            absl::string_view what);
  absl::StatusOr<Result> SendAndCollect(absl::string_view what,
                                        absl::string_view columns);

  PGconn* conn_;
  std::shared_ptr<const ConnectionConfig> config_;
  FailureKind last_failure_ = FailureKind::kNone;
  bool broken_ = false;
  uint64_t prepared_ = 0;  // bit i: statement i is prepared
};

}  // namespace secretd::postgres_internal

#endif  // SECRETD_SECRETD_STORE_INTERNAL_POSTGRES_H_
