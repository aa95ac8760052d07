// PostgresStore: the store contract on a real PostgreSQL server (a fresh
// schema per test on the server of SECRETD_TEST_POSTGRES_URL, which
// tools/test starts, or without it on a private server this test starts and
// stops), plus what only this backend shows: migrations under
// the advisory lock with several stores opening at once, schema refusal,
// the password kept out of every message, pool exhaustion, lock and
// statement timeouts, connections killed by the server, two writer
// processes, single-use tokens across instances, change notification, and
// an unresponsive server. The server restart is in
// postgres_store_restart_test.cc.
#include "secretd/store/postgres_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/store/internal/postgres_schema.h"
#include "secretd/store/testing/postgres_test_server.h"
#include "secretd/store/testing/store_contract.h"

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestSchema;

EncryptSecretFn Encrypt(absl::string_view tag = "a") {
  return [tag = std::string(tag)](int64_t version) {
    return absl::StatusOr<EncryptedSecretFields>(
        EncryptedSecretFields{"kek-1", absl::StrCat("wk-", tag, version),
                              absl::StrCat("ct-", tag, version)});
  };
}

// ---- The contract ----

class PostgresFactory final : public testing::StoreFactory {
 public:
  explicit PostgresFactory(int pool_size) : pool_size_(pool_size) {}
  absl::StatusOr<std::unique_ptr<Store>> Create(
      const common::Clock& clock) override {
    absl::StatusOr<std::unique_ptr<TestSchema>> db = TestSchema::Create();
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    return Open(clock);
  }
  absl::StatusOr<std::unique_ptr<Store>> OpenAnother(
      const common::Clock& clock) override {
    return Open(clock);
  }

 private:
  absl::StatusOr<std::unique_ptr<Store>> Open(const common::Clock& clock) {
    PostgresStore::Options options;
    options.pool_size = pool_size_;
    options.pool_wait_timeout = absl::Seconds(30);
    auto store = PostgresStore::Open(db_->url(), clock, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }

  const int pool_size_;
  std::unique_ptr<TestSchema> db_;  // dropped after the stores close
};

using testing::StoreContractTest;

INSTANTIATE_TEST_SUITE_P(
    Postgres, StoreContractTest,
    ::testing::Values(
        testing::StoreContractParam{
            "PoolOfFour", [] { return std::make_unique<PostgresFactory>(4); }},
        testing::StoreContractParam{
            "PoolOfOne", [] { return std::make_unique<PostgresFactory>(1); }}),
    testing::StoreContractParamName);

// ---- Helpers ----

// A session of its own on the test database, to hold locks or kill
// backends while the store works.
class AdminSession {
 public:
  explicit AdminSession(const std::string& url)
      : conn_(PQconnectdb(url.c_str())) {
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
  }
  ~AdminSession() { PQfinish(conn_); }
  void Exec(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    EXPECT_THAT(PQresultStatus(res), AnyOf(PGRES_COMMAND_OK, PGRES_TUPLES_OK))
        << sql << ": " << PQresultErrorMessage(res);
    PQclear(res);
  }

 private:
  PGconn* conn_;
};

// A loopback port where nothing listens (bound, then closed).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A TCP proxy to the test server that can stop forwarding while keeping
// every connection open: what a client sees when the network or the server
// hangs (no error, no answer).
class FreezableProxy {
 public:
  explicit FreezableProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    EXPECT_EQ(
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
        0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    threads_.emplace_back([this] { AcceptLoop(); });
  }
  ~FreezableProxy() {
    stop_ = true;
    for (auto& thread : threads_) thread.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  void Freeze() { frozen_ = true; }
  void Thaw() { frozen_ = false; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    return addr;
  }
  void AcceptLoop() {
    while (!stop_) {
      pollfd pfd = {listen_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = Loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0) {
        ::close(client);
        ::close(server);
        continue;
      }
      threads_.emplace_back([this, client, server] { Pump(client, server); });
    }
  }
  // Copies bytes both ways until either side closes or the proxy stops;
  // while frozen, reads nothing.
  void Pump(int client, int server) {
    char buf[16384];
    while (!stop_) {
      if (frozen_) {
        ::poll(nullptr, 0, 10);
        continue;
      }
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 20) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        closed = n <= 0 || ::send(fds[1 - i].fd, buf, static_cast<size_t>(n),
                                  MSG_NOSIGNAL) != n;
      }
      if (closed) break;
    }
    ::close(client);
    ::close(server);
  }

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;  // grown by AcceptLoop only
};

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestSchema>> db = TestSchema::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      PostgresStore::Options options = {}) {
    return PostgresStore::Open(db_->url(), clock_, options);
  }

  std::string Query(absl::string_view sql) {
    absl::StatusOr<std::string> out = db_->Query(sql);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? *out : "";
  }

  common::testing::FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<TestSchema> db_;
};

// ---- Schema and migrations ----

TEST_F(PostgresStoreTest, OpenCreatesTheSchemaAtTheCurrentVersion) {
  ASSERT_OK(Open().status());
  EXPECT_EQ(Query("SELECT version FROM secretd_schema_version"),
            absl::StrCat(PostgresStore::SchemaVersion()));
  EXPECT_EQ(Query("SELECT value FROM change_counter"), "0");
  EXPECT_EQ(Query("SELECT string_agg(tablename, ',' ORDER BY tablename) "
                  "FROM pg_tables WHERE schemaname = current_schema()"),
            "change_counter,role_permission_policies,roles,secret_versions,"
            "secretd_schema_version,secrets,token_uses,trust_bundles");
  // Reopening finds it current.
  ASSERT_OK(Open().status());
}

constexpr char kMigrationRunsV2[] =
    "CREATE TABLE migration_runs (at timestamptz NOT NULL DEFAULT now()); "
    "INSERT INTO migration_runs DEFAULT VALUES";

TEST_F(PostgresStoreTest, SeveralStoresOpeningAtOnceMigrateOnce) {
  const postgres_internal::Migration migrations[] = {
      postgres_internal::BuiltinMigrations()[0],
      {2, "test: record each run", kMigrationRunsV2},
  };
  constexpr int kStores = 8;
  std::vector<absl::Status> results(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          OpenPostgresStoreWithMigrations(db_->url(), clock_, {}, migrations)
              .status();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const absl::Status& status : results) EXPECT_OK(status);
  // One store created the tables and ran step 2; the others waited on the
  // advisory lock and found the schema current.
  EXPECT_EQ(Query("SELECT count(*) FROM migration_runs"), "1");
  EXPECT_EQ(Query("SELECT version FROM secretd_schema_version"), "2");
}

TEST_F(PostgresStoreTest, MigrationKeepsTheDataOfTheOlderSchema) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open());
    ASSERT_OK(store->AddSecretVersion("app/db", Encrypt()).status());
  }
  const postgres_internal::Migration migrations[] = {
      postgres_internal::BuiltinMigrations()[0],
      {2, "test: record each run", kMigrationRunsV2},
  };
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<PostgresStore> store,
      OpenPostgresStoreWithMigrations(db_->url(), clock_, {}, migrations));
  EXPECT_EQ(Query("SELECT version FROM secretd_schema_version"), "2");
  ASSERT_OK_AND_ASSIGN(SecretVersionRecord record,
                       store->GetSecretVersion("app/db", std::nullopt));
  EXPECT_EQ(record.fields.ciphertext, "ct-a1");
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(1));
}

TEST_F(PostgresStoreTest, FailedMigrationLeavesTheOldSchemaIntact) {
  ASSERT_OK(Open().status());
  const postgres_internal::Migration migrations[] = {
      postgres_internal::BuiltinMigrations()[0],
      {2, "test: fails halfway",
       "CREATE TABLE half_done (a int); SELECT 1 / 0"},
  };
  EXPECT_THAT(
      OpenPostgresStoreWithMigrations(db_->url(), clock_, {}, migrations),
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("migrating the store schema to version 2"),
                     HasSubstr("SQLSTATE 22012"))));
  EXPECT_EQ(Query("SELECT version FROM secretd_schema_version"), "1");
  EXPECT_EQ(Query("SELECT to_regclass('half_done') IS NULL"), "t");
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefusedWithTheVersions) {
  ASSERT_OK(Open().status());
  const int64_t newer = PostgresStore::SchemaVersion() + 1;
  Query(absl::StrCat("UPDATE secretd_schema_version SET version = ", newer));
  EXPECT_THAT(
      Open(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(absl::StrCat("has schema version ", newer)),
                     HasSubstr(absl::StrCat("knows versions up to ",
                                            PostgresStore::SchemaVersion())),
                     HasSubstr("downgrades are not supported"))));
}

TEST_F(PostgresStoreTest, SchemaWithTablesOfTheSameNamesIsRefused) {
  Query("CREATE TABLE roles (name text)");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("not a secretd store")));
}

TEST_F(PostgresStoreTest, OtherTablesInTheSchemaAreLeftAlone) {
  Query("CREATE TABLE unrelated (a int); INSERT INTO unrelated VALUES (7)");
  ASSERT_OK(Open().status());
  EXPECT_EQ(Query("SELECT a FROM unrelated"), "7");
}

TEST_F(PostgresStoreTest, SearchPathInTheUrlChoosesTheSchema) {
  const std::string schema = absl::StrCat(db_->name(), "_app");
  Query(absl::StrCat("CREATE SCHEMA ", schema));
  ASSERT_OK_AND_ASSIGN(
      std::string url,
      testing::RewriteUrl(
          db_->url(), {{"options", absl::StrCat("-csearch_path=", schema)}}));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                         PostgresStore::Open(url, clock_, {}));
    ASSERT_OK(store->PutTrustBundle("a.example", "{}"));
  }
  EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM pg_tables WHERE "
                               "schemaname = '",
                               schema, "'")),
            "8");
  EXPECT_EQ(Query("SELECT count(*) FROM pg_tables WHERE schemaname = "
                  "current_schema()"),
            "0");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT value FROM ", schema, ".change_counter")),
      "1");
  Query(absl::StrCat("DROP SCHEMA ", schema, " CASCADE"));
}

TEST_F(PostgresStoreTest, SearchPathWithoutAnExistingSchemaIsRefused) {
  ASSERT_OK_AND_ASSIGN(
      std::string url,
      testing::RewriteUrl(db_->url(),
                          {{"options", "-csearch_path=no_such_schema"}}));
  EXPECT_THAT(PostgresStore::Open(url, clock_, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no schema to create the store's tables in")));
}

TEST_F(PostgresStoreTest, StringsAreStoredAsBytes) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open());
  // Not UTF-8, with a NUL: fine in BYTEA whatever the database encoding.
  const std::string name("a\0\xff", 3);
  ASSERT_OK(store->AddSecretVersion(name, Encrypt()).status());
  EXPECT_EQ(Query("SELECT encode(name, 'hex') FROM secrets"), "6100ff");
  ASSERT_OK_AND_ASSIGN(SecretVersionRecord record,
                       store->GetSecretVersion(name, 1));
  EXPECT_EQ(record.name, name);
}

// ---- Options and URLs ----

TEST_F(PostgresStoreTest, BadOptionsAreInvalidArguments) {
  PostgresStore::Options options;
  options.pool_size = 0;
  EXPECT_THAT(Open(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("pool size")));
  options = {};
  options.statement_timeout = absl::ZeroDuration();
  EXPECT_THAT(Open(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("statement_timeout")));
  options = {};
  options.min_reconnect_backoff = absl::Seconds(10);
  EXPECT_THAT(Open(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("min_reconnect_backoff")));
  EXPECT_THAT(PostgresStore::Open("", clock_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("store URL is empty")));
}

TEST_F(PostgresStoreTest, PasswordNeverAppearsInAMessage) {
  const std::string port = absl::StrCat(ClosedPort());
  const std::string password = "Xyzzy-pw";
  struct Case {
    std::string url;
    absl::StatusCode code;
  };
  const Case cases[] = {
      // Nothing listens.
      {absl::StrCat("postgresql://secretd:", password, "@127.0.0.1:", port,
                    "/db"),
       absl::StatusCode::kUnavailable},
      // libpq echoes the bad token of a URL it cannot decode.
      {absl::StrCat("postgresql://secretd:", password, "%zz@127.0.0.1:", port,
                    "/db"),
       absl::StatusCode::kInvalidArgument},
      {absl::StrCat("postgresql://secretd:", password, "@127.0.0.1:", port,
                    "/db?bogus=", password),
       absl::StatusCode::kInvalidArgument},
      {absl::StrCat("postgresql://secretd@127.0.0.1:", port,
                    "/db?password=", password, "&port=x", password),
       absl::StatusCode::kUnavailable},
      {absl::StrCat("host=127.0.0.1 port=", port, " password='", password,
                    " two' dbname=db"),
       absl::StatusCode::kUnavailable},
      {absl::StrCat("host=127.0.0.1 password=", password, " port='x", password,
                    "'"),
       absl::StatusCode::kUnavailable},
  };
  PostgresStore::Options options;
  options.connect_timeout = absl::Seconds(2);
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store =
        PostgresStore::Open(c.url, clock_, options);
    EXPECT_THAT(store, StatusIs(c.code, Not(HasSubstr("Xyzzy")))) << c.url;
  }
  EXPECT_THAT(
      PostgresStore::Open(absl::StrCat("postgresql://secretd:", password,
                                       "@127.0.0.1:", port, "/db"),
                          clock_, options),
      StatusIs(
          absl::StatusCode::kUnavailable,
          HasSubstr(absl::StrCat("store postgresql://secretd@127.0.0.1:", port,
                                 "/db: cannot reach the database"))));

  // A working store (the test server trusts every login, so the password
  // is ignored) names itself without it too.
  const std::string with_password = absl::StrReplaceAll(
      db_->url(),
      {{"postgresql://secretd@", "postgresql://secretd:Xyzzy-pw@"}});
  ASSERT_NE(with_password, db_->url());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                       PostgresStore::Open(with_password, clock_, {}));
  EXPECT_THAT(store->label(), Not(HasSubstr("Xyzzy")));
  EXPECT_THAT(store->label(), HasSubstr("postgresql://secretd@127.0.0.1:"));
}

// ---- Bounded waits ----

TEST_F(PostgresStoreTest, BusyPoolIsUnavailableAfterTheWait) {
  PostgresStore::Options options;
  options.pool_size = 1;
  options.pool_wait_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open(options));
  absl::Notification in_encrypt, release;
  std::thread writer([&] {
    // Holds the only connection inside its transaction.
    EXPECT_THAT(store->AddSecretVersion("app/db",
                                        [&](int64_t version) {
                                          in_encrypt.Notify();
                                          release.WaitForNotification();
                                          return Encrypt()(version);
                                        }),
                IsOkAndHolds(1));
  });
  in_encrypt.WaitForNotification();
  EXPECT_THAT(store->GetChangeCounter(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("all 1 database connections stayed busy "
                                 "for 100ms")));
  release.Notify();
  writer.join();
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(1));
}

TEST_F(PostgresStoreTest, ChangeBlockedByALockIsUnavailableWhileReadsGoOn) {
  PostgresStore::Options options;
  options.statement_timeout = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open(options));
  ASSERT_OK(store->PutTrustBundle("a.example", "{}"));
  AdminSession admin(db_->url());
  // What a stuck change of another replica would hold.
  admin.Exec("BEGIN");
  admin.Exec("SELECT value FROM change_counter WHERE id = 1 FOR UPDATE");
  const absl::Time start = absl::Now();
  EXPECT_THAT(store->PutTrustBundle("b.example", "{}"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AnyOf(HasSubstr("SQLSTATE 57014"),
                             HasSubstr("SQLSTATE 55P03"))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(1));
  EXPECT_THAT(store->ListTrustBundles(), IsOk());
  admin.Exec("ROLLBACK");
  EXPECT_OK(store->PutTrustBundle("b.example", "{}"));
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(2));
}

TEST_F(PostgresStoreTest, ServerThatNeverAnswersTimesOutInsteadOfHanging) {
  // Accepts connections (the kernel's backlog) but never says a word.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  PostgresStore::Options options;
  options.connect_timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      PostgresStore::Open(absl::StrCat("postgresql://secretd@127.0.0.1:",
                                       ntohs(addr.sin_port), "/db"),
                          clock_, options),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("no answer within 300ms (connect timeout)")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ::close(fd);
}

TEST_F(PostgresStoreTest, ServerThatStopsAnsweringIsUnavailableThenRecovers) {
  // The test server's port, to put the proxy in front of it.
  PQconninfoOption* parsed = PQconninfoParse(db_->url().c_str(), nullptr);
  ASSERT_NE(parsed, nullptr);
  int port = 5432;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::string(o->keyword) == "port") {
      ASSERT_TRUE(absl::SimpleAtoi(o->val, &port));
    }
  }
  PQconninfoFree(parsed);
  FreezableProxy proxy(port);
  ASSERT_OK(Open().status());  // migrates, with the default timeouts
  PostgresStore::Options options;
  options.pool_size = 2;
  options.connect_timeout = absl::Milliseconds(500);
  options.statement_timeout = absl::Milliseconds(500);
  options.min_reconnect_backoff = absl::Milliseconds(10);
  options.max_reconnect_backoff = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(
      std::string url,
      testing::RewriteUrl(db_->url(), {{"host", "127.0.0.1"},
                                       {"port", absl::StrCat(proxy.port())}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                       PostgresStore::Open(url, clock_, options));
  ASSERT_OK(store->PutTrustBundle("a.example", "{}"));

  proxy.Freeze();
  // A statement on an open connection: the client stops waiting one
  // second after the statement timeout and drops the connection (no rerun:
  // it would wait as long again).
  absl::Time start = absl::Now();
  EXPECT_THAT(store->GetChangeCounter(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("no answer from the database within 1.5s")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // A new connection: the connect timeout.
  start = absl::Now();
  EXPECT_THAT(
      store->PutTrustBundle("b.example", "{}"),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("(connect timeout)")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  proxy.Thaw();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  absl::StatusOr<int64_t> counter = store->GetChangeCounter();
  while (!counter.ok() && absl::Now() < deadline) {
    counter = store->GetChangeCounter();
  }
  EXPECT_THAT(counter, IsOkAndHolds(1));
  EXPECT_OK(store->PutTrustBundle("b.example", "{}"));
}

// ---- Broken connections ----

TEST_F(PostgresStoreTest, ConnectionsKilledByTheServerAreReplaced) {
  PostgresStore::Options options;
  options.pool_size = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open(options));
  // Open several connections.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j)
        EXPECT_OK(store->GetChangeCounter().status());
    });
  }
  for (auto& thread : threads) thread.join();
  const int open = store->OpenConnections();
  ASSERT_GE(open, 2);
  EXPECT_EQ(Query(absl::StrCat(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                "FROM pg_stat_activity WHERE application_name = '",
                db_->name(), "' AND pid <> pg_backend_pid()")),
            absl::StrCat(open));
  // Idle connections that died are noticed and replaced; the first call
  // on one that dies unnoticed is rerun on a new one.
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(i)) << i;
    EXPECT_OK(store->PutTrustBundle(absl::StrCat("i", i), "{}")) << i;
  }
  EXPECT_LE(store->OpenConnections(), 4);
}

// ---- Several writers ----

TEST_F(PostgresStoreTest, TwoProcessesGetDistinctGaplessVersions) {
  ASSERT_OK(Open().status());
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string helper =
      absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                   workspace != nullptr ? workspace : "secretd",
                   "/secretd/store/postgres_store_test_helper");
  constexpr int kPerProcess = 30;
  common::testing::ProcessResult results[2];
  std::thread a([&] {
    results[0] = common::testing::RunProcess(
        {helper, "add", db_->url(), "shared", absl::StrCat(kPerProcess)});
  });
  std::thread b([&] {
    results[1] = common::testing::RunProcess(
        {helper, "add", db_->url(), "shared", absl::StrCat(kPerProcess)});
  });
  a.join();
  b.join();
  std::multiset<int64_t> versions;
  for (const auto& result : results) {
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (absl::string_view line :
         absl::StrSplit(result.out, '\n', absl::SkipEmpty())) {
      int64_t v = 0;
      ASSERT_TRUE(absl::ConsumePrefix(&line, "version ") &&
                  absl::SimpleAtoi(line, &v))
          << line;
      versions.insert(v);
    }
  }
  ASSERT_EQ(versions.size(), 2u * kPerProcess);
  int64_t expected = 1;
  for (int64_t v : versions) EXPECT_EQ(v, expected++);
  EXPECT_EQ(Query("SELECT latest_version FROM secrets"),
            absl::StrCat(2 * kPerProcess));
  EXPECT_EQ(Query("SELECT value FROM change_counter"),
            absl::StrCat(2 * kPerProcess));
}

TEST_F(PostgresStoreTest, TokenUseIsRecordedOnceAcrossInstances) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> a, Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> b, Open());
  for (int round = 0; round < 5; ++round) {
    const std::string jti = absl::StrCat("jti-", round);
    std::atomic<int> ok{0}, used{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        const absl::Status status =
            (i % 2 == 0 ? a : b)
                ->RecordTokenUse("issuer", jti,
                                 clock_.Now() + absl::Minutes(5));
        if (status.ok()) {
          ++ok;
        } else if (status.code() == absl::StatusCode::kAlreadyExists) {
          ++used;
        } else {
          ADD_FAILURE() << status;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 1) << jti;
    EXPECT_EQ(used.load(), 7) << jti;
  }
}

// ---- Change notification ----

TEST_F(PostgresStoreTest, WaitForChangeWakesOnAChangeFromAnotherInstance) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> waiter, Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> writer, Open());
  // The first call sets up LISTEN; with nothing changed it returns at the
  // deadline.
  EXPECT_THAT(waiter->WaitForChange(0, absl::Milliseconds(50)),
              IsOkAndHolds(0));
  absl::StatusOr<int64_t> seen;
  absl::Notification waiting;
  const absl::Time start = absl::Now();
  std::thread thread([&] {
    waiting.Notify();
    seen = waiter->WaitForChange(0, absl::Seconds(60));
  });
  waiting.WaitForNotification();
  ASSERT_OK(writer->PutTrustBundle("a.example", "{}"));
  thread.join();
  EXPECT_THAT(seen, IsOkAndHolds(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  // A counter that already differs returns at once.
  EXPECT_THAT(waiter->WaitForChange(0, absl::Seconds(60)), IsOkAndHolds(1));
}

TEST_F(PostgresStoreTest, WaitForChangeWithoutNotificationsReadsAtTheTimeout) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> waiter, Open());
  PostgresStore::Options quiet;
  quiet.notify_changes = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> writer, Open(quiet));
  EXPECT_THAT(waiter->WaitForChange(0, absl::Milliseconds(50)),
              IsOkAndHolds(0));
  absl::StatusOr<int64_t> seen;
  absl::Notification waiting;
  std::thread thread([&] {
    waiting.Notify();
    seen = waiter->WaitForChange(0, absl::Milliseconds(500));
  });
  waiting.WaitForNotification();
  ASSERT_OK(writer->PutTrustBundle("a.example", "{}"));
  thread.join();
  // Whether or not the change came before the waiter's first read, the
  // final read at the deadline sees it: the bound is the timeout.
  EXPECT_THAT(seen, IsOkAndHolds(1));
}

TEST_F(PostgresStoreTest, StopWaitingEndsAWaitInProgressAndEveryLaterOne) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> waiter, Open());
  absl::StatusOr<int64_t> seen;
  absl::Notification waiting;
  const absl::Time start = absl::Now();
  std::thread thread([&] {
    waiting.Notify();
    seen = waiter->WaitForChange(0, absl::Seconds(60));
  });
  waiting.WaitForNotification();
  waiter->StopWaiting();
  thread.join();
  EXPECT_THAT(seen, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_THAT(waiter->WaitForChange(0, absl::Seconds(60)),
              StatusIs(absl::StatusCode::kCancelled));
  // The store itself goes on working.
  EXPECT_THAT(waiter->GetChangeCounter(), IsOkAndHolds(0));
}

// ---- Token purge ----

TEST_F(PostgresStoreTest, PurgeDeletesEveryExpiredRecordInBatches) {
  PostgresStore::Options options;
  options.purge_batch_size = 7;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open(options));
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(store->RecordTokenUse("issuer", absl::StrCat("old-", i),
                                    clock_.Now() - absl::Seconds(1 + i)));
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(store->RecordTokenUse("issuer", absl::StrCat("live-", i),
                                    clock_.Now() + absl::Minutes(5)));
  }
  EXPECT_THAT(store->PurgeExpiredTokenUses(clock_.Now()), IsOkAndHolds(50));
  EXPECT_EQ(Query("SELECT count(*) FROM token_uses"), "3");
  EXPECT_THAT(store->PurgeExpiredTokenUses(clock_.Now()), IsOkAndHolds(0));
  // A live record still blocks its token.
  EXPECT_THAT(store->RecordTokenUse("issuer", "live-0",
                                    clock_.Now() + absl::Minutes(5)),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresStoreTest,
       ConcurrentPurgesFromSeveralInstancesDeleteEachRowOnce) {
  // As replicas that purge at the same moment: SKIP LOCKED splits the rows
  // between them, so the counts add up to the rows there were.
  PostgresStore::Options options;
  options.purge_batch_size = 100;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> s, Open(options));
    stores.push_back(std::move(s));
  }
  const int64_t expired_us =
      absl::ToUnixMicros(clock_.Now() - absl::Minutes(1));
  Query(
      absl::StrCat("INSERT INTO token_uses (issuer, jti, expires_at_us) SELECT "
                   "'issuer'::bytea, convert_to('jti-' || n, 'UTF8'), ",
                   expired_us, " FROM generate_series(1, 5000) AS n"));
  std::atomic<int64_t> purged{0};
  std::vector<std::thread> threads;
  for (auto& store : stores) {
    threads.emplace_back([&, s = store.get()] {
      absl::StatusOr<int64_t> n = s->PurgeExpiredTokenUses(clock_.Now());
      ASSERT_THAT(n, IsOk());
      purged += *n;
    });
  }
  for (auto& t : threads) t.join();
  // A purger that found only rows locked by another may stop early; one
  // more pass finds whatever is left.
  ASSERT_OK_AND_ASSIGN(int64_t rest,
                       stores[0]->PurgeExpiredTokenUses(clock_.Now()));
  EXPECT_EQ(purged.load() + rest, 5000);
  EXPECT_EQ(Query("SELECT count(*) FROM token_uses"), "0");
}

// ---- Pool counters ----

TEST_F(PostgresStoreTest, PoolStatsCountConnectionsAndStatementsPreparedOnce) {
  PostgresStore::Options options;
  options.pool_size = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, Open(options));
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(store->GetChangeCounter(), IsOk());
    ASSERT_THAT(store->LoadSnapshot(), IsOk());
  }
  PostgresStore::PoolStats stats = store->pool_stats();
  EXPECT_EQ(stats.connections_opened, 1);
  EXPECT_EQ(stats.connect_failures, 0);
  EXPECT_EQ(stats.idle, 1);
  EXPECT_EQ(stats.in_use, 0);
  // Two statements on one connection: prepared once each, not per call.
  EXPECT_EQ(stats.statements_prepared, 2);
  // Eight callers share at most two connections, each statement prepared
  // at most once on each.
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        ASSERT_THAT(store->GetChangeCounter(), IsOk());
        ASSERT_THAT(store->LoadSnapshot(), IsOk());
      }
    });
  }
  for (auto& t : threads) t.join();
  stats = store->pool_stats();
  EXPECT_LE(stats.connections_opened, 2);
  EXPECT_LE(stats.statements_prepared, 2 * stats.connections_opened);
  EXPECT_EQ(stats.idle, static_cast<int>(stats.connections_opened));
  EXPECT_EQ(store->OpenConnections(), stats.connections_opened);
}

}  // namespace
}  // namespace secretd
