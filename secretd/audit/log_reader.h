// LogReader: reads an audit log file line by line in constant memory.
//
//   ASSIGN_OR_RETURN(auto reader, LogReader::Open(path));
//   absl::string_view line;
//   while (reader->Next(&line)) { ... reader->line_number() ... }
//   RETURN_IF_ERROR(reader->status());
//   if (!reader->torn_tail().empty()) { ... the last line has no "\n" ... }
//
// The file is read in 1 MiB chunks into one buffer; a returned line points
// into it and is valid until the next call to Next. No line may exceed
// kMaxLineBytes (no record comes anywhere near it). Not thread-safe.
//
// LogFile: a log opened once, for readers that read it more than once
// (`secretctl audit query --verify` and `report` verify a log, then read it
// again). Every pass reads the same open file from its start, so a file
// renamed into the log's place meanwhile is never read, and
// ChangeSinceOpen() tells whether the file itself was written to:
//
//   ASSIGN_OR_RETURN(auto file, LogFile::Open(path));
//   auto first = LogReader::Read(*file);                 // verify
//   auto second = LogReader::Read(*file, verified_bytes);  // read again
//   ASSIGN_OR_RETURN(LogFile::Change c, file->ChangeSinceOpen());
#ifndef SECRETD_SECRETD_AUDIT_LOG_READER_H_
#define SECRETD_SECRETD_AUDIT_LOG_READER_H_

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::audit {

inline constexpr size_t kMaxLineBytes = 1 << 20;
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

class LogFile final {
 public:
  // Opens `path` read-only and records what fstat says of it (device,
  // inode, size, modification and change times). kNotFound if it does not
  // exist, kUnavailable if it cannot be opened or is a directory.
  static absl::StatusOr<std::unique_ptr<LogFile>> Open(const std::string& path);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  uint64_t size_at_open() const { return at_open_.size; }

  enum class Change {
    kNone,       // fstat shows exactly what it showed at open
    kGrew,       // the same file, larger: appended to (or written anywhere,
                 // and appended to: compare what was read to tell)
    kRewritten,  // smaller, or the same size with a new modification or
                 // change time: written in place, truncated, or its
                 // metadata changed (a change time cannot be set back
                 // without privileges)
    kReplaced,   // the path names another file now, or none
  };
  // What stat of the path and fstat of the open file say now, compared
  // with at open (kReplaced first, then kRewritten, kGrew). kUnavailable if
  // fstat fails.
  absl::StatusOr<Change> ChangeSinceOpen() const;

 private:
  struct Stat {
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t size = 0;
    timespec mtime{};
    timespec ctime{};
  };
  LogFile(std::string path, int fd, const Stat& at_open);

  const std::string path_;
  const int fd_;
  const Stat at_open_;
};

class LogReader final {
 public:
  // Opens `path` for sequential reading. kNotFound if it does not exist,
  // kUnavailable if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(
      const std::string& path);
  // Reads `file` from its start, at most `limit` bytes (nothing after them
  // is read; a line cut by the limit is the torn tail). Reads use pread, so
  // several readers of one LogFile, one after the other or at once, do not
  // disturb each other. `file` must outlive the reader.
  static std::unique_ptr<LogReader> Read(const LogFile& file,
                                         uint64_t limit = kNoLimit);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Sets `line` to the next complete line (without its "\n") and returns
  // true; false at the end of the file or on an error (see status()).
  bool Next(absl::string_view* line);

  // OK, or kUnavailable for a read error, or kDataLoss for a line longer than
  // kMaxLineBytes. Check it once Next returned false.
  const absl::Status& status() const { return status_; }
  // After Next returned false with an OK status: the bytes after the last
  // "\n" (a line cut short), empty if the file ends with "\n". Valid until
  // the reader is destroyed.
  absl::string_view torn_tail() const { return torn_tail_; }

  // 1-based number of the line Next returned last.
  uint64_t line_number() const { return line_number_; }
  // Bytes of the file consumed so far (complete lines and their "\n").
  uint64_t bytes_consumed() const { return consumed_; }
  // The file's size when it was opened (for progress reports).
  uint64_t size_at_open() const { return file_.size_at_open(); }
  const std::string& path() const { return file_.path(); }

 private:
  LogReader(std::unique_ptr<LogFile> owned, const LogFile& file,
            uint64_t limit);
  // Reads more data after moving the unconsumed bytes to the buffer's start.
  // False at end of file or on error.
  bool Fill();
  // Sets a kDataLoss status for an overlong line; returns false.
  bool TooLong();

  const std::unique_ptr<LogFile> owned_;  // set by Open(path)
  const LogFile& file_;
  const uint64_t limit_;
  uint64_t offset_ = 0;  // where the next pread starts
  std::string buf_;
  size_t begin_ = 0;    // first unconsumed byte in buf_
  size_t end_ = 0;      // end of valid data in buf_
  size_t scanned_ = 0;  // bytes after begin_ known to hold no "\n"
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t consumed_ = 0;
  absl::Status status_;
  absl::string_view torn_tail_;
};

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_LOG_READER_H_
