// `secretctl audit query`: filters over audit events (events.h) and their
// table and JSON output.
//
//   QueryOptions q;
//   q.files = {"audit-host-a.jsonl", "audit-host-b.jsonl"};
//   q.filter.secret = "app/db/*";
//   q.view = QueryView::kReleases;            // "who received app/db/*?"
//   RETURN_IF_ERROR(RunQuery(q, std::cout, std::cerr));
//
// Two views:
// - kRecords: one row per matching record (provision and admin records;
//   checkpoints never match). JSON output is the matching lines exactly as
//   they are in the log (JSON Lines, the schema of docs/audit.md).
// - kReleases: one row per secret released by an allowed provision request
//   ("who received X", "what did Y receive"). JSON output is one object per
//   release: {"time","secret","version","subject","issuer","role",
//   "replica","seq","request_id","file","line"}. The table ends with a
//   summary, including how many matching requests were denied.
//
// Events from several files come out merged by time, in constant memory
// (except the table's first 1000 rows, buffered to size its columns, and the
// release summary's sets of distinct instances and versions).
//
// On verified logs (QueryOptions::verification), the query reads the very
// files that were verified (FilesVerification::Sources), marks the records
// after a log's last checkpoint as not signed (a SIGNED column in tables,
// "signed" in release objects, a note for the record view's JSON), and
// prints nothing until the logs are proven unchanged: the output is spooled
// to an unnamed temporary file meanwhile.
#ifndef SECRETD_SECRETCTL_AUDIT_QUERY_H_
#define SECRETD_SECRETCTL_AUDIT_QUERY_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "secretctl/audit/events.h"
#include "secretctl/audit/verify_files.h"

namespace secretctl {

// `*` matches any run of characters (including "/"), `?` any one character;
// everything else matches itself. Case-sensitive.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

struct QueryFilter {
  // Each set filter must match (AND). Text filters are globs (GlobMatch).
  std::optional<std::string> subject;     // provision subject
  std::optional<std::string> role;        // provision role, admin.role.*
  std::optional<std::string> secret;      // requested, released or denied
                                          // name; admin.secret.*
  std::optional<std::string> decision;    // "allow" | "deny" (provision)
  std::optional<std::string> reason;      // provision reason, e.g. "token.*"
  std::optional<std::string> issuer;      // provision issuer, admin.trust.*
  std::optional<std::string> request_id;  // exact
  std::optional<std::string> type;        // record type, e.g. "admin.*"
  std::optional<absl::Time> since;        // inclusive
  std::optional<absl::Time> until;        // exclusive

  // From the envelope alone: time window, type, never checkpoints.
  bool MatchesHead(const EventHead& head) const;
  bool Matches(const Event& event) const;
};

enum class QueryView { kRecords, kReleases };

struct QueryOptions {
  std::vector<std::string> files;
  // Set: query these verified logs (opened with keep_open) instead of
  // `files`; kAborted (nothing printed) if one changed since it was
  // verified.
  const FilesVerification* verification = nullptr;
  // With `verification`: leave out the records that no checkpoint signs.
  bool signed_only = false;
  QueryFilter filter;
  QueryView view = QueryView::kRecords;
  bool json = false;
  bool color = false;  // ANSI colours in the table (stdout is a terminal)
  // Release view: the command that lists the matching denied requests,
  // printed after their count.
  std::string denied_hint;
};

// "2 records (MARK) are after their log's last checkpoint and not signed
// yet: ..." (`one`/`many`: "record"/"records"; no parentheses for an empty
// `mark`).
std::string UnsignedNote(uint64_t n, absl::string_view one,
                         absl::string_view many, absl::string_view mark);

// Runs the query, writing rows to `out` and warnings about unreadable lines
// (and, for JSON records of verified logs, the count of unsigned ones) to
// `err`. kNotFound / kUnavailable if a file cannot be opened or read;
// kAborted if a verified log changed (then nothing is written to `out`).
absl::Status RunQuery(const QueryOptions& options, std::ostream& out,
                      std::ostream& err);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_QUERY_H_
