// FileAuditWriter: the durable, hash-chained audit log of one broker replica.
//
//   ASSIGN_OR_RETURN(auto writer, FileAuditWriter::Open(
//       {.directory = data_dir + "/audit", .replica = "host-a"}, signer,
//       clock));
//   RETURN_IF_ERROR(writer->Append(record));   // durable when OK
//   writer->Close();                           // final "shutdown" checkpoint
//
// One file per replica: DIRECTORY/audit-<replica>.jsonl (mode 0600), held
// with an exclusive flock so two processes never write one file. Reopening
// continues the chain from the last complete line; a torn last line (a crash
// during a write that was never acknowledged) is cut off and logged.
//
// Group commit: concurrent Append calls share one write(2) and one
// fdatasync(2). The first caller to find no flush in progress becomes the
// leader and flushes everything queued so far; the others wait for it.
//
// Fail closed: when a write or fsync fails (disk full, file size limit, I/O
// error, file deleted), every record not yet durable fails with kUnavailable,
// the chain head rolls back to the last durable line, the file is truncated
// back to it, and Healthy() reports false until a later write succeeds. If
// the truncation itself cannot be confirmed, the writer refuses every record
// until the process restarts (reopening re-reads the real tail).
//
// The file is opened without following symlinks and must be a regular file
// with no group/other permission bits; a new file's directory is fsync'ed.
//
// Checkpoints (record.h) are appended after every `checkpoint_every` records,
// by MaybeCheckpoint() once `checkpoint_interval` has passed with records
// since the last one (the broker calls it from a timer), and by Close().
//
// Thread-safe. The writer ignores SIGXFSZ for the process so that a file
// size limit surfaces as a write error (EFBIG), not a kill.
#ifndef SECRETD_SECRETD_AUDIT_FILE_AUDIT_WRITER_H_
#define SECRETD_SECRETD_AUDIT_FILE_AUDIT_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/audit/record.h"

namespace secretd::audit {

// Signs checkpoint messages with the audit key (Ed25519). Thread-safe.
class CheckpointSigner {
 public:
  virtual ~CheckpointSigner() = default;
  // The 64-byte Ed25519 signature of `message`.
  virtual absl::StatusOr<std::string> Sign(absl::string_view message) const = 0;
  // First 16 hex digits of SHA-256 of the public key.
  virtual std::string KeyId() const = 0;
};

struct FileAuditWriterOptions {
  std::string directory;
  std::string replica;
  uint64_t checkpoint_every = 1000;  // records; 0 = never by count
  absl::Duration checkpoint_interval = absl::Seconds(60);
};

class FileAuditWriter final : public AuditSink {
 public:
  // Opens (creating if needed) the replica's log file. kInvalidArgument for a
  // bad replica id; kFailedPrecondition if the directory is missing, the file
  // is locked by another process or its last line is not a valid record;
  // kUnavailable for other I/O errors. `signer` and `clock` must outlive the
  // writer.
  static absl::StatusOr<std::unique_ptr<FileAuditWriter>> Open(
      const FileAuditWriterOptions& options, const CheckpointSigner& signer,
      const common::Clock& clock);

  ~FileAuditWriter() override;
  FileAuditWriter(const FileAuditWriter&) = delete;
  FileAuditWriter& operator=(const FileAuditWriter&) = delete;

  absl::Status Append(const Record& record) override;
  bool Healthy() const override;

  // Appends a checkpoint if `checkpoint_interval` has passed since the last
  // one and records were written since. OK if none was due.
  absl::Status MaybeCheckpoint();
  // Appends a final "shutdown" checkpoint and closes the file. The
  // checkpoint is written even when no record follows the last checkpoint,
  // or the log has no record at all ("records":0, and on an empty file seq 1
  // with the genesis prev): a cleanly stopped broker's log never ends
  // otherwise, and is never empty. Further Appends fail with
  // kFailedPrecondition. Idempotent.
  absl::Status Close();

  const std::string& path() const { return path_; }

  // Counters for metrics. `flushes` < `lines` shows group commit at work.
  struct Stats {
    uint64_t lines = 0;    // durable lines, checkpoints included
    uint64_t flushes = 0;  // successful write + fdatasync rounds
    uint64_t failures = 0;
    absl::Duration fsync_time;  // total time spent in fdatasync (monotonic)
  };
  Stats stats() const;
  // Called after every fdatasync with its duration, outside the writer's
  // lock (for a latency histogram). Set before the first Append.
  void set_fsync_observer(std::function<void(absl::Duration)> observer) {
    fsync_observer_ = std::move(observer);
  }
  // The seq of the last durable line (0 for an empty file).
  uint64_t durable_seq() const;

 private:
  struct ChainHead {
    uint64_t seq = 0;
    Sha256 prev_line_hash = GenesisPrev();
  };

  FileAuditWriter(std::string path, int fd,
                  const FileAuditWriterOptions& options,
                  const CheckpointSigner& signer, const common::Clock& clock,
                  ChainHead head, uint64_t size);

  // Lines queued together; flushed with one write and one fdatasync.
  struct Batch {
    std::string lines;
    bool done = false;
    absl::Status status;
    ChainHead head_after;
    uint64_t records_since_checkpoint_after = 0;
    absl::Time last_checkpoint_time_after;
  };

  // Queues `record` (may be null) and a checkpoint if one is due by count or
  // `checkpoint_reason` is set, then waits until the batch is durable or
  // failed.
  absl::Status Enqueue(const Record* record,
                       absl::string_view checkpoint_reason);
  void QueueLineLocked(const Record& record, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status QueueCheckpointLocked(absl::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `lines` at the end of the file and fdatasyncs them; sets
  // `fsync_time` to the time fdatasync took.
  absl::Status WriteAndSync(absl::string_view lines,
                            absl::Duration* fsync_time);

  const std::string path_;
  const int fd_;
  const FileAuditWriterOptions options_;
  const CheckpointSigner& signer_;
  const common::Clock& clock_;

  mutable absl::Mutex mu_;
  absl::CondVar batch_done_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool healthy_ ABSL_GUARDED_BY(mu_) = true;
  // Set when a failed write could not be removed from the file: the writer
  // refuses everything until the process restarts.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;
  // The batch new lines join; swapped out by the flushing leader.
  std::shared_ptr<Batch> open_batch_ ABSL_GUARDED_BY(mu_);
  // State after every queued line (pending_) and after the last durable one.
  ChainHead pending_head_ ABSL_GUARDED_BY(mu_);
  ChainHead durable_head_ ABSL_GUARDED_BY(mu_);
  uint64_t pending_since_checkpoint_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_since_checkpoint_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time pending_checkpoint_time_ ABSL_GUARDED_BY(mu_);
  absl::Time durable_checkpoint_time_ ABSL_GUARDED_BY(mu_);
  uint64_t durable_size_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::function<void(absl::Duration)> fsync_observer_;
};

// Reads the chain head of an existing log (the last complete line).
// `truncate_torn_tail`: cut a final line without "\n" off the file.
// Exposed for tests and tools.
struct LogTail {
  uint64_t seq = 0;
  Sha256 last_line_hash = GenesisPrev();
  uint64_t size = 0;        // bytes of complete lines
  uint64_t torn_bytes = 0;  // bytes after the last "\n"
};
absl::StatusOr<LogTail> ReadLogTail(int fd);

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_FILE_AUDIT_WRITER_H_
