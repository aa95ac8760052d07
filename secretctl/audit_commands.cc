#include "secretctl/audit_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/terminal_text.h"
#include "secretctl/audit/audit_key.h"
#include "secretctl/audit/query.h"
#include "secretctl/audit/report.h"
#include "secretctl/audit/table.h"
#include "secretctl/audit/time_spec.h"
#include "secretctl/audit/verify_files.h"

namespace secretctl {
namespace {

using common::cli::Command;
using common::cli::Flag;
using common::cli::Invocation;
using common::cli::kExitOk;
using common::cli::kExitRefused;
using common::cli::kExitUsage;

const Flag kKeyFlag{"audit-public-key", "FILE",
                    "the audit public key (base64url, one line); default "
                    "DATA_DIR/keys/audit.pub with --data-dir"};
const Flag kSkipSignaturesFlag{
    "skip-signatures", "",
    "check only the hash chains, not the checkpoint signatures (when no "
    "audit public key is at hand; a rewritten log would pass)"};

// The audit key to check signatures with, or none (--skip-signatures).
// Sets `exit` to kExitUsage (after printing why) when there is no usable
// choice.
struct KeyChoice {
  std::optional<AuditKey> key;
  int exit = kExitOk;
};

KeyChoice ChooseKey(const Invocation& inv) {
  KeyChoice c;
  const bool skip = inv.Has("skip-signatures");
  if (skip && inv.Has("audit-public-key")) {
    c.exit = inv.UsageError(
        "--skip-signatures and --audit-public-key exclude each other");
    return c;
  }
  if (skip) return c;
  std::string path = inv.Get("audit-public-key");
  const bool from_data_dir = path.empty() && inv.Has("data-dir");
  if (from_data_dir)
    path = absl::StrCat(inv.Get("data-dir"), "/keys/audit.pub");
  if (path.empty()) {
    c.exit = inv.UsageError(
        "no audit public key to check checkpoint signatures with: pass "
        "--audit-public-key FILE (or --data-dir DIR for DIR/keys/audit.pub), "
        "or --skip-signatures to check only the hash chains");
    return c;
  }
  auto key = LoadAuditPublicKey(path);
  if (!key.ok()) {
    std::string msg(key.status().message());
    if (from_data_dir && key.status().code() == absl::StatusCode::kNotFound) {
      absl::StrAppend(&msg,
                      "; pass --audit-public-key FILE, or --skip-signatures");
    }
    c.exit = inv.UsageError(msg);
    return c;
  }
  c.key = std::move(*key);
  return c;
}

// Refuses a file named twice (the same inode under two names included).
int CheckDistinctFiles(const Invocation& inv) {
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const std::string& path : inv.args()) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;  // reported when read
    if (!seen.insert({st.st_dev, st.st_ino}).second) {
      return inv.UsageError(absl::StrCat("\"", common::TerminalSafe(path),
                                         "\" is named twice (or is a link to "
                                         "another FILE); name each log once"));
    }
  }
  return kExitOk;
}

uint64_t TotalSize(const std::vector<std::string>& paths) {
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st;
    if (stat(p.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

// `word` as one shell word (single-quoted unless plainly safe).
std::string ShellQuote(absl::string_view word) {
  bool plain = !word.empty();
  for (char c : word) {
    if (!absl::ascii_isalnum(c) &&
        std::string("_./:@%+=,-").find(c) == std::string::npos) {
      plain = false;
    }
  }
  if (plain) return std::string(word);
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

// One self-overwriting status line on stderr, only when stderr is a
// terminal; at most ten updates a second.
class TerminalProgress {
 public:
  TerminalProgress(const Invocation& inv, const common::Clock& clock,
                   uint64_t total)
      : err_(inv.err()),
        clock_(clock),
        total_(total),
        enabled_(&inv.err() == &std::cerr && isatty(STDERR_FILENO) == 1),
        start_(clock.Now()),
        last_(absl::InfinitePast()) {}
  ~TerminalProgress() { Clear(); }

  void Update(size_t index, size_t count, const std::string& path,
              uint64_t bytes) {
    if (!enabled_) return;
    const absl::Time now = clock_.Now();
    if (now - last_ < absl::Milliseconds(100)) return;
    last_ = now;
    const double secs = absl::ToDoubleSeconds(now - start_);
    const double mib = static_cast<double>(bytes) / (1 << 20);
    std::string line = absl::StrFormat(
        "verifying %s (%d of %d): %.0f of %.0f MiB", common::TerminalSafe(path),
        index + 1, count, mib, static_cast<double>(total_) / (1 << 20));
    if (total_ > 0) {
      absl::StrAppendFormat(
          &line, " (%.0f%%)",
          100.0 * static_cast<double>(bytes) / static_cast<double>(total_));
    }
    if (secs > 0.2) {
      absl::StrAppendFormat(&line, ", %.0f MB/s",
                            static_cast<double>(bytes) / 1e6 / secs);
    }
    err_ << "\r\x1b[K" << line << std::flush;
    shown_ = true;
  }
  void Clear() {
    if (shown_) err_ << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  std::ostream& err_;
  const common::Clock& clock_;
  const uint64_t total_;
  const bool enabled_;
  const absl::Time start_;
  absl::Time last_;
  bool shown_ = false;
};

// Verifies the logs named on the command line. With `keep_open`, the result
// holds them open, to read the very same files again.
FilesVerification VerifyWithProgress(const Invocation& inv,
                                     const common::Clock& clock,
                                     const KeyChoice& key, bool require_signed,
                                     bool keep_open) {
  TerminalProgress progress(inv, clock, TotalSize(inv.args()));
  VerifyFilesOptions o;
  o.key = key.key.has_value() ? &*key.key : nullptr;
  o.require_signed = require_signed;
  o.keep_open = keep_open;
  const size_t count = inv.args().size();
  o.progress = [&](size_t index, const std::string& path, uint64_t bytes) {
    progress.Update(index, count, path, bytes);
  };
  FilesVerification v = VerifyFiles(inv.args(), o);
  progress.Clear();
  return v;
}

// --- verify -----------------------------------------------------------------

int Verify(const Invocation& inv, const common::Clock& clock) {
  const std::string format = inv.Get("format", "text");
  if (format != "text" && format != "json") {
    return inv.UsageError(
        absl::StrCat("--format is text or json, not \"", format, "\""));
  }
  if (int rc = CheckDistinctFiles(inv); rc != kExitOk) return rc;
  KeyChoice key = ChooseKey(inv);
  if (key.exit != kExitOk) return key.exit;
  FilesVerification v = VerifyWithProgress(
      inv, clock, key, inv.Has("require-signed"), /*keep_open=*/false);
  if (format == "json") {
    inv.out() << VerificationJsonText(v) << "\n";
  } else {
    PrintVerificationText(v, inv.out());
  }
  return v.ok() ? kExitOk : kExitRefused;
}

// --- query ------------------------------------------------------------------

int Query(const Invocation& inv, const common::Clock& clock,
          const AuditCommandHooks& hooks) {
  QueryOptions q;
  q.files = inv.args();
  QueryFilter& f = q.filter;
  auto opt = [&inv](absl::string_view flag) -> std::optional<std::string> {
    if (!inv.Has(flag)) return std::nullopt;
    return inv.Get(flag);
  };
  f.subject = opt("subject");
  f.role = opt("role");
  f.secret = opt("secret");
  f.decision = opt("decision");
  f.reason = opt("reason");
  f.issuer = opt("issuer");
  f.request_id = opt("request-id");
  f.type = opt("type");
  if (f.decision && *f.decision != "allow" && *f.decision != "deny") {
    return inv.UsageError(
        absl::StrCat("--decision is allow or deny, not \"", *f.decision, "\""));
  }
  const absl::Time now = clock.Now();
  for (const char* flag : {"since", "until"}) {
    if (!inv.Has(flag)) continue;
    auto t = ParseTimeSpec(inv.Get(flag), now);
    if (!t.ok()) {
      return inv.UsageError(
          absl::StrCat("--", flag, " ", t.status().message()));
    }
    (std::string(flag) == "since" ? f.since : f.until) = *t;
  }
  if (f.since && f.until && *f.since >= *f.until) {
    return inv.UsageError("--since must be before --until");
  }
  if (inv.Has("who-received") || inv.Has("received-by")) {
    q.view = QueryView::kReleases;
    if (inv.Has("who-received")) {
      if (f.secret) {
        return inv.UsageError(
            "--who-received NAME already selects the secret; drop --secret");
      }
      f.secret = inv.Get("who-received");
    }
    if (inv.Has("received-by")) {
      if (f.subject) {
        return inv.UsageError(
            "--received-by SUBJECT already selects the subject; drop "
            "--subject");
      }
      f.subject = inv.Get("received-by");
    }
    if (f.decision || f.type || f.reason) {
      return inv.UsageError(
          "--who-received and --received-by list releases (allowed "
          "requests); they do not combine with --decision, --type or "
          "--reason");
    }
  }
  const std::string format = inv.Get("format", "table");
  if (format != "table" && format != "json") {
    return inv.UsageError(
        absl::StrCat("--format is table or json, not \"", format, "\""));
  }
  q.json = format == "json";
  q.color = !q.json && &inv.out() == &std::cout && isatty(STDOUT_FILENO) == 1 &&
            getenv("NO_COLOR") == nullptr;
  if (q.view == QueryView::kReleases) {
    // The same query, for the denied requests it skipped.
    q.denied_hint = "secretctl audit query";
    for (const std::string& file : inv.args()) {
      absl::StrAppend(&q.denied_hint, " ", ShellQuote(file));
    }
    auto add = [&q](absl::string_view flag,
                    const std::optional<std::string>& v) {
      if (v) absl::StrAppend(&q.denied_hint, " --", flag, " ", ShellQuote(*v));
    };
    add("subject", f.subject);
    add("secret", f.secret);
    add("role", f.role);
    add("issuer", f.issuer);
    add("request-id", f.request_id);
    for (const char* flag : {"since", "until"}) {
      if (inv.Has(flag)) add(flag, inv.Get(flag));
    }
    absl::StrAppend(&q.denied_hint, " --decision deny");
  }
  if (int rc = CheckDistinctFiles(inv); rc != kExitOk) return rc;
  std::optional<FilesVerification> verified;
  if (inv.Has("verify")) {
    KeyChoice key = ChooseKey(inv);
    if (key.exit != kExitOk) return key.exit;
    verified = VerifyWithProgress(inv, clock, key, false, /*keep_open=*/true);
    if (!verified->ok()) {
      return inv.Refused(common::TerminalSafe(
          absl::StrCat("the logs failed verification, so nothing was queried: ",
                       verified->FirstProblem(),
                       "; run \"secretctl audit verify\" for details")));
    }
    if (hooks.after_verify) hooks.after_verify();
    // Query the very files that were verified.
    q.verification = &*verified;
    q.signed_only = inv.Has("signed-only");
  } else if (inv.Has("audit-public-key") || inv.Has("skip-signatures") ||
             inv.Has("signed-only")) {
    return inv.UsageError(
        "--audit-public-key, --skip-signatures and --signed-only only apply "
        "with --verify");
  }
  absl::Status s = RunQuery(q, inv.out(), inv.err());
  if (!s.ok()) return inv.Refused(common::TerminalSafe(s.message()));
  return kExitOk;
}

// --- report -----------------------------------------------------------------

int Report(const Invocation& inv, const common::Clock& clock,
           const AuditCommandHooks& hooks) {
  const std::string out_path = inv.Get("html");
  if (out_path.empty()) return inv.UsageError("--html needs a file name");
  struct stat out_st;
  if (stat(out_path.c_str(), &out_st) == 0) {
    for (const std::string& in : inv.args()) {
      struct stat in_st;
      if (stat(in.c_str(), &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
          in_st.st_ino == out_st.st_ino) {
        return inv.UsageError(
            absl::StrCat("--html \"", common::TerminalSafe(out_path),
                         "\" is one of the logs; write the report "
                         "elsewhere"));
      }
    }
  }
  if (int rc = CheckDistinctFiles(inv); rc != kExitOk) return rc;
  KeyChoice key = ChooseKey(inv);
  if (key.exit != kExitOk) return key.exit;
  FilesVerification v =
      VerifyWithProgress(inv, clock, key, false, /*keep_open=*/true);
  if (hooks.after_verify) hooks.after_verify();
  // Read the very files that were verified (files that cannot be read are
  // in the verification result; the report covers the others), and refuse
  // if one changed meanwhile.
  auto data = BuildReport(v);
  if (!data.ok()) {
    return inv.Refused(common::TerminalSafe(data.status().message()));
  }
  ReportMeta meta;
  meta.generated_at = clock.Now();
  if (inv.Has("title")) meta.title = inv.Get("title");
  if (absl::Status s =
          WriteReportFile(out_path, RenderReportHtml(*data, v, meta));
      !s.ok()) {
    return inv.Refused(common::TerminalSafe(s.message()));
  }
  inv.out() << "wrote " << common::TerminalSafe(out_path) << ": "
            << FormatCount(data->provision) << " provision requests ("
            << FormatCount(data->denied) << " denied) and "
            << FormatCount(data->admin) << " admin changes from "
            << v.files.size() << (v.files.size() == 1 ? " log" : " logs")
            << "\n";
  if (!v.ok()) {
    return inv.Refused(common::TerminalSafe(absl::StrCat(
        "the logs failed verification (the report says so at the top): ",
        v.FirstProblem())));
  }
  if (!v.signatures_checked) {
    inv.err() << "note: checkpoint signatures were not checked "
                 "(--skip-signatures)\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> AuditCommands(const common::Clock& clock,
                                   AuditCommandHooks hooks) {
  std::vector<Command> commands;

  Command verify;
  verify.path = {"audit", "verify"};
  verify.args_usage = "FILE...";
  verify.summary =
      "check that audit logs are complete and untouched (exit 0 intact, 1 "
      "not)";
  verify.description =
      "Checks every line of each log: its hash, its seq (no record deleted, "
      "reordered or inserted), its link to the line before, and every "
      "checkpoint's signature with the audit public key. Give each replica's "
      "log (DATA_DIR/audit/audit-<replica>.jsonl) once; each is its own "
      "chain. The first problem in a file is named as FILE:LINE: what: why.\n"
      "\n"
      "Records after a log's last checkpoint are not signed yet (a running "
      "broker, a crash, or a cut tail): they are reported, and fail the check "
      "only with --require-signed, which also demands that each log ends with "
      "its broker's signed shutdown checkpoint.\n"
      "\n"
      "Examples:\n"
      "  secretctl --data-dir /var/lib/secretd audit verify "
      "/var/lib/secretd/audit/*.jsonl\n"
      "  secretctl audit verify --audit-public-key audit.pub --format json "
      "audit-host-a.jsonl";
  verify.flags = {kKeyFlag,
                  kSkipSignaturesFlag,
                  {"require-signed", "",
                   "also fail unless every log is closed: no records after "
                   "the last checkpoint, and that checkpoint is the signed "
                   "shutdown one (for logs of stopped brokers)"},
                  {"format", "text|json", "output format (default text)"}};
  verify.min_args = 1;
  verify.max_args = -1;
  verify.run = [&clock](const Invocation& inv) { return Verify(inv, clock); };
  commands.push_back(std::move(verify));

  Command query;
  query.path = {"audit", "query"};
  query.args_usage = "FILE...";
  query.summary = "find audit records: who received what, denials, changes";
  query.description =
      "Prints the provision and admin records that match every filter given, "
      "in time order across the logs. Text filters take * and ? wildcards "
      "(quote them). Times (--since, inclusive; --until, exclusive) are RFC "
      "3339 (2026-11-26T05:41:45Z), a date (2026-11-26, UTC), \"now\", or a "
      "duration before now (90m, 24h, 7d, 2w).\n"
      "\n"
      "The two questions auditors ask most list one row per released secret "
      "and end with a summary:\n"
      "  --who-received NAME     which instances received secret NAME, when, "
      "which version\n"
      "  --received-by SUBJECT   what instance SUBJECT received\n"
      "\n"
      "--format json prints the matching records exactly as they are in the "
      "log, one per line (with --who-received/--received-by: one object per "
      "release). Nothing is verified unless --verify is given.\n"
      "\n"
      "Examples:\n"
      "  secretctl audit query audit/*.jsonl --who-received app/db/password\n"
      "  secretctl audit query audit/*.jsonl --received-by i-0abc\n"
      "  secretctl audit query audit/*.jsonl --decision deny --since 24h\n"
      "  secretctl audit query audit/*.jsonl --type 'admin.*' --format json";
  query.flags = {
      {"subject", "S", "the instance (token subject)"},
      {"role", "R", "the role requested (or changed)"},
      {"secret", "NAME", "a secret requested, released or denied (or changed)"},
      {"decision", "allow|deny", "only allowed or only denied requests"},
      {"since", "T", "records at or after T"},
      {"until", "T", "records before T"},
      {"reason", "R", "the decision's reason, e.g. 'token.*'"},
      {"issuer", "ISS", "the attestation issuer"},
      {"request-id", "ID", "the request id a client was told"},
      {"type", "TYPE", "the record type, e.g. provision or 'admin.*'"},
      {"who-received", "NAME", "list the releases of secret NAME"},
      {"received-by", "SUBJECT", "list what instance SUBJECT received"},
      {"format", "table|json", "output format (default table)"},
      {"verify", "",
       "verify the logs first; query nothing if they fail; mark the records "
       "no checkpoint signs yet"},
      {"signed-only", "",
       "with --verify: leave out the records no checkpoint signs yet"},
      kKeyFlag,
      kSkipSignaturesFlag,
  };
  query.min_args = 1;
  query.max_args = -1;
  query.run = [&clock, hooks](const Invocation& inv) {
    return Query(inv, clock, hooks);
  };
  commands.push_back(std::move(query));

  Command report;
  report.path = {"audit", "report"};
  report.args_usage = "FILE...";
  report.summary = "write a one-page HTML report of audit logs";
  report.description =
      "Verifies the logs and writes one self-contained HTML file (no network "
      "needed to open it): the verification result, totals, allowed and "
      "denied requests over time, top denial reasons, secrets by releases, "
      "roles by instances, recent denials and admin changes. Exit 1 if the "
      "logs fail verification (the report is still written and says so at "
      "the top).\n"
      "\n"
      "Example:\n"
      "  secretctl --data-dir /var/lib/secretd audit report "
      "/var/lib/secretd/audit/*.jsonl --html audit.html";
  report.flags = {
      {"html", "OUT", "the HTML file to write", false, true},
      {"title", "TEXT", "the page title (default \"Audit report\")"},
      kKeyFlag,
      kSkipSignaturesFlag};
  report.min_args = 1;
  report.max_args = -1;
  report.run = [&clock, hooks](const Invocation& inv) {
    return Report(inv, clock, hooks);
  };
  commands.push_back(std::move(report));
  return commands;
}

std::vector<Command> AuditCommands() {
  // The command layer is main's: the one place that reads the wall clock.
  static const common::RealClock* clock = new common::RealClock();
  return AuditCommands(*clock);
}

}  // namespace secretctl
