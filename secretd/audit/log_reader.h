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
#ifndef SECRETD_SECRETD_AUDIT_LOG_READER_H_
#define SECRETD_SECRETD_AUDIT_LOG_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::audit {

inline constexpr size_t kMaxLineBytes = 1 << 20;

class LogReader final {
 public:
  // Opens `path` for sequential reading. kNotFound if it does not exist,
  // kUnavailable if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(
      const std::string& path);
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
  uint64_t size_at_open() const { return size_at_open_; }
  const std::string& path() const { return path_; }

 private:
  LogReader(std::string path, int fd, uint64_t size);
  // Reads more data after moving the unconsumed bytes to the buffer's start.
  // False at end of file or on error.
  bool Fill();
  // Sets a kDataLoss status for an overlong line; returns false.
  bool TooLong();

  const std::string path_;
  const int fd_;
  const uint64_t size_at_open_;
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
