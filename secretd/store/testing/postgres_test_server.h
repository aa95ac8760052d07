// PostgreSQL for tests: a fresh schema per test on the server that
// tools/test (or tools/pg_server) started, and a private server a test may
// stop and start.
//
//   // On the server of SECRETD_TEST_POSTGRES_URL:
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
// Without SECRETD_TEST_POSTGRES_URL, TestPostgresUrl and TestSchema fail
// (kFailedPrecondition) with a message saying how to start a server: tests
// that need PostgreSQL fail, they do not skip. Testonly; thread-compatible.
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

// The URL in SECRETD_TEST_POSTGRES_URL; kFailedPrecondition if it is unset.
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
// "no-sandbox"). Stopped and removed when the object is destroyed.
class TestPostgresServer {
 public:
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

 private:
  explicit TestPostgresServer(std::string dir) : dir_(std::move(dir)) {}
  absl::Status RunPgServer(absl::string_view command, std::string* out);

  std::string dir_;
  std::string url_;
};

}  // namespace secretd::testing

#endif  // SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_
