#include "secretd/store/internal/postgres.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace secretd::postgres_internal {
namespace {

// Type OIDs of the built-in types we use (catalog/pg_type_d.h, stable).
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kBoolOid = 16;

Oid TypeOid(char type) {
  switch (static_cast<Type>(type)) {
    case Type::kBytes:
      return kByteaOid;
    case Type::kInt64:
      return kInt8Oid;
    case Type::kBool:
      return kBoolOid;
  }
  return 0;
}

// Oldest server this code is tested against (docs/store.md).
constexpr int kMinServerVersion = 130000;

// Settings this layer adds when the URL does not set them. Keepalives let
// the kernel notice a server that vanished without closing the connection
// (a pooled connection idle for hours would otherwise look alive).
constexpr std::pair<const char*, const char*> kDefaults[] = {
    {"application_name", "secretd"}, {"keepalives", "1"},
    {"keepalives_idle", "10"},       {"keepalives_interval", "5"},
    {"keepalives_count", "3"},
};

int64_t Millis(absl::Duration d) {
  return std::max<int64_t>(
      1, absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

// libpq's messages end with a newline and may span lines.
std::string OneLine(absl::string_view message) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.push_back(line);
  }
  return absl::StrJoin(lines, "; ");
}

// Percent-decodes `s` as libpq does for URLs; the input unchanged if it is
// not valid percent-encoding.
std::string PercentDecode(absl::string_view s) {
  auto hex = [](char c) {
    return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void AddSecret(std::vector<std::string>* secrets, absl::string_view secret) {
  if (secret.empty()) return;
  for (const std::string& s : {std::string(secret), PercentDecode(secret)}) {
    if (std::find(secrets->begin(), secrets->end(), s) == secrets->end()) {
      secrets->push_back(s);
    }
  }
}

// Everything in `url` that may be a password, found without libpq (which
// may have rejected the URL): the userinfo after "user:" in a URL, and the
// value of every "password=" setting in a query string or key=value form.
std::vector<std::string> PasswordCandidates(absl::string_view url) {
  std::vector<std::string> secrets;
  const size_t scheme = url.find("://");
  if (scheme != absl::string_view::npos) {
    absl::string_view rest = url.substr(scheme + 3);
    // libpq reads userinfo up to the first '@' before any '/'.
    const size_t end = rest.find_first_of("@/");
    if (end != absl::string_view::npos && rest[end] == '@') {
      absl::string_view userinfo = rest.substr(0, end);
      const size_t colon = userinfo.find(':');
      if (colon != absl::string_view::npos) {
        AddSecret(&secrets, userinfo.substr(colon + 1));
      }
    }
  }
  size_t pos = 0;
  while ((pos = url.find("password", pos)) != absl::string_view::npos) {
    pos += 8;
    size_t i = pos;
    while (i < url.size() && url[i] == ' ') ++i;
    if (i >= url.size() || url[i] != '=') continue;
    ++i;
    while (i < url.size() && url[i] == ' ') ++i;
    size_t end = i;
    if (i < url.size() && url[i] == '\'') {
      end = url.find('\'', i + 1);
      if (end == absl::string_view::npos) end = url.size();
      AddSecret(&secrets, url.substr(i + 1, end - i - 1));
      continue;
    }
    while (end < url.size() && url[end] != '&' && url[end] != ' ') ++end;
    AddSecret(&secrets, url.substr(i, end - i));
  }
  return secrets;
}

void SortSecrets(std::vector<std::string>* secrets) {
  std::sort(secrets->begin(), secrets->end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
}

void IgnoreNotice(void*, const char*) {}

bool IsConnectionSqlstate(absl::string_view state) {
  return absl::StartsWith(state, "08") || state == "57P01" ||
         state == "57P02" || state == "57P03" || state == "25006";
}

struct ResultsGuard {
  std::vector<PGresult*> results;
  ~ResultsGuard() {
    for (PGresult* r : results) PQclear(r);
  }
};

}  // namespace

SteadyTime SteadyDeadline(absl::Duration d) {
  return std::chrono::steady_clock::now() +
         std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

std::string Scrub(absl::string_view message,
                  const std::vector<std::string>& secrets) {
  std::string out(message);
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    absl::StrReplaceAll({{secret, "[redacted]"}}, &out);
  }
  return out;
}

absl::StatusOr<ConnectionConfig> ParseConnectionUrl(absl::string_view url) {
  ConnectionConfig config;
  config.secrets = PasswordCandidates(url);
  SortSecrets(&config.secrets);
  if (url.empty()) {
    return absl::InvalidArgumentError(
        "store URL is empty; pass postgresql://user@host:port/dbname");
  }
  const std::string url_string(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url_string.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? OneLine(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return absl::InvalidArgumentError(
        absl::StrCat("invalid store URL: ", Scrub(message, config.secrets),
                     "; the form is postgresql://user@host:port/dbname"
                     "?param=value (see docs/store.md)"));
  }
  std::string host, port, user, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const absl::string_view keyword = o->keyword;
    if (keyword == "password") AddSecret(&config.secrets, o->val);
    if (keyword == "host") host = o->val;
    if (keyword == "hostaddr" && host.empty()) host = o->val;
    if (keyword == "port") port = o->val;
    if (keyword == "user") user = o->val;
    if (keyword == "dbname") dbname = o->val;
    config.keywords.push_back(o->keyword);
    config.values.push_back(o->val);
  }
  PQconninfoFree(options);
  SortSecrets(&config.secrets);
  for (const auto& [keyword, value] : kDefaults) {
    if (std::find(config.keywords.begin(), config.keywords.end(), keyword) ==
        config.keywords.end()) {
      config.keywords.push_back(keyword);
      config.values.push_back(value);
    }
  }
  config.label =
      Scrub(absl::StrCat("postgresql://", user, user.empty() ? "" : "@",
                         host.empty() ? "localhost" : host,
                         port.empty() ? "" : ":", port, "/", dbname),
            config.secrets);
  return config;
}

// ---- Params ----

Params& Params::Bytes(absl::string_view value) {
  Slot slot;
  // A non-null pointer even for empty bytes: null means SQL NULL.
  slot.data = value.empty() ? "" : value.data();
  slot.length = static_cast<int>(value.size());
  slots_.push_back(slot);
  return *this;
}

Params& Params::Int64(int64_t value) {
  Slot slot;
  slot.inline_value = true;
  slot.length = 8;
  const uint64_t v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    slot.bytes[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  }
  slots_.push_back(slot);
  return *this;
}

Params& Params::Bool(bool value) {
  Slot slot;
  slot.inline_value = true;
  slot.length = 1;
  slot.bytes[0] = value ? 1 : 0;
  slots_.push_back(slot);
  return *this;
}

Params& Params::Null() {
  slots_.push_back(Slot());
  return *this;
}

Params& Params::Time(absl::Time value) {
  return Int64(absl::ToUnixMicros(value));
}

// ---- Result ----

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  if (res_ != nullptr) PQclear(res_);
}

int64_t Result::affected() const {
  if (res_ == nullptr) return 0;
  const char* tuples = PQcmdTuples(res_);
  if (tuples == nullptr || *tuples == '\0') return 0;
  return std::strtoll(tuples, nullptr, 10);
}

bool Result::IsNull(int row, int col) const {
  return PQgetisnull(res_, row, col) != 0;
}

std::string Result::Bytes(int row, int col) const {
  if (IsNull(row, col)) return "";
  return std::string(PQgetvalue(res_, row, col),
                     static_cast<size_t>(PQgetlength(res_, row, col)));
}

int64_t Result::Int64(int row, int col) const {
  if (IsNull(row, col) || PQgetlength(res_, row, col) != 8) return 0;
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

bool Result::Bool(int row, int col) const {
  if (IsNull(row, col) || PQgetlength(res_, row, col) != 1) return false;
  return PQgetvalue(res_, row, col)[0] != 0;
}

absl::Time Result::Time(int row, int col) const {
  return absl::FromUnixMicros(Int64(row, col));
}

// ---- Errors ----

absl::Status ErrorStatus(const PGresult* res, PGconn* conn,
                         absl::string_view label, absl::string_view what,
                         const std::vector<std::string>& secrets,
                         FailureKind* kind) {
  const char* state_field =
      res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const absl::string_view state =
      state_field != nullptr ? state_field : absl::string_view();
  const char* primary_field =
      res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                     : nullptr;
  std::string primary;
  if (primary_field != nullptr) {
    primary = OneLine(primary_field);
  } else if (res != nullptr && *PQresultErrorMessage(res) != '\0') {
    primary = OneLine(PQresultErrorMessage(res));
  } else if (conn != nullptr) {
    primary = OneLine(PQerrorMessage(conn));
  }
  if (primary.empty()) primary = "unknown error";
  const std::string where = absl::StrCat("store ", label, ": ", what, ": ");
  const std::string detail =
      state.empty()
          ? Scrub(primary, secrets)
          : absl::StrCat(Scrub(primary, secrets), " (SQLSTATE ", state, ")");
  // No SQLSTATE: libpq's own error (the connection broke, or the answer
  // could not be read). Its state is unknown, so it is thrown away.
  if (state.empty() || (conn != nullptr && PQstatus(conn) == CONNECTION_BAD) ||
      IsConnectionSqlstate(state)) {
    *kind = FailureKind::kConnection;
    return absl::UnavailableError(
        absl::StrCat(where, "lost the connection to the database: ", detail,
                     "; retry (the store reconnects)"));
  }
  *kind = FailureKind::kStatement;
  if (state == "40001" || state == "40P01") {
    *kind = FailureKind::kRetryable;
    return absl::AbortedError(absl::StrCat(
        where, detail, "; a concurrent transaction conflicted, retry"));
  }
  if (absl::StartsWith(state, "53") || absl::StartsWith(state, "58") ||
      state == "57014" || state == "55P03") {
    return absl::UnavailableError(
        absl::StrCat(where, detail,
                     "; the database is overloaded, out of resources or "
                     "locked; retry"));
  }
  if (state == "XX001" || state == "XX002") {
    return absl::DataLossError(absl::StrCat(
        where, detail, "; the database reports corruption: restore a backup"));
  }
  if (absl::StartsWith(state, "42") || absl::StartsWith(state, "3D") ||
      absl::StartsWith(state, "3F") || absl::StartsWith(state, "28")) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, detail,
        "; check the database, its schema and the privileges of the "
        "store's user (docs/store.md)"));
  }
  return absl::InternalError(absl::StrCat(where, detail));
}

// ---- Connection ----

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    std::shared_ptr<const ConnectionConfig> config) {
  std::vector<const char*> keywords, values;
  for (size_t i = 0; i < config->keywords.size(); ++i) {
    keywords.push_back(config->keywords[i].c_str());
    values.push_back(config->values[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* pg = PQconnectStartParams(keywords.data(), values.data(),
                                    /*expand_dbname=*/0);
  if (pg == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "store ", config->label, ": out of memory allocating a connection"));
  }
  PQsetNoticeProcessor(pg, IgnoreNotice, nullptr);
  std::unique_ptr<Connection> conn(new Connection(pg, config));
  const SteadyTime deadline = SteadyDeadline(config->connect_timeout);
  auto fail = [&](absl::string_view why) {
    conn->broken_ = true;
    return absl::UnavailableError(absl::StrCat(
        "store ", config->label,
        ": cannot reach the database: ", Scrub(why, config->secrets),
        "; check that the server is up and the URL is right"));
  };
  if (PQstatus(pg) == CONNECTION_BAD) return fail(OneLine(PQerrorMessage(pg)));
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return fail(OneLine(PQerrorMessage(pg)));
    }
    const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    absl::StatusOr<bool> ready = conn->WaitSocket(events, deadline);
    if (!ready.ok()) return fail(ready.status().message());
    if (!*ready) {
      return fail(absl::StrCat("no answer within ",
                               absl::FormatDuration(config->connect_timeout),
                               " (connect timeout)"));
    }
    state = PQconnectPoll(pg);
  }
  if (PQsetnonblocking(pg, 1) != 0) {
    return fail(OneLine(PQerrorMessage(pg)));
  }
  if (PQserverVersion(pg) < kMinServerVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", config->label, ": the server runs PostgreSQL ",
                     PQserverVersion(pg) / 10000, "; secretd needs PostgreSQL ",
                     kMinServerVersion / 10000, " or newer"));
  }
  const int64_t statement_ms = Millis(config->statement_timeout);
  // A session left idle inside a transaction (a stuck caller) would hold
  // the change counter's lock: the server ends it.
  const int64_t idle_ms =
      Millis(config->statement_timeout + config->answer_timeout);
  RETURN_IF_ERROR(conn->Exec(absl::StrCat(
      "SET statement_timeout = ", statement_ms, "; SET lock_timeout = ",
      statement_ms, "; SET idle_in_transaction_session_timeout = ", idle_ms)));
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::InTransaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR ||
         status == PQTRANS_ACTIVE;
}

absl::StatusOr<bool> Connection::WaitSocket(short events, SteadyTime deadline,
                                            int wake_fd, bool* woken) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return absl::UnavailableError("the connection has no socket");
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const int64_t ms =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = ::poll(fds, wake_fd >= 0 ? 2 : 1,
                         static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("poll failed: ", std::strerror(errno)));
    }
    if (n == 0) continue;  // re-check the deadline
    if (wake_fd >= 0 && fds[1].revents != 0 && woken != nullptr) {
      *woken = true;
      return true;
    }
    if (fds[0].revents != 0) return true;
  }
}

absl::Status Connection::Lost(absl::string_view what) {
  broken_ = true;
  last_failure_ = FailureKind::kConnection;
  FailureKind kind;
  return ErrorStatus(nullptr, conn_, config_->label, what, config_->secrets,
                     &kind);
}

absl::Status Connection::Fail(const PGresult* res, absl::string_view what) {
  absl::Status status = ErrorStatus(res, conn_, config_->label, what,
                                    config_->secrets, &last_failure_);
  if (last_failure_ == FailureKind::kConnection) broken_ = true;
  return status;
}

absl::Status Connection::FlushAndWait(SteadyTime deadline,
                                      std::vector<PGresult*>* results) {
  auto timed_out = [&] {
    // The answer may still come, or never: either way the connection's
    // state is unknown, so it goes.
    broken_ = true;
    last_failure_ = FailureKind::kTimedOut;
    return absl::UnavailableError(absl::StrCat(
        "store ", config_->label, ": no answer from the database within ",
        absl::FormatDuration(config_->answer_timeout), "; retry"));
  };
  while (true) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) return Lost("sending to the database");
    if (flushed == 0) break;
    ASSIGN_OR_RETURN(bool ready, WaitSocket(POLLIN | POLLOUT, deadline));
    if (!ready) return timed_out();
    if (PQconsumeInput(conn_) == 0) return Lost("reading from the database");
  }
  while (true) {
    while (PQisBusy(conn_)) {
      ASSIGN_OR_RETURN(bool ready, WaitSocket(POLLIN, deadline));
      if (!ready) return timed_out();
      if (PQconsumeInput(conn_) == 0) {
        // libpq may still hold a final error result: collect it below.
        if (PQisBusy(conn_)) return Lost("reading from the database");
      }
    }
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) return absl::OkStatus();
    results->push_back(res);
  }
}

absl::Status Connection::CheckColumns(const PGresult* res,
                                      absl::string_view columns,
                                      absl::string_view what) {
  if (PQresultStatus(res) != PGRES_TUPLES_OK) return absl::OkStatus();
  bool ok = PQnfields(res) == static_cast<int>(columns.size());
  for (int i = 0; ok && i < PQnfields(res); ++i) {
    ok = PQftype(res, i) == TypeOid(columns[i]) && PQfformat(res, i) == 1;
  }
  if (!ok) {
    last_failure_ = FailureKind::kStatement;
    return absl::InternalError(
        absl::StrCat("store ", config_->label, ": ", what,
                     ": the database returned unexpected column types"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::SendAndCollect(absl::string_view what,
                                                  absl::string_view columns) {
  ResultsGuard guard;
  RETURN_IF_ERROR(
      FlushAndWait(SteadyDeadline(config_->answer_timeout), &guard.results));
  if (guard.results.empty()) return Lost(what);
  for (PGresult* res : guard.results) {
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return Fail(res, what);
    }
  }
  if (guard.results.size() != 1) {
    last_failure_ = FailureKind::kStatement;
    return absl::InternalError(absl::StrCat("store ", config_->label, ": ",
                                            what, ": expected one result, got ",
                                            guard.results.size()));
  }
  RETURN_IF_ERROR(CheckColumns(guard.results[0], columns, what));
  Result result(guard.results[0]);
  guard.results.clear();
  last_failure_ = FailureKind::kNone;
  return result;
}

absl::StatusOr<Result> Connection::Execute(const StatementDef& def,
                                           const Params& params) {
  last_failure_ = FailureKind::kNone;
  if (broken_) return Lost("using a broken connection");
  const std::string name = absl::StrCat("s", def.id);
  const uint64_t bit = uint64_t{1} << def.id;
  const int nparams = static_cast<int>(std::strlen(def.params));
  if (params.size() != nparams) {
    return absl::InternalError(absl::StrCat("statement ", def.id, " takes ",
                                            nparams, " parameters, got ",
                                            params.size()));
  }
  if ((prepared_ & bit) == 0) {
    std::vector<Oid> types;
    for (int i = 0; i < nparams; ++i) types.push_back(TypeOid(def.params[i]));
    if (PQsendPrepare(conn_, name.c_str(), def.sql, nparams, types.data()) ==
        0) {
      return Lost("preparing a statement");
    }
    ResultsGuard guard;
    RETURN_IF_ERROR(
        FlushAndWait(SteadyDeadline(config_->answer_timeout), &guard.results));
    if (guard.results.empty()) return Lost("preparing a statement");
    for (PGresult* res : guard.results) {
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        return Fail(res, "preparing a statement");
      }
    }
    prepared_ |= bit;
  }
  std::vector<const char*> values(nparams);
  std::vector<int> lengths(nparams);
  std::vector<int> formats(nparams, 1);
  for (int i = 0; i < nparams; ++i) {
    const Params::Slot& slot = params.slots_[i];
    values[i] = slot.inline_value ? slot.bytes : slot.data;
    lengths[i] = slot.length;
  }
  if (PQsendQueryPrepared(conn_, name.c_str(), nparams, values.data(),
                          lengths.data(), formats.data(),
                          /*resultFormat=*/1) == 0) {
    return Lost("sending a statement");
  }
  return SendAndCollect("running a statement", def.columns);
}

absl::StatusOr<Result> Connection::ExecuteOnce(absl::string_view sql,
                                               absl::string_view param_types,
                                               absl::string_view columns,
                                               const Params& params) {
  last_failure_ = FailureKind::kNone;
  if (broken_) return Lost("using a broken connection");
  const int nparams = static_cast<int>(param_types.size());
  if (params.size() != nparams) {
    return absl::InternalError("parameter count mismatch");
  }
  std::vector<Oid> types;
  std::vector<const char*> values(nparams);
  std::vector<int> lengths(nparams);
  std::vector<int> formats(nparams, 1);
  for (int i = 0; i < nparams; ++i) {
    types.push_back(TypeOid(param_types[i]));
    const Params::Slot& slot = params.slots_[i];
    values[i] = slot.inline_value ? slot.bytes : slot.data;
    lengths[i] = slot.length;
  }
  const std::string sql_string(sql);
  if (PQsendQueryParams(conn_, sql_string.c_str(), nparams, types.data(),
                        values.data(), lengths.data(), formats.data(),
                        /*resultFormat=*/1) == 0) {
    return Lost("sending a statement");
  }
  return SendAndCollect("running a statement", columns);
}

absl::Status Connection::Exec(absl::string_view sql) {
  last_failure_ = FailureKind::kNone;
  if (broken_) return Lost("using a broken connection");
  const std::string sql_string(sql);
  if (PQsendQuery(conn_, sql_string.c_str()) == 0) {
    return Lost("sending a statement");
  }
  ResultsGuard guard;
  RETURN_IF_ERROR(
      FlushAndWait(SteadyDeadline(config_->answer_timeout), &guard.results));
  if (guard.results.empty()) return Lost("running a statement");
  for (PGresult* res : guard.results) {
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return Fail(res, "running a statement");
    }
  }
  return absl::OkStatus();
}

bool Connection::CheckIdle() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  const int fd = PQsocket(conn_);
  if (fd < 0) {
    broken_ = true;
    return false;
  }
  pollfd pfd = {fd, POLLIN, 0};
  if (::poll(&pfd, 1, 0) > 0) {
    // An idle connection gets data only when the server is about to close
    // it (an error such as 57P01, then EOF) or sends a notice.
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK ||
        (pfd.revents & (POLLHUP | POLLERR)) != 0) {
      broken_ = true;
      return false;
    }
  }
  return true;
}

absl::StatusOr<int> Connection::WaitForNotifications(SteadyTime deadline,
                                                     int wake_fd) {
  last_failure_ = FailureKind::kNone;
  if (broken_) return Lost("using a broken connection");
  while (true) {
    if (PQconsumeInput(conn_) == 0) return Lost("waiting for notifications");
    int count = 0;
    while (PGnotify* notify = PQnotifies(conn_)) {
      ++count;
      PQfreemem(notify);
    }
    if (count > 0) return count;
    bool woken = false;
    ASSIGN_OR_RETURN(bool ready, WaitSocket(POLLIN, deadline, wake_fd, &woken));
    if (!ready || woken) return 0;
  }
}

}  // namespace secretd::postgres_internal
