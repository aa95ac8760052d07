#include "secretd/store/testing/postgres_test_server.h"

#include <postgresql/libpq-fe.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
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

}  // namespace

absl::StatusOr<std::string> TestPostgresUrl() {
  const char* url = std::getenv("SECRETD_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    return absl::FailedPreconditionError(
        "SECRETD_TEST_POSTGRES_URL is not set, so there is no PostgreSQL "
        "server to test against: run the tests with tools/test, or start one "
        "with eval \"$(tools/pg_server start /tmp/pg-dev)\" && export "
        "SECRETD_TEST_POSTGRES_URL (.bazelrc passes it to tests)");
  }
  return std::string(url);
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
}

absl::Status TestPostgresServer::Stop() {
  std::string out;
  return RunPgServer("stop", &out);
}

absl::Status TestPostgresServer::StartAgain() {
  std::string out;
  return RunPgServer("start", &out);
}

absl::Status TestPostgresServer::RunPgServer(absl::string_view command,
                                             std::string* out) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string script = absl::StrCat(
      srcdir != nullptr ? srcdir : ".", "/",
      workspace != nullptr ? workspace : "secretd", "/tools/pg_server");
  common::testing::ProcessResult result =
      common::testing::RunProcess({script, std::string(command), dir_});
  *out = result.out;
  if (result.exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "tools/pg_server ", command, " ", dir_, " failed (exit ",
        result.exit_code, "): ", OneLine(result.err),
        "; is PostgreSQL installed (tools/setup)? As root the test must run "
        "outside Bazel's sandbox (tags = [\"no-sandbox\"])"));
  }
  return absl::OkStatus();
}

}  // namespace secretd::testing
