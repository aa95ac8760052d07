#include "secretd/audit/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace secretd::audit {
namespace {

constexpr size_t kChunk = 1 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<LogReader>> LogReader::Open(
    const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string msg =
        absl::StrCat("cannot open audit log \"", path, "\": ", strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::UnavailableError(msg);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot read audit log \"", path,
                     "\": it is a directory or cannot be examined"));
  }
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<LogReader>(
      new LogReader(path, fd, static_cast<uint64_t>(st.st_size)));
}

LogReader::LogReader(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), size_at_open_(size) {
  buf_.resize(kChunk + kMaxLineBytes);
}

LogReader::~LogReader() { close(fd_); }

bool LogReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (true) {
    const size_t room = std::min(kChunk, buf_.size() - end_);
    ssize_t got = read(fd_, buf_.data() + end_, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status_ = absl::UnavailableError(absl::StrCat(
          "reading audit log \"", path_, "\" failed: ", strerror(errno)));
      return false;
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(got);
    return true;
  }
}

bool LogReader::TooLong() {
  status_ = absl::DataLossError(absl::StrCat(
      "audit log \"", path_, "\": line ", line_number_ + 1, " is longer than ",
      kMaxLineBytes, " bytes; it is not an audit record"));
  return false;
}

bool LogReader::Next(absl::string_view* line) {
  while (true) {
    const char* start = buf_.data() + begin_ + scanned_;
    const size_t avail = end_ - begin_ - scanned_;
    const void* nl = avail > 0 ? std::memchr(start, '\n', avail) : nullptr;
    if (nl != nullptr) {
      const size_t len =
          static_cast<size_t>(static_cast<const char*>(nl) - buf_.data()) -
          begin_;
      if (len > kMaxLineBytes) return TooLong();
      *line = absl::string_view(buf_.data() + begin_, len);
      begin_ += len + 1;
      scanned_ = 0;
      consumed_ += len + 1;
      ++line_number_;
      return true;
    }
    scanned_ = end_ - begin_;
    if (scanned_ > kMaxLineBytes) return TooLong();
    if (!Fill()) {
      if (status_.ok() && end_ > begin_) {
        torn_tail_ = absl::string_view(buf_.data() + begin_, end_ - begin_);
      }
      return false;
    }
  }
}

}  // namespace secretd::audit
