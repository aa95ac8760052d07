// Streaming verification of one audit log file (docs/audit.md, record.h):
// every line's form, `hash`, `seq` and `prev` link, every checkpoint's form
// and signature, one replica per file. Constant memory: the file is read in
// 1 MiB chunks (log_reader.h) and only the previous line's hash is kept.
//
//   VerifyOptions options;
//   options.check_checkpoint = ...;  // Ed25519 with the audit public key
//   ASSIGN_OR_RETURN(FileVerification v, VerifyLogFile(path, options));
//   if (v.failure) std::cerr << path << ":" << v.failure->line << ": "
//                            << FailureTitle(v.failure->kind) << ": "
//                            << v.failure->message << "\n";
//
// Verification stops at the first bad line. The result names that line
// (1-based), a stable `kind` for tools and one human sentence:
//
//   kind               title               what it means
//   truncated_line     truncated tail      the last line has no "\n": the file
//                                          was cut mid-record (or the broker
//                                          crashed while writing it)
//   malformed          malformed line      not a record of the fixed form
//   hash_mismatch      edited record       the content does not match `hash`
//   records_missing    deleted records     `seq` jumps forward and the
//                                          skipped seqs do not appear later
//   records_reordered  reordered records   `seq` is out of order: a later or
//                                          earlier record was moved here, or
//                                          one was duplicated
//   chain_break        broken chain        `prev` is not the hash of the line
//                                          before: that line was edited and
//                                          its hash recomputed, or replaced
//   replica_mismatch   foreign record      another replica's record
//   unknown_key        unknown signing key a checkpoint names another key
//   bad_signature      forged checkpoint   a checkpoint's signature does not
//                                          verify (forged, or the lines
//                                          before it rewritten and rehashed)
//
// Records after the last checkpoint are not an error: they are counted in
// `unsigned_records` (a running broker, a crash, or a tail cut at a line
// boundary). A verifier cannot tell which; the caller reports them.
//
// Line contents are read with the fast scanners of envelope.h: every line's
// envelope (seq, time, replica, type, request_id) and every checkpoint's
// members are checked for their exact form; the other members of a record
// are protected by its hash and the chain but not parsed (readers that
// need them, such as `secretctl audit query`, parse them and report lines
// that are not valid JSON).
#ifndef SECRETD_SECRETD_AUDIT_VERIFIER_H_
#define SECRETD_SECRETD_AUDIT_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/record.h"

namespace secretd::audit {

struct VerifyFailure {
  uint64_t line = 0;
  std::string kind;     // see the table above
  std::string message;  // one sentence naming the line, no trailing period
};

// The title of a failure kind ("edited record"), or the kind itself if
// unknown.
absl::string_view FailureTitle(absl::string_view kind);

struct FileVerification {
  std::string replica;       // of the first line
  uint64_t lines = 0;        // lines verified (before the failure, if any)
  uint64_t records = 0;      // non-checkpoint lines among them
  uint64_t checkpoints = 0;  // valid checkpoints
  uint64_t bytes = 0;        // bytes read
  uint64_t last_checkpoint_line = 0;  // 0 if none
  // "count", "interval" or "shutdown" ("" if none): a log of a stopped
  // broker ends with a signed "shutdown" checkpoint.
  std::string last_checkpoint_reason;
  uint64_t unsigned_records = 0;  // records after the last checkpoint
                                  // (0 when verification failed)
  std::string first_time;         // `time` of the first and last line read
  std::string last_time;
  std::string key_id;  // the key_id of the last valid checkpoint
  bool signatures_checked = false;
  std::optional<VerifyFailure> failure;
  // SHA-256 of line `lines` as it was read (the prev a next line would
  // need); GenesisPrev() (zeros) if no line was verified.
  Sha256 last_line_hash = GenesisPrev();
};

// Checks a checkpoint signature (64 raw bytes) over `message` made by the key
// `key_id` claims. Return kNotFound if `key_id` is not the audit key's
// (reported as unknown_key) and any other error if the signature does not
// verify (bad_signature).
using CheckpointCheck = std::function<absl::Status(absl::string_view message,
                                                   absl::string_view signature,
                                                   absl::string_view key_id)>;

struct VerifyOptions {
  // Without it, checkpoints are checked for form only and
  // `signatures_checked` is false.
  CheckpointCheck check_checkpoint;
  // Called every few MiB, and once at the end, with the bytes read so far.
  std::function<void(uint64_t bytes)> progress;
};

// Verifies the open log `file` from its start (log_reader.h: the file can be
// read again afterwards, e.g. with RereadCheck). kUnavailable if it cannot be
// read; otherwise OK with `failure` set for a tampered or damaged log.
// Thread-compatible: verify several files from several threads with one
// VerifyOptions each.
absl::StatusOr<FileVerification> VerifyLog(const LogFile& file,
                                           const VerifyOptions& options);
// Opens `path` and verifies it. kNotFound if it does not exist, kUnavailable
// if it cannot be opened; otherwise as VerifyLog.
absl::StatusOr<FileVerification> VerifyLogFile(const std::string& path,
                                               const VerifyOptions& options);

// Proves that a second read of a log that verified intact saw exactly the
// lines that were verified, in constant memory and without trusting file
// times: every line's `prev` must be the SHA-256 of the line before it as
// read the second time, the number of lines must be the same, and the last
// line must hash to `last_line_hash`. By the chain, that fixes every line.
//
//   RereadCheck check(verification);  // of a file with no failure
//   while (reader->Next(&line)) { check.Add(line); ... }
//   if (!check.Same()) ... the file changed between the two reads ...
class RereadCheck final {
 public:
  explicit RereadCheck(const FileVerification& verified);
  // The next line of the second read (without "\n").
  void Add(absl::string_view line);
  // After the last line: true if the lines were exactly the verified ones.
  bool Same() const;

 private:
  const uint64_t lines_;
  const Sha256 last_line_hash_;
  uint64_t seen_ = 0;
  Sha256 prev_ = GenesisPrev();
  bool linked_ = true;
};

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_VERIFIER_H_
