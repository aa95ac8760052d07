// `secretctl audit verify`: several replica logs at once (one chain per
// file, secretd/audit/verifier.h), the checks across files, and the report
// for people (text) and scripts (JSON).
//
//   VerifyFilesOptions o;
//   o.key = &audit_key;                        // null: signatures not checked
//   FilesVerification v = VerifyFiles({"a.jsonl", "b.jsonl"}, o);
//   PrintVerificationText(v, std::cout);
//   return v.ok() ? 0 : 1;
//
// To read the logs after verifying them (query --verify, report), keep them
// open and read the same open files, then check that none changed:
//
//   o.keep_open = true;
//   FilesVerification v = VerifyFiles(paths, o);
//   auto stream = EventStream::Read(v.Sources(), filter);
//   while (stream->Next(&e)) ...
//   RETURN_IF_ERROR(stream->status());
//   RETURN_IF_ERROR(v.CheckUnchanged());  // only now use what was read
//
// Across files: each replica must appear in one file only. Two files of the
// same replica are a problem ("duplicate_replica") even when one is an older
// copy of the other, because readers would count its records twice; the
// message says whether they are identical, one a prefix of the other, or
// forked (they differ from some line on: two brokers with one --replica-id,
// or a rewritten log).
#ifndef SECRETD_SECRETCTL_AUDIT_VERIFY_FILES_H_
#define SECRETD_SECRETCTL_AUDIT_VERIFY_FILES_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "secretctl/audit/audit_key.h"
#include "secretctl/audit/events.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/verifier.h"

namespace secretctl {

struct FileResult {
  std::string path;
  absl::Status read_status;  // not OK: the file could not be read
  secretd::audit::FileVerification v;
  // The file as it was opened and verified (with keep_open; null if it could
  // not be opened).
  std::shared_ptr<const secretd::audit::LogFile> file;
  bool ok() const { return read_status.ok() && !v.failure.has_value(); }
};

struct CrossFileProblem {
  std::string kind;  // "duplicate_replica"
  std::vector<std::string> files;
  std::string message;
};

struct FilesVerification {
  std::vector<FileResult> files;
  std::vector<CrossFileProblem> problems;
  bool signatures_checked = false;
  std::string key_id;  // of the key used, if any
  bool require_signed = false;

  // Every file read and intact, no cross-file problem, and (with
  // require_signed) every file closed: no unsigned records and a final
  // "shutdown" checkpoint (so an empty file is not closed).
  bool ok() const;
  // Every file ends with a "shutdown" checkpoint and has no unsigned records
  // after it. An empty file has no checkpoint: it is not closed.
  bool AllClosed() const;
  uint64_t lines() const {
    return Sum(&secretd::audit::FileVerification::lines);
  }
  uint64_t records() const {
    return Sum(&secretd::audit::FileVerification::records);
  }
  uint64_t unsigned_records() const {
    return Sum(&secretd::audit::FileVerification::unsigned_records);
  }
  // Valid checkpoints over all files (0: no signature was checked).
  uint64_t checkpoints() const {
    return Sum(&secretd::audit::FileVerification::checkpoints);
  }
  uint64_t bytes() const {
    return Sum(&secretd::audit::FileVerification::bytes);
  }
  // "a.jsonl:57: edited record: ..." for the first problem; "" if ok().
  std::string FirstProblem() const;

  // With keep_open: the logs that could be read, to read again with
  // EventStream::Read, from the very files that were verified (a file
  // renamed into a log's place since is never read): each log that verified
  // intact up to the bytes verified (records appended since are left out)
  // and checked to read back the same, any other up to its size when
  // opened. Valid while this object lives.
  std::vector<LogSource> Sources() const;
  // After the last read of Sources() ended with an OK status: kAborted
  // (LogChangedMessage) naming the first log whose path names another file
  // now, or that was written in place, truncated or had its metadata
  // changed (fstat: size, modification and change time), or that grew but
  // had not verified intact. A log that verified intact may have grown: its
  // second read was proved to be the verified bytes. kUnavailable if a log
  // cannot be examined.
  absl::Status CheckUnchanged() const;

 private:
  uint64_t Sum(uint64_t secretd::audit::FileVerification::*member) const;
};

struct VerifyFilesOptions {
  const AuditKey* key = nullptr;
  bool require_signed = false;
  // Keep the files open after verification, to read them again
  // (FilesVerification::Sources). Otherwise each is closed once verified.
  bool keep_open = false;
  // Called as the files are read: the file's index and path, and the bytes
  // read so far over all files.
  std::function<void(size_t index, const std::string& path, uint64_t bytes)>
      progress;
};

FilesVerification VerifyFiles(const std::vector<std::string>& paths,
                              const VerifyFilesOptions& options);

// Compares two logs line by line. Returns the first line number where they
// differ (0 if identical); a line missing from the shorter file counts as
// different. `shorter_is_prefix` tells whether that difference is only the
// end of the shorter file.
struct LogComparison {
  uint64_t first_difference = 0;
  bool a_is_prefix = false;  // a ended first, every line of a is in b
  bool b_is_prefix = false;
};
absl::StatusOr<LogComparison> CompareLogs(const std::string& a,
                                          const std::string& b);
absl::StatusOr<LogComparison> CompareLogs(const secretd::audit::LogFile& a,
                                          const secretd::audit::LogFile& b);

// The per-file lines and the verdict, for people. Lines naming a problem
// read "FILE:LINE: TITLE: sentence" (like a compiler's).
void PrintVerificationText(const FilesVerification& v, std::ostream& out);
// The same as a JSON object (the schema is in docs/audit.md).
nlohmann::ordered_json VerificationJson(const FilesVerification& v);
// VerificationJson as text to print (indented by 2): invalid UTF-8 (in file
// names) becomes U+FFFD and every control, bidi or invisible format
// character a \uNNNN escape (common::TerminalSafeJson).
std::string VerificationJsonText(const FilesVerification& v);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_VERIFY_FILES_H_
