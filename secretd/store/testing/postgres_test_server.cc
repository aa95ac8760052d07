#include "secretd/store/testing/postgres_test_server.h"

#include <fcntl.h>
#include <postgresql/libpq-fe.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/testing/subprocess.h"

namespace secretd::testing {
namespace {

std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string OneLine(absl::string_view s) {
  std::string out(absl::StripAsciiWhitespace(s));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

// tools/pg_server in the test's runfiles.
std::string PgServerPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "secretd",
                      "/tools/pg_server");
}

// The private server of TestPostgresUrl, deleted (stopped) at exit by the
// process that started it, not by a forked child that exits.
TestPostgresServer* private_server = nullptr;
pid_t private_server_owner = 0;

void StopPrivateServer() {
  if (::getpid() == private_server_owner) {
    delete private_server;
    private_server = nullptr;
  }
}

absl::StatusOr<std::string> StartPrivateServer() {
  absl::StatusOr<std::unique_ptr<TestPostgresServer>> server =
      TestPostgresServer::Start();
  if (!server.ok()) {
    return absl::Status(
        server.status().code(),
        absl::StrCat("SECRETD_TEST_POSTGRES_URL is not set and this test "
                     "could not start a PostgreSQL server of its own: ",
                     server.status().message()));
  }
  private_server = server->release();
  private_server_owner = ::getpid();
  std::atexit(StopPrivateServer);
  std::fprintf(stderr,
               "SECRETD_TEST_POSTGRES_URL is not set: started a private "
               "PostgreSQL server in %s for this test (stopped when it "
               "exits)\n",
               private_server->dir().c_str());
  return private_server->url();
}

}  // namespace

absl::StatusOr<std::string> TestPostgresUrl() {
  const char* url = std::getenv("SECRETD_TEST_POSTGRES_URL");
  if (url != nullptr && *url != '\0') return std::string(url);
  static const absl::StatusOr<std::string>* const private_url =
      new absl::StatusOr<std::string>(StartPrivateServer());
  return *private_url;
}

absl::StatusOr<std::string> RewriteUrl(
    absl::string_view url,
    const std::vector<std::pair<std::string, std::string>>& settings) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? OneLine(error) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(
        absl::StrCat("bad test server URL: ", message));
  }
  std::vector<std::pair<std::string, std::string>> values;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) values.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  for (const auto& [keyword, value] : settings) {
    bool found = false;
    for (auto& entry : values) {
      if (entry.first == keyword) {
        entry.second = value;
        found = true;
      }
    }
    if (!found) values.emplace_back(keyword, value);
  }
  std::string user, password, host, port, dbname, query;
  for (const auto& [keyword, value] : values) {
    if (keyword == "user") {
      user = value;
    } else if (keyword == "password") {
      password = value;
    } else if (keyword == "host") {
      host = value;
    } else if (keyword == "port") {
      port = value;
    } else if (keyword == "dbname") {
      dbname = value;
    } else {
      absl::StrAppend(&query, query.empty() ? "?" : "&", keyword, "=",
                      PercentEncode(value));
    }
  }
  std::string out = "postgresql://";
  if (!user.empty()) {
    absl::StrAppend(&out, PercentEncode(user));
    if (!password.empty()) absl::StrAppend(&out, ":", PercentEncode(password));
    out += "@";
  }
  absl::StrAppend(&out, PercentEncode(host));
  if (!port.empty()) absl::StrAppend(&out, ":", port);
  absl::StrAppend(&out, "/", PercentEncode(dbname), query);
  return out;
}

absl::StatusOr<std::string> QueryPostgres(absl::string_view url,
                                          absl::string_view sql) {
  PGconn* conn = PQconnectdb(std::string(url).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the test server: ", message));
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // DROP ... CASCADE chatter
  PGresult* res = PQexec(conn, std::string(sql).c_str());
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = OneLine(PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(conn);
    return absl::InternalError(absl::StrCat(sql, ": ", message));
  }
  std::string out;
  for (int row = 0; row < PQntuples(res); ++row) {
    if (row > 0) out += ";";
    for (int col = 0; col < PQnfields(res); ++col) {
      if (col > 0) out += "|";
      out += PQgetisnull(res, row, col) ? "NULL" : PQgetvalue(res, row, col);
    }
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

// ---- TestSchema ----

absl::StatusOr<std::unique_ptr<TestSchema>> TestSchema::Create() {
  absl::StatusOr<std::string> server = TestPostgresUrl();
  if (!server.ok()) return server.status();
  return CreateOn(*server);
}

absl::StatusOr<std::unique_ptr<TestSchema>> TestSchema::CreateOn(
    absl::string_view server_url) {
  absl::BitGen gen;
  const std::string name =
      absl::StrFormat("secretd_t_%016x", absl::Uniform<uint64_t>(gen));
  absl::StatusOr<std::string> url =
      RewriteUrl(server_url, {{"options", absl::StrCat("-csearch_path=", name)},
                              {"application_name", name}});
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> created =
      QueryPostgres(server_url, absl::StrCat("CREATE SCHEMA ", name));
  if (!created.ok()) return created.status();
  return std::unique_ptr<TestSchema>(
      new TestSchema(std::string(server_url), name, *std::move(url)));
}

TestSchema::~TestSchema() {
  QueryPostgres(server_url_,
                absl::StrCat("DROP SCHEMA IF EXISTS ", name_, " CASCADE"))
      .IgnoreError();
}

absl::StatusOr<std::string> TestSchema::Query(absl::string_view sql) const {
  return QueryPostgres(url_, sql);
}

// ---- TestPostgresServer ----

absl::StatusOr<std::unique_ptr<TestPostgresServer>>
TestPostgresServer::Start() {
  std::string dir = "/tmp/secretd-pg-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr || ::chmod(dir.c_str(), 0755) != 0) {
    return absl::UnavailableError("cannot make a directory under /tmp");
  }
  std::unique_ptr<TestPostgresServer> server(new TestPostgresServer(dir));
  if (absl::Status s = server->StartWatchdog(); !s.ok()) return s;
  std::string out;
  absl::Status status = server->RunPgServer("start", &out);
  if (!status.ok()) return status;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, "SECRETD_TEST_POSTGRES_URL=")) {
      server->url_ = std::string(line);
    }
  }
  if (server->url_.empty()) {
    return absl::InternalError(
        absl::StrCat("tools/pg_server start printed no URL: ", out));
  }
  return server;
}

TestPostgresServer::~TestPostgresServer() {
  std::string out;
  RunPgServer("stop", &out).IgnoreError();
  common::testing::RunProcess({"/bin/rm", "-rf", dir_});
  if (watchdog_fd_ >= 0) {
    ::close(watchdog_fd_);  // the watchdog finds nothing left to do
    int wstatus;
    while (::waitpid(watchdog_pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
  }
}

absl::Status TestPostgresServer::Stop() {
  std::string out;
  return RunPgServer("stop", &out);
}

absl::Status TestPostgresServer::StartAgain() {
  std::string out;
  return RunPgServer("start", &out);
}

absl::Status TestPostgresServer::StartWatchdog() {
  // A shell reading a pipe whose only writer is this process: when the
  // process goes, however it goes, the read ends and the shell stops the
  // server and removes its directory. A session of its own keeps it out of
  // the process group that Bazel kills on a timeout; /dev/null for output
  // keeps it from holding the test's log open.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(
        absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::vector<std::string> args = {
      "/bin/sh", "-c", "read -r _; \"$0\" stop \"$1\"; rm -rf \"$1\"",
      PgServerPath(), dir_};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  const int rc =
      ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return absl::UnavailableError(
        absl::StrCat("cannot start the watchdog /bin/sh: ", std::strerror(rc)));
  }
  watchdog_fd_ = fds[1];
  watchdog_pid_ = pid;
  return absl::OkStatus();
}

absl::Status TestPostgresServer::RunPgServer(absl::string_view command,
                                             std::string* out) {
  common::testing::ProcessResult result =
      common::testing::RunProcess({PgServerPath(), std::string(command), dir_});
  *out = result.out;
  if (result.exit_code == 3) {  // not installed; the message names tools/setup
    return absl::FailedPreconditionError(OneLine(result.err));
  }
  if (result.exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "tools/pg_server ", command, " ", dir_, " failed (exit ",
        result.exit_code, "): ", OneLine(result.err),
        "; as root, a test that starts PostgreSQL must run outside Bazel's "
        "sandbox (tags = [\"no-sandbox\"])"));
  }
  return absl::OkStatus();
}

}  // namespace secretd::testing
