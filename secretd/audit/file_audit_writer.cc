#include "secretd/audit/file_audit_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace secretd::audit {
namespace {

std::string ErrnoText(int err) { return std::string(strerror(err)); }

absl::Status IoError(absl::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(
      absl::StrCat(what, " \"", path, "\" failed: ", ErrnoText(err)));
}

// Reads [offset, offset + n) of fd.
absl::StatusOr<std::string> ReadAt(int fd, uint64_t offset, size_t n) {
  std::string buf(n, '\0');
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, buf.data() + done, n - done,
                      static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      return absl::UnavailableError(
          absl::StrCat("read failed: ", ErrnoText(errno)));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  buf.resize(done);
  return buf;
}

}  // namespace

absl::StatusOr<LogTail> ReadLogTail(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::UnavailableError(
        absl::StrCat("fstat failed: ", ErrnoText(errno)));
  }
  LogTail tail;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return tail;
  // Scan backwards in chunks for the last two newlines.
  constexpr size_t kChunk = 64 * 1024;
  uint64_t end = size;
  std::string suffix;  // bytes from some offset to `size`
  uint64_t suffix_start = size;
  size_t last_nl = std::string::npos;
  while (true) {
    const uint64_t start = end > kChunk ? end - kChunk : 0;
    ASSIGN_OR_RETURN(std::string chunk, ReadAt(fd, start, end - start));
    suffix = chunk + suffix;
    suffix_start = start;
    end = start;
    if (last_nl == std::string::npos)
      last_nl = suffix.rfind('\n');
    else
      last_nl += chunk.size();
    if (last_nl != std::string::npos) {
      size_t prev_nl =
          last_nl == 0 ? std::string::npos : suffix.rfind('\n', last_nl - 1);
      if (prev_nl != std::string::npos || start == 0) {
        const size_t line_start =
            prev_nl == std::string::npos ? 0 : prev_nl + 1;
        absl::string_view line(suffix.data() + line_start,
                               last_nl - line_start);
        tail.size = suffix_start + last_nl + 1;
        tail.torn_bytes = size - tail.size;
        auto fields = SplitLine(line);
        if (!fields.ok()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the last complete line of the audit log is not a valid record (",
              fields.status().message(),
              "); run \"secretctl audit verify\" on it and move it aside"));
        }
        tail.seq = fields->seq;
        tail.last_line_hash = ComputeSha256(line);
        return tail;
      }
    }
    if (start == 0) {
      // No complete line at all: the whole file is a torn first line.
      tail.size = 0;
      tail.torn_bytes = size;
      return tail;
    }
  }
}

absl::StatusOr<std::unique_ptr<FileAuditWriter>> FileAuditWriter::Open(
    const FileAuditWriterOptions& options, const CheckpointSigner& signer,
    const common::Clock& clock) {
  RETURN_IF_ERROR(ValidateReplicaId(options.replica));
  struct stat dir_st;
  if (stat(options.directory.c_str(), &dir_st) != 0 ||
      !S_ISDIR(dir_st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit directory \"", options.directory,
                     "\" does not exist; create it or run \"secretctl init\""));
  }
  // A size limit must surface as EFBIG from write(2), not kill the process.
  signal(SIGXFSZ, SIG_IGN);
  std::string path =
      absl::StrCat(options.directory, "/audit-", options.replica, ".jsonl");
  bool created = true;
  int fd =
      open(path.c_str(),
           O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(
          absl::StrCat("audit log \"", path,
                       "\" is a symbolic link; refusing to follow it"));
    }
    return IoError("opening audit log", path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    const mode_t mode = st.st_mode & 0777;
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "audit log \"", path,
        "\" must be a regular file only its owner can read (mode ",
        absl::StrFormat("%04o", mode), "); run: chmod 600 ", path));
  }
  if (created) {
    // Make the new file's directory entry durable before any record is
    // acknowledged in it.
    int dir_fd =
        open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || fsync(dir_fd) != 0) {
      int err = errno;
      if (dir_fd >= 0) close(dir_fd);
      close(fd);
      return IoError("syncing audit directory", options.directory, err);
    }
    close(dir_fd);
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "audit log \"", path,
          "\" is in use by another process; give each replica its own "
          "--replica-id"));
    }
    return IoError("locking audit log", path, err);
  }
  auto tail = ReadLogTail(fd);
  if (!tail.ok()) {
    close(fd);
    return common::Annotate(tail.status(),
                            absl::StrCat("audit log \"", path, "\""));
  }
  if (tail->torn_bytes > 0) {
    // The torn line was never acknowledged: its write did not finish, so no
    // answer depended on it.
    if (ftruncate(fd, static_cast<off_t>(tail->size)) != 0 ||
        fdatasync(fd) != 0) {
      int err = errno;
      close(fd);
      return IoError("truncating torn tail of audit log", path, err);
    }
    common::log::Warning("cut a torn last line off the audit log",
                         {{"path", path}, {"bytes", tail->torn_bytes}});
  }
  ChainHead head{tail->seq, tail->last_line_hash};
  return std::unique_ptr<FileAuditWriter>(new FileAuditWriter(
      std::move(path), fd, options, signer, clock, head, tail->size));
}

FileAuditWriter::FileAuditWriter(std::string path, int fd,
                                 const FileAuditWriterOptions& options,
                                 const CheckpointSigner& signer,
                                 const common::Clock& clock, ChainHead head,
                                 uint64_t size)
    : path_(std::move(path)),
      fd_(fd),
      options_(options),
      signer_(signer),
      clock_(clock),
      pending_head_(head),
      durable_head_(head),
      pending_checkpoint_time_(clock.Now()),
      durable_checkpoint_time_(pending_checkpoint_time_),
      durable_size_(size) {}

FileAuditWriter::~FileAuditWriter() {
  (void)Close();
  close(fd_);
}

bool FileAuditWriter::Healthy() const {
  absl::MutexLock lock(&mu_);
  return healthy_ && !broken_ && !closed_;
}

uint64_t FileAuditWriter::durable_seq() const {
  absl::MutexLock lock(&mu_);
  return durable_head_.seq;
}

absl::Status FileAuditWriter::Append(const Record& record) {
  if (record.type == kCheckpointType) {
    return absl::InvalidArgumentError(
        "checkpoint records are written by the writer");
  }
  // Readers accept only printable ASCII ids (envelope.h): never write a line
  // they would call malformed.
  if (record.request_id.size() > 128) {
    return absl::InvalidArgumentError("audit request_id longer than 128 bytes");
  }
  for (char c : record.request_id) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
      return absl::InvalidArgumentError(
          "audit request_id must be printable ASCII without '\"' or '\\'");
    }
  }
  return Enqueue(&record, "");
}

absl::Status FileAuditWriter::MaybeCheckpoint() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || pending_since_checkpoint_ == 0 ||
        clock_.Now() - pending_checkpoint_time_ <
            options_.checkpoint_interval) {
      return absl::OkStatus();
    }
  }
  return Enqueue(nullptr, "interval");
}

absl::Status FileAuditWriter::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::OkStatus();
  }
  // Always, even with no record since the last checkpoint (or none at all):
  // a log of a broker that stopped cleanly ends with its signed shutdown
  // checkpoint, which `secretctl audit verify --require-signed` demands, so
  // an emptied log, or one cut back to an earlier checkpoint, is told apart
  // from a clean stop.
  absl::Status s = Enqueue(nullptr, "shutdown");
  absl::MutexLock lock(&mu_);
  while (flushing_) batch_done_.Wait(&mu_);
  closed_ = true;
  return s;
}

void FileAuditWriter::QueueLineLocked(const Record& record, absl::Time now) {
  const uint64_t seq = pending_head_.seq + 1;
  std::string line = SerializeLine(record, seq, now, options_.replica,
                                   pending_head_.prev_line_hash);
  pending_head_.seq = seq;
  pending_head_.prev_line_hash =
      ComputeSha256(absl::string_view(line.data(), line.size() - 1));
  if (open_batch_ == nullptr) open_batch_ = std::make_shared<Batch>();
  open_batch_->lines += line;
}

absl::Status FileAuditWriter::QueueCheckpointLocked(absl::string_view reason) {
  const uint64_t seq = pending_head_.seq + 1;
  const absl::Time now = clock_.Now();
  // The signed time is the text the line will carry.
  const std::string time_text = FormatRecordTime(now);
  CheckpointClaims claims{time_text, pending_since_checkpoint_, reason};
  ASSIGN_OR_RETURN(std::string signature, signer_.Sign(CheckpointMessage(
                                              options_.replica, seq, claims,
                                              pending_head_.prev_line_hash)));
  QueueLineLocked(MakeCheckpointRecord(pending_since_checkpoint_, reason,
                                       signer_.KeyId(), signature),
                  now);
  pending_since_checkpoint_ = 0;
  pending_checkpoint_time_ = now;
  return absl::OkStatus();
}

absl::Status FileAuditWriter::Enqueue(const Record* record,
                                      absl::string_view checkpoint_reason) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit log \"", path_, "\" is closed"));
  }
  if (broken_) {
    return absl::UnavailableError(absl::StrCat(
        "audit log \"", path_,
        "\" is in an unknown state after a failed write; check the disk and "
        "restart secretd"));
  }
  if (record != nullptr) {
    QueueLineLocked(*record, clock_.Now());
    ++pending_since_checkpoint_;
  }
  const bool due_by_count =
      options_.checkpoint_every > 0 &&
      pending_since_checkpoint_ >= options_.checkpoint_every;
  if (!checkpoint_reason.empty() || due_by_count) {
    absl::Status s = QueueCheckpointLocked(
        checkpoint_reason.empty() ? "count" : checkpoint_reason);
    if (!s.ok() && record == nullptr) return s;
    // A failed signature leaves the record queued; the next checkpoint covers
    // it.
    if (!s.ok()) {
      common::log::Error("audit checkpoint signature failed", {{"status", s}});
    }
  }
  std::shared_ptr<Batch> mine = open_batch_;
  if (mine == nullptr) return absl::OkStatus();  // nothing was queued
  mine->head_after = pending_head_;
  mine->records_since_checkpoint_after = pending_since_checkpoint_;
  mine->last_checkpoint_time_after = pending_checkpoint_time_;

  while (!mine->done) {
    if (flushing_) {
      batch_done_.Wait(&mu_);
      continue;
    }
    // Become the leader: flush the open batch (which contains ours).
    flushing_ = true;
    std::shared_ptr<Batch> batch = std::move(open_batch_);
    open_batch_ = nullptr;
    const uint64_t size_before = durable_size_;
    mu_.Unlock();
    absl::Duration fsync_time;
    absl::Status s = WriteAndSync(batch->lines, &fsync_time);
    if (s.ok() && fsync_observer_) fsync_observer_(fsync_time);
    mu_.Lock();
    flushing_ = false;
    batch->done = true;
    batch->status = s;
    if (s.ok()) {
      durable_size_ = size_before + batch->lines.size();
      durable_head_ = batch->head_after;
      durable_since_checkpoint_ = batch->records_since_checkpoint_after;
      durable_checkpoint_time_ = batch->last_checkpoint_time_after;
      healthy_ = true;
      stats_.lines += static_cast<uint64_t>(
          std::count(batch->lines.begin(), batch->lines.end(), '\n'));
      ++stats_.flushes;
      stats_.fsync_time += fsync_time;
    } else {
      // Lines queued meanwhile are chained onto the failed ones: fail them
      // too, and roll the head back to the last durable line.
      if (open_batch_ != nullptr) {
        open_batch_->done = true;
        open_batch_->status = s;
        open_batch_ = nullptr;
      }
      pending_head_ = durable_head_;
      pending_since_checkpoint_ = durable_since_checkpoint_;
      pending_checkpoint_time_ = durable_checkpoint_time_;
      // The failed lines may be (partly) in the file. Cut them off and make
      // sure they are gone (if the cut itself is lost in a crash, the file
      // holds records of requests that were refused: more record than
      // release, never less); if that cannot be proven the file is in an
      // unknown state and the writer stops for good (a later write would
      // chain onto lines that may or may not be there).
      struct stat st;
      if (ftruncate(fd_, static_cast<off_t>(durable_size_)) != 0 ||
          fstat(fd_, &st) != 0 ||
          static_cast<uint64_t>(st.st_size) != durable_size_) {
        broken_ = true;
        common::log::Error(
            "cannot remove a failed write from the audit log; refusing every "
            "request until secretd is restarted",
            {{"path", path_}, {"error", ErrnoText(errno)}});
      }
      if (healthy_) {
        common::log::Error(
            "audit log write failed; refusing requests until it works",
            {{"path", path_}, {"status", s}});
      }
      healthy_ = false;
      ++stats_.failures;
    }
    batch_done_.SignalAll();
  }
  if (!mine->status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("audit record not durable: ", mine->status.message()));
  }
  return absl::OkStatus();
}

FileAuditWriter::Stats FileAuditWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status FileAuditWriter::WriteAndSync(absl::string_view lines,
                                           absl::Duration* fsync_time) {
  struct stat st;
  if (fstat(fd_, &st) != 0) return IoError("fstat of audit log", path_, errno);
  if (st.st_nlink == 0) {
    return absl::UnavailableError(absl::StrCat(
        "audit log \"", path_, "\" was deleted; restore the audit directory"));
  }
  while (!lines.empty()) {
    ssize_t n = write(fd_, lines.data(), lines.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing audit log", path_, errno);
    }
    lines.remove_prefix(static_cast<size_t>(n));
  }
  const auto start = std::chrono::steady_clock::now();
  if (fdatasync(fd_) != 0) return IoError("fsync of audit log", path_, errno);
  *fsync_time = absl::FromChrono(std::chrono::steady_clock::now() - start);
  return absl::OkStatus();
}

}  // namespace secretd::audit
