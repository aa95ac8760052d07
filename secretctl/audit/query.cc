#include "secretctl/audit/query.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <streambuf>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/terminal_text.h"
#include "nlohmann/json.hpp"
#include "secretctl/audit/table.h"

namespace secretctl {
namespace {

constexpr size_t kMaxWarnings = 10;

bool Glob(const std::optional<std::string>& pattern, absl::string_view text) {
  return !pattern.has_value() || GlobMatch(*pattern, text);
}

std::string RefText(const SecretRef& r) {
  return r.version.has_value() ? absl::StrCat(r.name, "@", *r.version) : r.name;
}

std::string NamesText(const std::vector<SecretRef>& refs) {
  std::vector<std::string> names;
  for (const auto& r : refs) names.push_back(RefText(r));
  return absl::StrJoin(names, ", ");
}

// The filter without its decision and secret parts: used by the release
// view, which applies those itself.
QueryFilter WithoutDecisionAndSecret(QueryFilter f) {
  f.decision.reset();
  f.secret.reset();
  return f;
}

bool AnySecretMatches(const std::string& pattern, const Event& e) {
  for (const auto& r : e.requested) {
    if (GlobMatch(pattern, r.name)) return true;
  }
  for (const auto& r : e.released) {
    if (GlobMatch(pattern, r.name)) return true;
  }
  for (const auto& n : e.denied) {
    if (GlobMatch(pattern, n)) return true;
  }
  return false;
}

std::vector<Cell> RecordRow(const Event& e) {
  std::string what, subject, reason, details;
  Color color = Color::kNone;
  switch (e.kind()) {
    case EventKind::kProvision:
      what = e.decision;
      color = e.decision == "allow" ? Color::kGreen : Color::kRed;
      subject = e.subject;
      reason = e.reason;
      if (e.decision == "allow") {
        details = NamesText(e.released);
      } else if (!e.denied.empty()) {
        details = absl::StrCat("denied: ", absl::StrJoin(e.denied, ", "));
      } else {
        details = absl::StrCat("requested: ", NamesText(e.requested));
      }
      break;
    case EventKind::kAdmin:
      what = e.type.substr(6);  // without "admin."
      color = e.status == "OK" ? Color::kYellow : Color::kRed;
      subject = e.peer_uid.has_value() ? absl::StrCat("uid ", *e.peer_uid) : "";
      reason = e.status;
      if (!e.secret.empty()) {
        details = e.version.has_value()
                      ? absl::StrCat(e.secret, "@", *e.version)
                      : e.secret;
      } else if (!e.issuer.empty()) {
        details = e.issuer;
      } else {
        details = e.message;
      }
      break;
    default:
      what = e.type;
      break;
  }
  auto dash = [](std::string s) { return s.empty() ? std::string("-") : s; };
  return {Cell(e.time_text),        Cell(e.replica),    Cell(what, color),
          Cell(dash(subject)),      Cell(dash(e.role)), Cell(dash(reason)),
          Cell(dash(e.request_id)), Cell(details)};
}

// Prints the summary of the release view.
class ReleaseSummary {
 public:
  void AddRelease(const Event& e, const SecretRef& r) {
    ++releases_;
    subjects_.insert(e.subject);
    requests_.insert(e.request_id);
    versions_[r.name][r.version.value_or(-1)]++;
    if (first_.empty()) first_ = e.time_text;
    last_ = e.time_text;
  }
  void AddDenied() { ++denied_; }

  void Print(std::ostream& out, const std::string& hint) const {
    out << "\n";
    if (releases_ == 0) {
      out << "no releases match";
    } else {
      out << Plural(releases_, "release", "releases") << " of "
          << Plural(versions_.size(), "secret", "secrets") << " to "
          << Plural(subjects_.size(), "instance", "instances") << " in "
          << Plural(requests_.size(), "request", "requests") << ", " << first_
          << " to " << last_;
    }
    out << "\n";
    for (const auto& [name, versions] : versions_) {
      std::vector<std::string> parts;
      for (const auto& [v, n] : versions) {
        parts.push_back(absl::StrCat(v < 0 ? "?" : absl::StrCat(v), " (", n,
                                     n == 1 ? " release)" : " releases)"));
      }
      out << "  " << common::TerminalSafe(name) << ": version"
          << (versions.size() == 1 ? " " : "s ") << absl::StrJoin(parts, ", ")
          << "\n";
    }
    if (denied_ > 0) {
      out << Plural(denied_, "matching request was", "matching requests were")
          << " denied";
      if (!hint.empty()) {
        out << "; list " << (denied_ == 1 ? "it" : "them")
            << " with: " << common::TerminalSafe(hint);
      }
      out << "\n";
    }
  }

 private:
  static std::string Plural(uint64_t n, absl::string_view one,
                            absl::string_view many) {
    return absl::StrCat(n, " ", n == 1 ? one : many);
  }
  uint64_t releases_ = 0;
  uint64_t denied_ = 0;
  std::set<std::string> subjects_;
  std::set<std::string> requests_;
  std::map<std::string, std::map<int64_t, uint64_t>> versions_;
  std::string first_, last_;
};

}  // namespace

bool GlobMatch(absl::string_view p, absl::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star = absl::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (star != absl::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool QueryFilter::MatchesHead(const EventHead& head) const {
  if (head.type == "checkpoint") return false;
  if (since && head.time < *since) return false;
  if (until && head.time >= *until) return false;
  return Glob(type, head.type);
}

bool QueryFilter::Matches(const Event& e) const {
  if (e.kind() == EventKind::kCheckpoint) return false;
  if (since && e.time < *since) return false;
  if (until && e.time >= *until) return false;
  if (!Glob(type, e.type)) return false;
  if (request_id && e.request_id != *request_id) return false;
  const bool provision = e.kind() == EventKind::kProvision;
  // Provision-only filters exclude every other record.
  if ((subject || decision || reason) && !provision) return false;
  if (subject && !GlobMatch(*subject, e.subject)) return false;
  if (decision && e.decision != *decision) return false;
  if (reason && !GlobMatch(*reason, e.reason)) return false;
  if (role && !GlobMatch(*role, e.role)) return false;
  if (issuer && !GlobMatch(*issuer, e.issuer)) return false;
  if (secret) {
    if (provision) return AnySecretMatches(*secret, e);
    return !e.secret.empty() && GlobMatch(*secret, e.secret);
  }
  return true;
}

namespace {

// Output held back until the logs it comes from are proven unchanged:
// spooled to an unnamed temporary file (so a large result takes no memory)
// and copied out by Release.
class HeldOutput final : private std::streambuf {
 public:
  HeldOutput() : stream_(this) {}
  ~HeldOutput() override {
    if (fd_ >= 0) close(fd_);
  }
  HeldOutput(const HeldOutput&) = delete;
  HeldOutput& operator=(const HeldOutput&) = delete;

  // Creates the spool file (mode 0600, never linked) in $TMPDIR or /tmp.
  absl::Status Open() {
    const char* env = getenv("TMPDIR");
    const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    fd_ = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      std::string name = dir + "/secretctl-query-XXXXXX";
      fd_ = mkostemp(name.data(), O_CLOEXEC);
      if (fd_ >= 0) unlink(name.c_str());
    }
    if (fd_ < 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create a temporary file in ", dir,
          " to hold the output until the logs are checked: ", strerror(errno),
          "; set TMPDIR to a writable directory"));
    }
    setp(buf_, buf_ + sizeof(buf_));
    return absl::OkStatus();
  }
  std::ostream& stream() { return stream_; }

  // Copies everything written to `out`.
  absl::Status Release(std::ostream& out) {
    if (sync() != 0 || !status_.ok()) return status_;
    char chunk[1 << 16];
    for (off_t at = 0;;) {
      const ssize_t got = pread(fd_, chunk, sizeof(chunk), at);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Failed("read");
      if (got == 0) break;
      out.write(chunk, got);
      at += got;
    }
    out.flush();
    return absl::OkStatus();
  }

 private:
  absl::Status Failed(absl::string_view what) {
    if (status_.ok()) {
      status_ = absl::UnavailableError(absl::StrCat(
          "cannot ", what,
          " the temporary file holding the output: ", strerror(errno)));
    }
    return status_;
  }
  int sync() override {
    const char* p = pbase();
    while (p < pptr()) {
      const ssize_t n = write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        (void)Failed("write");
        return -1;
      }
      p += n;
    }
    setp(buf_, buf_ + sizeof(buf_));
    return 0;
  }
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

  int fd_ = -1;
  char buf_[1 << 16];
  absl::Status status_;
  std::ostream stream_;
};

std::string SignedCell(const Event& e) {
  return e.is_signed.value_or(false) ? "yes" : "no";
}

// The query proper, over `stream`. Counts the rows of unsigned records (or
// releases) it wrote.
absl::Status Emit(EventStream& stream, const QueryOptions& options,
                  std::ostream& out, std::ostream& err,
                  uint64_t* unsigned_rows) {
  const QueryFilter& filter = options.filter;
  const bool verified = options.verification != nullptr;
  uint64_t unreadable = 0;
  stream.unreadable = [&](const Unreadable& u) {
    if (++unreadable <= kMaxWarnings) {
      err << common::TerminalSafe(u.file) << ":" << u.line
          << ": skipped, not a readable record: " << common::TerminalSafe(u.why)
          << "\n";
    }
  };

  const bool releases = options.view == QueryView::kReleases;
  const QueryFilter base = WithoutDecisionAndSecret(filter);
  std::optional<Table> table;
  if (!options.json) {
    std::vector<std::string> headers =
        releases
            ? std::vector<std::string>{"TIME", "SECRET",  "VERSION", "SUBJECT",
                                       "ROLE", "REPLICA", "REQUEST"}
            : std::vector<std::string>{"TIME", "REPLICA", "EVENT",  "SUBJECT",
                                       "ROLE", "REASON",  "REQUEST"};
    if (verified) headers.push_back("SIGNED");
    if (!releases) headers.push_back("DETAILS");
    table.emplace(out, std::move(headers), options.color);
  }
  ReleaseSummary summary;
  uint64_t matched = 0;
  Event e;
  while (stream.Next(&e)) {
    if (options.signed_only && !e.is_signed.value_or(false)) continue;
    const bool is_unsigned = verified && !e.is_signed.value_or(false);
    if (!releases) {
      if (!filter.Matches(e)) continue;
      ++matched;
      if (is_unsigned) ++*unsigned_rows;
      if (options.json) {
        out << common::TerminalSafeJson(e.raw) << "\n";
      } else {
        std::vector<Cell> row = RecordRow(e);
        if (verified) {
          row.insert(
              row.end() - 1,
              Cell(SignedCell(e), is_unsigned ? Color::kYellow : Color::kNone));
        }
        table->Add(std::move(row));
      }
      continue;
    }
    // The release view: allowed provision requests, one row per matching
    // released secret; denied requests that would match are counted.
    if (e.kind() != EventKind::kProvision || !base.Matches(e)) continue;
    if (e.decision != "allow") {
      if (!filter.secret || AnySecretMatches(*filter.secret, e)) {
        summary.AddDenied();
      }
      continue;
    }
    for (const SecretRef& r : e.released) {
      if (filter.secret && !GlobMatch(*filter.secret, r.name)) continue;
      ++matched;
      if (is_unsigned) ++*unsigned_rows;
      if (options.json) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        j["time"] = e.time_text;
        j["secret"] = r.name;
        if (r.version.has_value()) {
          j["version"] = *r.version;
        } else {
          j["version"] = nullptr;
        }
        j["subject"] = e.subject;
        j["issuer"] = e.issuer;
        j["role"] = e.role;
        j["replica"] = e.replica;
        j["seq"] = e.seq;
        j["request_id"] = e.request_id;
        j["file"] = e.file;
        j["line"] = e.line;
        if (e.is_signed.has_value()) {
          j["signed"] = *e.is_signed;
        } else {
          j["signed"] = nullptr;
        }
        out << common::TerminalSafeJson(
                   j.dump(-1, ' ', false,
                          nlohmann::ordered_json::error_handler_t::replace))
            << "\n";
      } else {
        summary.AddRelease(e, r);
        std::vector<Cell> row = {
            Cell(e.time_text),
            Cell(r.name),
            Cell(r.version.has_value() ? absl::StrCat(*r.version) : "?"),
            Cell(e.subject),
            Cell(e.role),
            Cell(e.replica),
            Cell(e.request_id)};
        if (verified) {
          row.emplace_back(SignedCell(e),
                           is_unsigned ? Color::kYellow : Color::kNone);
        }
        table->Add(std::move(row));
      }
    }
  }
  if (!stream.status().ok()) return stream.status();
  if (table.has_value()) {
    if (matched == 0 && !releases) {
      out << "no records match\n";
    } else if (matched > 0) {
      table->Finish();
    }
    if (releases) summary.Print(out, options.denied_hint);
    if (*unsigned_rows > 0) {
      out << "\n"
          << UnsignedNote(*unsigned_rows, releases ? "release" : "record",
                          releases ? "releases" : "records", "SIGNED no")
          << "\n";
    }
  }
  if (unreadable > 0) {
    err << unreadable
        << (unreadable == 1
                ? " line was skipped because it is not a readable record"
                : " lines were skipped because they are not readable records")
        << "; run \"secretctl audit verify\" on the logs\n";
  }
  return absl::OkStatus();
}

}  // namespace

std::string UnsignedNote(uint64_t n, absl::string_view one,
                         absl::string_view many, absl::string_view mark) {
  return absl::StrCat(n, " ", n == 1 ? one : many,
                      mark.empty() ? "" : absl::StrCat(" (", mark, ")"),
                      n == 1 ? " is after its log's" : " are after their log's",
                      " last checkpoint and not signed yet: a running broker, "
                      "a crash, or lines added by someone who can write the "
                      "logs");
}

absl::Status RunQuery(const QueryOptions& options, std::ostream& out,
                      std::ostream& err) {
  const QueryFilter& filter = options.filter;
  EventStream::HeadFilter head = [&filter](const EventHead& h) {
    return filter.MatchesHead(h);
  };
  uint64_t unsigned_rows = 0;
  if (options.verification == nullptr) {
    auto stream = EventStream::Open(options.files, head);
    if (!stream.ok()) return stream.status();
    return Emit(**stream, options, out, err, &unsigned_rows);
  }
  // Verified logs: read the files that were verified, and print nothing
  // until they are proven unchanged.
  HeldOutput held;
  if (absl::Status s = held.Open(); !s.ok()) return s;
  std::unique_ptr<EventStream> stream =
      EventStream::Read(options.verification->Sources(), head);
  if (absl::Status s =
          Emit(*stream, options, held.stream(), err, &unsigned_rows);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = options.verification->CheckUnchanged(); !s.ok()) {
    return s;
  }
  if (absl::Status s = held.Release(out); !s.ok()) return s;
  if (options.json && unsigned_rows > 0) {
    const bool releases = options.view == QueryView::kReleases;
    err << "note: "
        << UnsignedNote(unsigned_rows, releases ? "release" : "record",
                        releases ? "releases" : "records",
                        releases ? "\"signed\": false" : "")
        << "; --signed-only leaves them out\n";
  }
  return absl::OkStatus();
}

}  // namespace secretctl
