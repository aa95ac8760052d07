#include "secretd/audit/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace secretd::audit {
namespace {

constexpr size_t kChunk = 1 << 20;

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogFile>> LogFile::Open(
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
  Stat at_open;
  at_open.dev = st.st_dev;
  at_open.ino = st.st_ino;
  at_open.size = static_cast<uint64_t>(st.st_size);
  at_open.mtime = st.st_mtim;
  at_open.ctime = st.st_ctim;
  return std::unique_ptr<LogFile>(new LogFile(path, fd, at_open));
}

LogFile::LogFile(std::string path, int fd, const Stat& at_open)
    : path_(std::move(path)), fd_(fd), at_open_(at_open) {}

LogFile::~LogFile() { close(fd_); }

absl::StatusOr<LogFile::Change> LogFile::ChangeSinceOpen() const {
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot examine audit log \"",
                                               path_, "\": ", strerror(errno)));
  }
  struct stat now_at_path;
  if (stat(path_.c_str(), &now_at_path) != 0 ||
      now_at_path.st_dev != at_open_.dev ||
      now_at_path.st_ino != at_open_.ino) {
    return Change::kReplaced;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (st.st_dev != at_open_.dev || st.st_ino != at_open_.ino ||
      size < at_open_.size) {
    return Change::kRewritten;
  }
  if (size > at_open_.size) return Change::kGrew;
  if (!SameTime(st.st_mtim, at_open_.mtime) ||
      !SameTime(st.st_ctim, at_open_.ctime)) {
    return Change::kRewritten;
  }
  return Change::kNone;
}

absl::StatusOr<std::unique_ptr<LogReader>> LogReader::Open(
    const std::string& path) {
  auto file = LogFile::Open(path);
  if (!file.ok()) return file.status();
  const LogFile& ref = **file;
  return std::unique_ptr<LogReader>(
      new LogReader(std::move(*file), ref, kNoLimit));
}

std::unique_ptr<LogReader> LogReader::Read(const LogFile& file,
                                           uint64_t limit) {
  return std::unique_ptr<LogReader>(new LogReader(nullptr, file, limit));
}

LogReader::LogReader(std::unique_ptr<LogFile> owned, const LogFile& file,
                     uint64_t limit)
    : owned_(std::move(owned)), file_(file), limit_(limit) {
  buf_.resize(kChunk + kMaxLineBytes);
}

LogReader::~LogReader() = default;

bool LogReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (true) {
    const size_t room = static_cast<size_t>(std::min<uint64_t>(
        std::min(kChunk, buf_.size() - end_), limit_ - offset_));
    if (room == 0) {
      eof_ = true;
      return false;
    }
    ssize_t got = pread(file_.fd(), buf_.data() + end_, room,
                        static_cast<off_t>(offset_));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status_ = absl::UnavailableError(absl::StrCat(
          "reading audit log \"", path(), "\" failed: ", strerror(errno)));
      return false;
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(got);
    offset_ += static_cast<uint64_t>(got);
    return true;
  }
}

bool LogReader::TooLong() {
  status_ = absl::DataLossError(absl::StrCat(
      "audit log \"", path(), "\": line ", line_number_ + 1, " is longer than ",
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
