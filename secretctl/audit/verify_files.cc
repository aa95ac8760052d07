#include "secretctl/audit/verify_files.h"

#include <map>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "common/terminal_text.h"
#include "secretctl/audit/table.h"
#include "secretd/audit/log_reader.h"

namespace secretctl {
namespace {

std::string Plural(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string UnsignedText(const secretd::audit::FileVerification& v) {
  const uint64_t first = v.lines - v.unsigned_records + 1;
  return absl::StrCat(
      v.unsigned_records == 1
          ? absl::StrCat("the last record (line ", v.lines, ") is")
          : absl::StrCat("the last ", v.unsigned_records, " records (lines ",
                         first, " to ", v.lines, ") are"),
      " after the last checkpoint and not signed yet: a running broker, a "
      "crash, or a cut tail");
}

// An emptied log and a log whose broker never stopped cleanly look alike:
// neither holds a shutdown checkpoint (a broker that stopped cleanly signs
// one even when it served no request).
constexpr absl::string_view kEmptyText =
    "empty: no signed shutdown checkpoint (the log was emptied, or its broker "
    "never stopped cleanly)";

// The log ends with its broker's signed shutdown checkpoint: no unsigned
// record after it, and it is not empty.
bool Closed(const secretd::audit::FileVerification& v) {
  return v.unsigned_records == 0 && v.last_checkpoint_reason == "shutdown";
}

CrossFileProblem Duplicate(const std::string& replica, const FileResult& fa,
                           const FileResult& fb) {
  const std::string& a = fa.path;
  const std::string& b = fb.path;
  CrossFileProblem p;
  p.kind = "duplicate_replica";
  p.files = {a, b};
  auto cmp = fa.file != nullptr && fb.file != nullptr
                 ? CompareLogs(*fa.file, *fb.file)
                 : CompareLogs(a, b);
  if (!cmp.ok()) {
    p.message = absl::StrCat(a, " and ", b, " both hold replica \"", replica,
                             "\"; give each replica's log once");
  } else if (cmp->first_difference == 0) {
    p.message = absl::StrCat(a, " and ", b,
                             " are identical copies of the log "
                             "of replica \"",
                             replica, "\"; give each replica's log once");
  } else if (cmp->a_is_prefix || cmp->b_is_prefix) {
    const std::string& older = cmp->a_is_prefix ? a : b;
    const std::string& newer = cmp->a_is_prefix ? b : a;
    p.message =
        absl::StrCat(older, " is an older copy of ", newer, " (replica \"",
                     replica, "\"): its ", cmp->first_difference - 1,
                     " lines are the first ", cmp->first_difference - 1, " of ",
                     newer, "; give each replica's log once (the newer one)");
  } else {
    p.message = absl::StrCat(
        a, " and ", b, " both hold replica \"", replica,
        "\" but differ from line ", cmp->first_difference,
        " on: two brokers wrote with the same --replica-id, or one of the "
        "logs was rewritten");
  }
  return p;
}

}  // namespace

bool FilesVerification::ok() const {
  for (const auto& f : files) {
    if (!f.ok()) return false;
  }
  if (require_signed && !AllClosed()) return false;
  return problems.empty();
}

bool FilesVerification::AllClosed() const {
  for (const auto& f : files) {
    if (!Closed(f.v)) return false;
  }
  return true;
}

uint64_t FilesVerification::Sum(
    uint64_t secretd::audit::FileVerification::*member) const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.v.*member;
  return n;
}

std::string FilesVerification::FirstProblem() const {
  for (const auto& f : files) {
    if (!f.read_status.ok()) {
      return absl::StrCat(f.path, ": ", f.read_status.message());
    }
    if (f.v.failure) {
      return absl::StrCat(f.path, ":", f.v.failure->line, ": ",
                          secretd::audit::FailureTitle(f.v.failure->kind), ": ",
                          f.v.failure->message);
    }
  }
  if (!problems.empty()) return problems.front().message;
  if (require_signed) {
    for (const auto& f : files) {
      if (f.v.lines == 0) return absl::StrCat(f.path, ": ", kEmptyText);
      if (f.v.unsigned_records > 0) {
        return absl::StrCat(f.path, ":", f.v.lines,
                            ": unsigned records: ", UnsignedText(f.v));
      }
      if (f.v.lines > 0 && f.v.last_checkpoint_reason != "shutdown") {
        return absl::StrCat(
            f.path, ":", f.v.lines, ": not closed: the log ends with a \"",
            f.v.last_checkpoint_reason,
            "\" checkpoint, not a shutdown one: the broker is still running, "
            "crashed, or the log was cut back to an earlier checkpoint");
      }
    }
  }
  return "";
}

absl::StatusOr<LogComparison> CompareLogs(const std::string& a,
                                          const std::string& b) {
  auto fa = secretd::audit::LogFile::Open(a);
  if (!fa.ok()) return fa.status();
  auto fb = secretd::audit::LogFile::Open(b);
  if (!fb.ok()) return fb.status();
  return CompareLogs(**fa, **fb);
}

absl::StatusOr<LogComparison> CompareLogs(const secretd::audit::LogFile& a,
                                          const secretd::audit::LogFile& b) {
  auto ra = secretd::audit::LogReader::Read(a);
  auto rb = secretd::audit::LogReader::Read(b);
  LogComparison c;
  absl::string_view la, lb;
  for (uint64_t n = 1;; ++n) {
    const bool ha = ra->Next(&la);
    const bool hb = rb->Next(&lb);
    if (!ha && !hb) break;
    if (ha && hb && la == lb) continue;
    c.first_difference = n;
    c.a_is_prefix = !ha && hb;
    c.b_is_prefix = ha && !hb;
    break;
  }
  if (!ra->status().ok()) return ra->status();
  if (!rb->status().ok()) return rb->status();
  return c;
}

std::vector<LogSource> FilesVerification::Sources() const {
  std::vector<LogSource> sources;
  for (const FileResult& f : files) {
    if (!f.read_status.ok() || f.file == nullptr) continue;
    LogSource s;
    s.file = f.file.get();
    s.limit = f.ok() ? f.v.bytes : f.file->size_at_open();
    s.verification = &f.v;
    sources.push_back(s);
  }
  return sources;
}

absl::Status FilesVerification::CheckUnchanged() const {
  using Change = secretd::audit::LogFile::Change;
  for (const FileResult& f : files) {
    if (!f.read_status.ok() || f.file == nullptr) continue;
    absl::StatusOr<Change> change = f.file->ChangeSinceOpen();
    if (!change.ok()) return change.status();
    if (*change == Change::kNone || (*change == Change::kGrew && f.ok())) {
      continue;
    }
    return absl::AbortedError(LogChangedMessage(f.path));
  }
  return absl::OkStatus();
}

FilesVerification VerifyFiles(const std::vector<std::string>& paths,
                              const VerifyFilesOptions& options) {
  FilesVerification result;
  result.signatures_checked = options.key != nullptr;
  result.require_signed = options.require_signed;
  if (options.key != nullptr) result.key_id = options.key->key_id;
  uint64_t done = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    FileResult f;
    f.path = paths[i];
    secretd::audit::VerifyOptions vo;
    if (options.key != nullptr) vo.check_checkpoint = options.key->check;
    if (options.progress) {
      vo.progress = [&, i](uint64_t bytes) {
        options.progress(i, paths[i], done + bytes);
      };
    }
    auto file = secretd::audit::LogFile::Open(paths[i]);
    absl::StatusOr<secretd::audit::FileVerification> v =
        file.ok()
            ? secretd::audit::VerifyLog(**file, vo)
            : absl::StatusOr<secretd::audit::FileVerification>(file.status());
    if (v.ok()) {
      f.v = std::move(*v);
      done += f.v.bytes;
      if (options.keep_open) f.file = std::move(*file);
    } else {
      f.read_status = v.status();
    }
    result.files.push_back(std::move(f));
  }
  // One file per replica.
  std::map<std::string, const FileResult*> first_file;  // by replica
  for (const auto& f : result.files) {
    if (!f.read_status.ok() || f.v.replica.empty()) continue;
    auto [it, inserted] = first_file.emplace(f.v.replica, &f);
    if (!inserted) {
      result.problems.push_back(Duplicate(f.v.replica, *it->second, f));
    }
  }
  return result;
}

void PrintVerificationText(const FilesVerification& v, std::ostream& out) {
  size_t failed = 0;
  for (const auto& f : v.files) {
    const std::string path = common::TerminalSafe(f.path);
    if (!f.read_status.ok()) {
      ++failed;
      out << path << ": cannot be read: "
          << common::TerminalSafe(f.read_status.message()) << "\n";
      continue;
    }
    const auto& r = f.v;
    if (r.failure) {
      ++failed;
      out << path << ":" << r.failure->line << ": "
          << secretd::audit::FailureTitle(r.failure->kind) << ": "
          << common::TerminalSafe(r.failure->message) << "\n";
      continue;
    }
    if (r.lines == 0) {
      if (v.require_signed) {
        ++failed;
        out << path << ": " << kEmptyText << "\n";
      } else {
        out << path
            << ": intact, empty: no record and no checkpoint, so nothing "
               "signed to check (--require-signed refuses an empty log)\n";
      }
      continue;
    }
    out << path << ": intact, " << Plural(r.lines, "line", "lines")
        << " (replica " << r.replica << ", " << r.first_time << " to "
        << r.last_time << "), "
        << Plural(r.checkpoints, "checkpoint", "checkpoints");
    if (r.unsigned_records == 0) {
      out << (v.signatures_checked ? ", every record signed"
                                   : ", every record under a checkpoint");
      if (r.last_checkpoint_reason == "shutdown") {
        out << ", closed by its shutdown checkpoint\n";
      } else if (v.require_signed) {
        ++failed;
        out << "\n"
            << path << ":" << r.lines << ": not closed: the log ends with a \""
            << r.last_checkpoint_reason
            << "\" checkpoint, not a shutdown one: the broker is still "
               "running, crashed, or the log was cut back to an earlier "
               "checkpoint\n";
      } else {
        out << "\n";
      }
    } else {
      if (v.require_signed) ++failed;
      out << "; " << UnsignedText(r) << "\n";
    }
  }
  for (const auto& p : v.problems) {
    out << "duplicate replica: " << common::TerminalSafe(p.message) << "\n";
  }
  const std::string how =
      v.signatures_checked
          ? (v.checkpoints() == 0
                 ? absl::StrCat(
                       "no checkpoint to check: no signature was checked "
                       "(audit key ",
                       v.key_id, ")")
                 : absl::StrCat("checkpoint signatures checked with audit key ",
                                v.key_id))
          : "checkpoint signatures NOT checked (--skip-signatures): a log "
            "rewritten from scratch would pass; pass --audit-public-key FILE "
            "to check them";
  out << "\n";
  if (v.ok()) {
    out << (v.signatures_checked ? "OK: " : "OK (hash chains only): ")
        << Plural(v.files.size(), "file", "files") << ", "
        << Plural(v.lines(), "line", "lines") << " intact";
    if (v.unsigned_records() > 0) {
      out << " (" << Plural(v.unsigned_records(), "record", "records")
          << " not signed yet)";
    }
    out << "; " << how << "\n";
    return;
  }
  out << "FAILED: ";
  if (failed > 0) {
    out << failed << " of " << v.files.size()
        << (v.files.size() == 1 ? " file" : " files")
        << (failed == 1 ? " is" : " are") << " not intact";
    if (!v.problems.empty()) out << ", and ";
  }
  if (!v.problems.empty()) {
    out << Plural(v.problems.size(), "replica is", "replicas are")
        << " in more than one file";
  }
  out << "; " << how << "\n";
}

nlohmann::ordered_json VerificationJson(const FilesVerification& v) {
  using nlohmann::ordered_json;
  ordered_json j = ordered_json::object();
  j["ok"] = v.ok();
  j["signatures_checked"] = v.signatures_checked;
  j["key_id"] = v.signatures_checked ? ordered_json(v.key_id) : ordered_json();
  j["require_signed"] = v.require_signed;
  j["lines"] = v.lines();
  j["records"] = v.records();
  j["unsigned_records"] = v.unsigned_records();
  j["checkpoints"] = v.checkpoints();
  j["bytes"] = v.bytes();
  ordered_json files = ordered_json::array();
  for (const auto& f : v.files) {
    ordered_json o = ordered_json::object();
    o["file"] = f.path;
    o["ok"] = f.ok() && !(v.require_signed && !Closed(f.v));
    o["last_checkpoint_reason"] = f.v.last_checkpoint_reason;
    o["error"] = f.read_status.ok()
                     ? ordered_json()
                     : ordered_json(std::string(f.read_status.message()));
    o["replica"] = f.v.replica;
    o["lines"] = f.v.lines;
    o["records"] = f.v.records;
    o["checkpoints"] = f.v.checkpoints;
    o["bytes"] = f.v.bytes;
    o["first_time"] = f.v.first_time;
    o["last_time"] = f.v.last_time;
    o["last_checkpoint_line"] = f.v.last_checkpoint_line;
    o["unsigned_records"] = f.v.unsigned_records;
    o["key_id"] = f.v.key_id;
    if (f.v.failure) {
      o["failure"] = {
          {"line", f.v.failure->line},
          {"kind", f.v.failure->kind},
          {"title",
           std::string(secretd::audit::FailureTitle(f.v.failure->kind))},
          {"message", f.v.failure->message}};
    } else {
      o["failure"] = nullptr;
    }
    files.push_back(std::move(o));
  }
  j["files"] = std::move(files);
  ordered_json problems = ordered_json::array();
  for (const auto& p : v.problems) {
    problems.push_back(
        {{"kind", p.kind}, {"files", p.files}, {"message", p.message}});
  }
  j["problems"] = std::move(problems);
  return j;
}

std::string VerificationJsonText(const FilesVerification& v) {
  return common::TerminalSafeJson(VerificationJson(v).dump(
      2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace secretctl
