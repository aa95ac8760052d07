#include "secretctl/audit/query.h"

#include <map>
#include <ostream>
#include <set>

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

absl::Status RunQuery(const QueryOptions& options, std::ostream& out,
                      std::ostream& err) {
  const QueryFilter& filter = options.filter;
  auto stream = EventStream::Open(options.files, [&filter](const EventHead& h) {
    return filter.MatchesHead(h);
  });
  if (!stream.ok()) return stream.status();
  uint64_t unreadable = 0;
  (*stream)->unreadable = [&](const Unreadable& u) {
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
    table.emplace(
        out,
        releases
            ? std::vector<std::string>{"TIME", "SECRET", "VERSION", "SUBJECT",
                                       "ROLE", "REPLICA", "REQUEST"}
            : std::vector<std::string>{"TIME", "REPLICA", "EVENT", "SUBJECT",
                                       "ROLE", "REASON", "REQUEST", "DETAILS"},
        options.color);
  }
  ReleaseSummary summary;
  uint64_t matched = 0;
  Event e;
  while ((*stream)->Next(&e)) {
    if (!releases) {
      if (!filter.Matches(e)) continue;
      ++matched;
      if (options.json) {
        out << common::TerminalSafeJson(e.raw) << "\n";
      } else {
        table->Add(RecordRow(e));
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
        out << common::TerminalSafeJson(
                   j.dump(-1, ' ', false,
                          nlohmann::ordered_json::error_handler_t::replace))
            << "\n";
      } else {
        summary.AddRelease(e, r);
        table->Add(
            {Cell(e.time_text), Cell(r.name),
             Cell(r.version.has_value() ? absl::StrCat(*r.version) : "?"),
             Cell(e.subject), Cell(e.role), Cell(e.replica),
             Cell(e.request_id)});
      }
    }
  }
  if (!(*stream)->status().ok()) return (*stream)->status();
  if (table.has_value()) {
    if (matched == 0 && !releases) {
      out << "no records match\n";
    } else if (matched > 0) {
      table->Finish();
    }
    if (releases) summary.Print(out, options.denied_hint);
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

}  // namespace secretctl
