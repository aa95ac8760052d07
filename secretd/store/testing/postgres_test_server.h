// PostgreSQL for tests: a fresh schema per test on a shared server, and a
// private server a test may stop and start.
//
//   // On the server of SECRETD_TEST_POSTGRES_URL, or this process's own:
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestSchema> db,
//                        TestSchema::Create());
//   auto store = PostgresStore::Open(db->url(), clock, {});
//   EXPECT_THAT(db->Query("SELECT value FROM change_counter"),
//               IsOkAndHolds("1"));
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestPostgresServer> server,
//                        TestPostgresServer::Start());
//   ASSERT_OK(server->Stop());        // the server is down
//   ASSERT_OK(server->StartAgain());  // same port, same data
//
// tools/test sets SECRETD_TEST_POSTGRES_URL so that every test shares one
// server. Without it (a plain `bazel test`), the first TestSchema::Create
// in a process starts a private server with tools/pg_server, which every
// later one reuses and which is stopped when the process exits. Such tests
// are tagged "no-sandbox" (see TestPostgresServer). When PostgreSQL is not
// installed they fail (kFailedPrecondition, naming tools/setup); they never
// skip. Testonly; thread-compatible, except TestPostgresUrl and
// TestSchema::Create, which are thread-safe.
#ifndef SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_
#define SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::testing {

// The URL in SECRETD_TEST_POSTGRES_URL when it is set (and not empty).
// Otherwise the URL of this process's private server, started by the first
// call (a few seconds) with TestPostgresServer::Start and stopped when the
// process exits; a start that failed is not retried, and every call
// returns its error, prefixed with "SECRETD_TEST_POSTGRES_URL is not set":
// kFailedPrecondition naming tools/setup when PostgreSQL is not installed,
// kUnavailable otherwise. Says on stderr when it starts a server.
// Thread-safe.
absl::StatusOr<std::string> TestPostgresUrl();

// `url` (a libpq URL or key=value string) as a URL, with each of
// `settings` (libpq keyword, value) replacing the URL's own.
absl::StatusOr<std::string> RewriteUrl(
    absl::string_view url,
    const std::vector<std::pair<std::string, std::string>>& settings);

// Runs `sql` on `url` with the simple query protocol and returns the rows
// of the last statement as text, columns joined by "|" and rows by ";"
// (NULL as "NULL").
absl::StatusOr<std::string> QueryPostgres(absl::string_view url,
                                          absl::string_view sql);

// A new, empty schema "secretd_t_<random>" on a server, dropped (CASCADE)
// when the object is destroyed: one per test, so tests are independent.
// (A schema, not a database: CREATE DATABASE costs ten times more, half a
// second on a busy machine.) Its URL sets search_path to the schema, so a
// store's tables go there, and application_name to the schema's name, so
// a test can find its own connections in pg_stat_activity. Advisory locks
// are per database, so stores in different schemas share the migration
// lock (they only queue on it).
class TestSchema {
 public:
  // On the server of TestPostgresUrl().
  static absl::StatusOr<std::unique_ptr<TestSchema>> Create();
  // On the database of `server_url`.
  static absl::StatusOr<std::unique_ptr<TestSchema>> CreateOn(
      absl::string_view server_url);
  ~TestSchema();
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;

  // The URL for a store in this schema.
  const std::string& url() const { return url_; }
  // The schema's name (also the URL's application_name).
  const std::string& name() const { return name_; }
  // QueryPostgres on url() (unqualified names resolve in the schema).
  absl::StatusOr<std::string> Query(absl::string_view sql) const;

 private:
  TestSchema(std::string server_url, std::string name, std::string url)
      : server_url_(std::move(server_url)),
        name_(std::move(name)),
        url_(std::move(url)) {}

  std::string server_url_;
  std::string name_;
  std::string url_;
};

// A server of its own, started with tools/pg_server in a new directory
// under /tmp (the postgres user must reach it when the test runs as root,
// and Bazel's sandbox cannot switch users: such tests are tagged
// "no-sandbox"). Stopped and removed when the object is destroyed, or, if
// the process dies first (a crash, a Bazel timeout), by a watchdog process
// in a session of its own that waits for the process to go away.
class TestPostgresServer {
 public:
  // kFailedPrecondition naming tools/setup when PostgreSQL is not
  // installed; kUnavailable when tools/pg_server fails otherwise.
  static absl::StatusOr<std::unique_ptr<TestPostgresServer>> Start();
  ~TestPostgresServer();
  TestPostgresServer(const TestPostgresServer&) = delete;
  TestPostgresServer& operator=(const TestPostgresServer&) = delete;

  // Stops the server (pg_ctl stop -m fast: clients are disconnected).
  absl::Status Stop();
  // Starts it again on the same port with the same data.
  absl::Status StartAgain();
  // The URL of its database "secretd_test".
  const std::string& url() const { return url_; }
  // Its directory (data, logs, socket).
  const std::string& dir() const { return dir_; }

 private:
  explicit TestPostgresServer(std::string dir) : dir_(std::move(dir)) {}
  absl::Status StartWatchdog();
  absl::Status RunPgServer(absl::string_view command, std::string* out);

  std::string dir_;
  std::string url_;
  int watchdog_fd_ = -1;  // the watchdog stops the server when it closes
  int watchdog_pid_ = -1;
};

}  // namespace secretd::testing

#endif  // SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_
