// PostgreSQL for tests: a fresh database per test on the server that
// tools/test (or tools/pg_server) started, and a private server a test may
// stop and start.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestDatabase> db,
//                        TestDatabase::Create());      //
//                        SECRETD_TEST_POSTGRES_URL
//   auto store = PostgresStore::Open(db->url(), clock, {});
//   EXPECT_THAT(db->Query("SELECT value FROM change_counter"),
//               IsOkAndHolds("1"));
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestPostgresServer> server,
//                        TestPostgresServer::Start());
//   ASSERT_OK(server->Stop());        // the server is down
//   ASSERT_OK(server->StartAgain());  // same port, same data
//
// Without SECRETD_TEST_POSTGRES_URL, TestPostgresUrl and TestDatabase fail
// (kFailedPrecondition) with a message saying how to start a server: tests
// that need PostgreSQL fail, they do not skip. Testonly; thread-compatible.
#ifndef SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_
#define SECRETD_SECRETD_STORE_TESTING_POSTGRES_TEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::testing {

// The URL in SECRETD_TEST_POSTGRES_URL; kFailedPrecondition if it is unset.
absl::StatusOr<std::string> TestPostgresUrl();

// `url` (a libpq URL) with its database name replaced by `dbname`.
absl::StatusOr<std::string> UrlWithDatabase(absl::string_view url,
                                            absl::string_view dbname);

// Runs `sql` on `url` with the simple query protocol and returns the rows
// of the last statement as text, columns joined by "|" and rows by ";"
// (NULL as "NULL").
absl::StatusOr<std::string> QueryPostgres(absl::string_view url,
                                          absl::string_view sql);

// A new, empty database "secretd_t_<random>", dropped (WITH (FORCE)) when
// the object is destroyed.
class TestDatabase {
 public:
  // On the server of TestPostgresUrl().
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create();
  // On the server of `server_url` (any database on it).
  static absl::StatusOr<std::unique_ptr<TestDatabase>> CreateOn(
      absl::string_view server_url);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // The URL of the new database.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // QueryPostgres on this database.
  absl::StatusOr<std::string> Query(absl::string_view sql) const;

 private:
  TestDatabase(std::string server_url, std::string name, std::string url)
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
