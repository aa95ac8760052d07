// Streaming verification of one audit log file (docs/DESIGN.md §7,
// record.h): every line's form, `hash`, `seq` and `prev` link, every
// checkpoint's signature, one replica per file. Constant memory: the file is
// read in 1 MiB chunks and only the previous line's hash is kept.
//
// The result names the first bad line (1-based) and what is wrong, with a
// stable `kind` for tools:
//   truncated_line   the last line has no "\n" (the tail was cut mid-record)
//   malformed        not a record of the fixed form, or not valid JSON
//   hash_mismatch    the record's content does not match its `hash` (edited)
//   seq_gap          `seq` is not the previous seq + 1 (records deleted,
//                    inserted or reordered)
//   chain_break      `prev` is not the SHA-256 of the previous line (a record
//                    was changed, removed or moved, and hashes recomputed)
//   replica_mismatch a line names another replica than the file's first line
//   unknown_key      a checkpoint's key_id is not the given audit key's
//   bad_signature    a checkpoint's signature does not verify (forged)
// Records after the last checkpoint are not an error: they are counted in
// `unsigned_records` (a running broker, a crash, or a cut tail).
#ifndef SECRETD_SECRETD_AUDIT_VERIFIER_H_
#define SECRETD_SECRETD_AUDIT_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::audit {

struct VerifyFailure {
  uint64_t line = 0;
  std::string kind;
  std::string message;
};

struct FileVerification {
  std::string replica;
  uint64_t lines = 0;        // complete lines read
  uint64_t checkpoints = 0;  // valid checkpoints
  uint64_t bytes = 0;
  uint64_t last_checkpoint_line = 0;  // 0 if none
  uint64_t unsigned_records = 0;      // lines after the last checkpoint
  std::optional<VerifyFailure> failure;
};

// Checks a checkpoint signature. `key_id` is the record's claim; return
// kind "unknown_key" / "bad_signature" by returning the matching code:
// kNotFound for an unknown key id, kUnauthenticated for a bad signature.
using CheckpointCheck = std::function<absl::Status(absl::string_view message,
                                                   absl::string_view signature,
                                                   absl::string_view key_id)>;

struct VerifyOptions {
  // Without it, checkpoints are checked for form only.
  CheckpointCheck check_checkpoint;
  // Called every few MiB with the bytes read so far.
  std::function<void(uint64_t bytes)> progress;
};

// Verifies the log at `path`. kNotFound / kUnavailable if it cannot be read;
// otherwise OK with `failure` set for a tampered or damaged log.
absl::StatusOr<FileVerification> VerifyLogFile(const std::string& path,
                                               const VerifyOptions& options);

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_VERIFIER_H_
