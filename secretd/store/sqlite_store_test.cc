// SqliteStore: the store contract (with and without reader connections),
// plus what only a file can show: creation and modes, the missing-store
// message, schema versions and migrations, lock timeouts, several writer
// processes, and writers killed mid-write.
#include "secretd/store/sqlite_store.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/store/internal/sqlite_schema.h"
#include "secretd/store/testing/crash_sequence.h"
#include "secretd/store/testing/store_contract.h"

extern char** environ;

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fresh directory under TEST_TMPDIR.
std::string NewTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/store-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

// ---- Raw SQLite access, to inspect and tamper with files. ----

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql`; returns every row's columns joined with "|", rows with ";".
  std::string Query(const std::string& sql) {
    std::string out;
    char* error = nullptr;
    const int rc = sqlite3_exec(
        db_, sql.c_str(),
        [](void* arg, int n, char** values, char**) {
          std::string* result = static_cast<std::string*>(arg);
          if (!result->empty()) result->append(";");
          for (int i = 0; i < n; ++i) {
            if (i > 0) result->append("|");
            result->append(values[i] != nullptr ? values[i] : "NULL");
          }
          return 0;
        },
        &out, &error);
    if (rc != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
      sqlite3_free(error);
    }
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// ---- The contract ----

class SqliteFactory final : public testing::StoreFactory {
 public:
  explicit SqliteFactory(int readers)
      : path_(NewTempDir() + "/store.db"), readers_(readers) {}
  absl::StatusOr<std::unique_ptr<Store>> Create(
      const common::Clock& clock) override {
    return Open(clock, /*create=*/true);
  }
  absl::StatusOr<std::unique_ptr<Store>> OpenAnother(
      const common::Clock& clock) override {
    return Open(clock, /*create=*/false);
  }

 private:
  absl::StatusOr<std::unique_ptr<Store>> Open(const common::Clock& clock,
                                              bool create) {
    SqliteStore::Options options;
    options.create = create;
    options.reader_connections = readers_;
    options.busy_timeout = absl::Seconds(30);
    auto store = SqliteStore::Open(path_, clock, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }

  std::string path_;
  int readers_;
};

using testing::StoreContractTest;

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContractTest,
    ::testing::Values(
        testing::StoreContractParam{
            "TwoReaders", [] { return std::make_unique<SqliteFactory>(2); }},
        testing::StoreContractParam{
            "NoReaders", [] { return std::make_unique<SqliteFactory>(0); }}),
    testing::StoreContractParamName);

// ---- Files, modes, schema ----

class SqliteStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<SqliteStore>> Open(bool create = false) {
    SqliteStore::Options options;
    options.create = create;
    return SqliteStore::Open(path_, clock_, options);
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> OpenWith(
      std::vector<sqlite_internal::Migration> migrations) {
    SqliteStore::Options options;
    options.create = true;
    return OpenSqliteStoreWithMigrations(path_, clock_, options, migrations);
  }

  common::testing::FakeClock clock_;
  const std::string dir_ = NewTempDir();
  const std::string path_ = dir_ + "/store.db";
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST_F(SqliteStoreTest, OpenWithoutCreateOnAMissingFileSaysToRunInit) {
  EXPECT_THAT(
      Open(/*create=*/false),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("no store at \"", path_,
                            "\"; run \"secretctl init --data-dir ", dir_,
                            "\" first, or point --data-dir at an initialised "
                            "directory")));
  EXPECT_EQ(::access(path_.c_str(), F_OK), -1) << "no file may be created";
}

TEST_F(SqliteStoreTest, CreateMakesTheFileAndItsWalWithMode0600) {
  const mode_t old_umask = ::umask(0);  // even a permissive umask
  auto store = Open(/*create=*/true);
  ::umask(old_umask);
  ASSERT_OK(store.status());
  ASSERT_OK((*store)->PutTrustBundle("iss", "{}"));
  EXPECT_EQ(ModeOf(path_), 0600u);
  EXPECT_EQ(ModeOf(path_ + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(path_ + "-shm"), 0600u);
}

TEST_F(SqliteStoreTest, CreatedFileIsAWalStoreWithTheCurrentSchemaVersion) {
  ASSERT_OK(Open(/*create=*/true).status());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Query("PRAGMA user_version"),
            absl::StrCat(SqliteStore::SchemaVersion()));
  EXPECT_EQ(raw.Query("PRAGMA application_id"),
            absl::StrCat(sqlite_internal::kApplicationId));
  EXPECT_EQ(raw.Query("SELECT value FROM change_counter"), "0");
}

TEST_F(SqliteStoreTest, DataSurvivesClosingAndReopening) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open(/*create=*/true));
    ASSERT_OK(store->PutTrustBundle("iss", "{\"keys\":[]}"));
    ASSERT_OK(
        store
            ->AddSecretVersion("a",
                               [](int64_t v) {
                                 return absl::StatusOr<EncryptedSecretFields>(
                                     EncryptedSecretFields{"k", "w", "c"});
                               })
            .status());
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(2));
  EXPECT_THAT(store->ListTrustBundles(),
              IsOkAndHolds(ElementsAre(::testing::Field(
                  &TrustBundleRecord::jwks_json, "{\"keys\":[]}"))));
  EXPECT_THAT(
      store->GetSecretVersion("a", std::nullopt),
      IsOkAndHolds(::testing::Field(&SecretVersionRecord::fields,
                                    EncryptedSecretFields{"k", "w", "c"})));
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedWithTheVersions) {
  ASSERT_OK(Open(/*create=*/true).status());
  const int64_t newer = SqliteStore::SchemaVersion() + 1;
  RawDb(path_).Query(absl::StrCat("PRAGMA user_version = ", newer));
  EXPECT_THAT(
      Open(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(absl::StrCat("has schema version ", newer)),
                     HasSubstr(absl::StrCat("knows versions up to ",
                                            SqliteStore::SchemaVersion())),
                     HasSubstr("downgrades are not supported"))));
}

TEST_F(SqliteStoreTest, SqliteDatabaseOfAnotherApplicationIsRefused) {
  RawDb(path_).Query("CREATE TABLE notes (x TEXT)");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("not a secretd store")));
  RawDb(path_).Query("PRAGMA application_id = 42");
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("application_id 0x0000002a")));
}

TEST_F(SqliteStoreTest, FileThatIsNotSqliteIsRefused) {
  std::ofstream(path_) << std::string(4096, 'x');
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("is not a SQLite database")));
}

TEST_F(SqliteStoreTest, DirectoryInPlaceOfTheFileIsRefused) {
  ASSERT_EQ(::mkdir(path_.c_str(), 0700), 0);
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("is not a regular file")));
}

TEST_F(SqliteStoreTest, BadOptionsAreInvalidArgument) {
  SqliteStore::Options options;
  options.reader_connections = -1;
  EXPECT_THAT(SqliteStore::Open(path_, clock_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options = {};
  options.busy_timeout = absl::Seconds(-1);
  EXPECT_THAT(SqliteStore::Open(path_, clock_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SqliteStore::Open("", clock_, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A migration a later release might add: a new column and table.
constexpr sqlite_internal::Migration kTestMigrationV2 = {
    2, "test: role notes",
    "ALTER TABLE roles ADD COLUMN note TEXT NOT NULL DEFAULT 'none';"
    "CREATE TABLE extra (x INTEGER) STRICT;"};

std::vector<sqlite_internal::Migration> BuiltinPlus(
    sqlite_internal::Migration next) {
  auto builtin = sqlite_internal::BuiltinMigrations();
  std::vector<sqlite_internal::Migration> migrations(builtin.begin(),
                                                     builtin.end());
  next.version = migrations.back().version + 1;
  migrations.push_back(next);
  return migrations;
}

TEST_F(SqliteStoreTest, OlderSchemaIsMigratedAndKeepsItsData) {
  {
    ASSERT_OK_AND_ASSIGN(auto old_store, Open(/*create=*/true));
    ASSERT_OK(old_store->PutRole(
        {"web", {"trust", "{}"}, {{"p", "{}"}}, 600, 60, true, {}}));
  }
  const auto migrations = BuiltinPlus(kTestMigrationV2);
  const int64_t newest = migrations.back().version;
  {
    ASSERT_OK_AND_ASSIGN(auto new_store, OpenWith(migrations));
    ASSERT_OK_AND_ASSIGN(RoleRecord role, new_store->GetRole("web"));
    EXPECT_EQ(role.permission_policies.size(), 1u);
    EXPECT_TRUE(role.single_use_tokens);
    EXPECT_THAT(new_store->GetChangeCounter(), IsOkAndHolds(1));
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA user_version"), absl::StrCat(newest));
  EXPECT_EQ(raw.Query("SELECT name, note FROM roles"), "web|none");
  // Opening again is a no-op; the older binary now refuses the file.
  EXPECT_OK(OpenWith(migrations).status());
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("newer secretd")));
}

TEST_F(SqliteStoreTest, FailedMigrationLeavesTheOldSchemaAndData) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open(/*create=*/true));
    ASSERT_OK(store->PutTrustBundle("iss", "{}"));
  }
  const auto broken = BuiltinPlus(
      {0, "test: fails half way",
       "CREATE TABLE extra (x INTEGER); INSERT INTO missing VALUES (1);"});
  EXPECT_THAT(OpenWith(broken),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("migrating the store schema to version"),
                             HasSubstr("no such table: missing"))));
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Query("PRAGMA user_version"),
              absl::StrCat(SqliteStore::SchemaVersion()));
    EXPECT_EQ(raw.Query("SELECT count(*) FROM sqlite_schema "
                        "WHERE name = 'extra'"),
              "0");
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(store->ListTrustBundles(), IsOkAndHolds(::testing::SizeIs(1)));
}

TEST_F(SqliteStoreTest, WriteLockHeldPastTheBusyTimeoutIsUnavailable) {
  SqliteStore::Options options;
  options.create = true;
  options.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(path_, clock_, options));
  RawDb other(path_);
  other.Query("BEGIN IMMEDIATE");  // another process holds the write lock
  EXPECT_THAT(store->PutTrustBundle("iss", "{}"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(path_), HasSubstr("SQLITE_BUSY"),
                             HasSubstr("busy timeout"))));
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_THAT(store->GetChangeCounter(), IsOkAndHolds(0));
  other.Query("ROLLBACK");
  EXPECT_OK(store->PutTrustBundle("iss", "{}"));
}

TEST_F(SqliteStoreTest, CheckpointEmptiesTheWal) {
  ASSERT_OK_AND_ASSIGN(auto store, Open(/*create=*/true));
  ASSERT_OK(store->PutTrustBundle("iss", std::string(20000, 'j')));
  struct stat st;
  ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 0);
  ASSERT_OK(store->Checkpoint());
  ASSERT_EQ(::stat((path_ + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_THAT(store->ListTrustBundles(), IsOkAndHolds(::testing::SizeIs(1)));
}

// ---- Child processes ----

std::string HelperPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "secretd",
                      "/secretd/store/sqlite_store_test_helper");
}

// A running sqlite_store_test_helper with its stdout on a pipe.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<std::string> argv_strings = {HelperPath()};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc =
        ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << argv[0] << ": " << strerror(rc);
      pid_ = -1;
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    ::close(out_);
  }

  // The next line of output, or false at end of file.
  bool ReadLine(std::string* line) {
    while (true) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        *line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return true;
      }
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, n);
    }
  }
  // The number at the end of each remaining line, until end of file.
  std::vector<int64_t> ReadNumbers() {
    std::vector<int64_t> numbers;
    std::string line;
    while (ReadLine(&line)) numbers.push_back(NumberOf(line));
    return numbers;
  }
  static int64_t NumberOf(absl::string_view line) {
    int64_t n = -1;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos ||
        !absl::SimpleAtoi(line.substr(space + 1), &n)) {
      ADD_FAILURE() << "unexpected helper output: " << line;
    }
    return n;
  }
  void Kill() { ::kill(pid_, SIGKILL); }
  // Waits for the exit; returns the raw wait status.
  int Wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

bool KilledBySigkill(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

TEST_F(SqliteStoreTest,
       TwoProcessesAddingToOneSecretGetDistinctGaplessVersions) {
  ASSERT_OK(Open(/*create=*/true).status());
  constexpr int kPerProcess = 40;
  Child a({"add", "--db=" + path_, "--name=shared",
           absl::StrCat("--count=", kPerProcess)});
  Child b({"add", "--db=" + path_, "--name=shared",
           absl::StrCat("--count=", kPerProcess)});
  std::vector<int64_t> from_a = a.ReadNumbers();
  std::vector<int64_t> from_b = b.ReadNumbers();
  const int status_a = a.Wait(), status_b = b.Wait();
  ASSERT_TRUE(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0) << status_a;
  ASSERT_TRUE(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0) << status_b;
  EXPECT_EQ(from_a.size(), static_cast<size_t>(kPerProcess));
  EXPECT_EQ(from_b.size(), static_cast<size_t>(kPerProcess));
  std::vector<int64_t> all = from_a;
  all.insert(all.end(), from_b.begin(), from_b.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(2 * kPerProcess);
  for (int i = 0; i < 2 * kPerProcess; ++i) expected[i] = i + 1;
  EXPECT_EQ(all, expected);
  // Each process saw its own numbers increase.
  EXPECT_TRUE(std::is_sorted(from_a.begin(), from_a.end()));
  EXPECT_TRUE(std::is_sorted(from_b.begin(), from_b.end()));
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  ASSERT_OK_AND_ASSIGN(auto listed, store->ListSecrets("shared"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].latest_version, 2 * kPerProcess);
  EXPECT_EQ(listed[0].versions.size(), static_cast<size_t>(2 * kPerProcess));
}

// Reopens the store after a crash and checks it: SQLite's integrity and
// foreign-key checks, then the crash sequence's invariants (see
// testing/crash_sequence.h). Sets `*steps` to the number of committed steps.
void CheckCrashedStore(const std::string& path, const common::Clock& clock,
                       int64_t* steps) {
  {
    RawDb raw(path);  // also recovers the WAL
    ASSERT_EQ(raw.Query("PRAGMA integrity_check"), "ok");
    ASSERT_EQ(raw.Query("PRAGMA foreign_key_check"), "");
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open(path, clock, {}));
  ASSERT_OK_AND_ASSIGN(const int64_t s, store->GetChangeCounter());
  *steps = s;
  const int64_t versions = (s + 1) / 2, marker = s / 2;
  if (versions == 0) {
    EXPECT_THAT(store->ListSecrets(""), IsOkAndHolds(IsEmpty()));
  } else {
    ASSERT_OK_AND_ASSIGN(SecretVersionsSnapshot all,
                         store->ReadAllSecretVersions());
    ASSERT_EQ(all.versions.size(), static_cast<size_t>(versions))
        << "after " << s << " steps";
    for (int64_t v = 1; v <= versions; ++v) {
      const SecretVersionRecord& record = all.versions[v - 1];
      EXPECT_EQ(record.name, testing::kCrashSecret);
      EXPECT_EQ(record.version, v);
      EXPECT_TRUE(record.fields == testing::CrashFields(v)) << "version " << v;
    }
    ASSERT_OK_AND_ASSIGN(auto listed, store->ListSecrets(""));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].latest_version, versions);
  }
  if (marker == 0) {
    EXPECT_THAT(store->ListRoles(), IsOkAndHolds(IsEmpty()));
  } else {
    ASSERT_OK_AND_ASSIGN(RoleRecord role, store->GetRole(testing::kCrashRole));
    RoleRecord want = testing::CrashRole(marker);
    want.updated_at = role.updated_at;
    EXPECT_TRUE(role == want)
        << "role is torn or stale after " << s << " steps";
    EXPECT_THAT(store->ListRoles(), IsOkAndHolds(::testing::SizeIs(1)));
  }
}

// Runs the step writer until it kills itself before its `kill_at_write`-th
// write (or, with kill_at_write 0, until the test has seen `kill_after`
// commits and kills it), then checks that the store holds exactly the
// acknowledged steps or one more: the old state or the new, never a mix.
void RunAndKillWriter(const std::string& path, const common::Clock& clock,
                      int64_t kill_at_write, bool torn_wal, int kill_after,
                      int64_t* steps) {
  const int64_t before = *steps;
  std::vector<std::string> args = {"steps", "--db=" + path,
                                   "--checkpoint-every=3"};
  if (kill_at_write > 0) {
    args.push_back(absl::StrCat("--kill-at-write=", kill_at_write));
    if (torn_wal) args.push_back("--torn-wal");
  }
  Child child(args);
  int64_t acknowledged = before;
  std::string line;
  int seen = 0;
  while (child.ReadLine(&line)) {
    acknowledged = Child::NumberOf(line);
    if (kill_at_write == 0 && ++seen == kill_after) child.Kill();
  }
  const int status = child.Wait();
  ASSERT_TRUE(KilledBySigkill(status))
      << "writer did not die by SIGKILL (wait status " << status
      << "); kill_at_write " << kill_at_write;
  int64_t after = -1;
  ASSERT_NO_FATAL_FAILURE(CheckCrashedStore(path, clock, &after))
      << "kill_at_write " << kill_at_write << ", torn_wal " << torn_wal;
  EXPECT_TRUE(after == acknowledged || after == acknowledged + 1)
      << "steps acknowledged " << acknowledged << ", found " << after
      << " (kill_at_write " << kill_at_write << ")";
  *steps = after;
}

TEST_F(SqliteStoreTest, WriterKilledBeforeAnyOfItsWritesLeavesOldOrNewState) {
  int64_t steps = 0;
  // Each run opens the file (the first one creates and migrates it), then
  // writes steps and a checkpoint every third step; dying before write 1,
  // 2, 3, ... covers every boundary between two writes of every kind of
  // transaction at least once.
  for (int64_t write = 1; write <= 120; ++write) {
    ASSERT_NO_FATAL_FAILURE(RunAndKillWriter(path_, clock_, write,
                                             /*torn_wal=*/false,
                                             /*kill_after=*/0, &steps));
  }
  EXPECT_GT(steps, 10);
}

TEST_F(SqliteStoreTest, WriterKilledInsideATornWalWriteLeavesOldOrNewState) {
  int64_t steps = 0;
  for (int64_t write = 1; write <= 120; ++write) {
    ASSERT_NO_FATAL_FAILURE(RunAndKillWriter(path_, clock_, write,
                                             /*torn_wal=*/true,
                                             /*kill_after=*/0, &steps));
  }
  EXPECT_GT(steps, 10);
}

TEST_F(SqliteStoreTest, WriterKilledByAnotherProcessLeavesOldOrNewState) {
  int64_t steps = 0;
  for (int kill_after : {1, 2, 5, 9, 14, 20, 27, 35}) {
    ASSERT_NO_FATAL_FAILURE(RunAndKillWriter(path_, clock_,
                                             /*kill_at_write=*/0,
                                             /*torn_wal=*/false, kill_after,
                                             &steps));
  }
  EXPECT_GE(steps, 1 + 2 + 5 + 9 + 14 + 20 + 27 + 35);
}

}  // namespace
}  // namespace secretd
