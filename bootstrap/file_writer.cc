#include "bootstrap/file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "keys/encoding.h"

namespace bootstrap {
namespace {

constexpr int64_t kTmpfsMagic = 0x01021994;
constexpr int64_t kRamfsMagic = 0x858458f6;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxComponentBytes = 255;
constexpr char kTempPrefix[] = ".bootstrap-tmp-";

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

absl::Status OsError(int err, absl::string_view what, absl::string_view path) {
  std::string msg = absl::StrCat(what, " \"", path, "\": ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOENT:
      return absl::NotFoundError(msg);
    case ELOOP:
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A directory the agent may write into: a directory owned by the agent's
// user or root, not writable by group or others.
absl::Status CheckDirectory(int fd, absl::string_view display) {
  struct stat st;
  if (fstat(fd, &st) != 0) return OsError(errno, "cannot stat", display);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", display, "\" is not a directory"));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "directory \"", display, "\" belongs to uid ", st.st_uid,
        ", not to the agent's user or root; remove it or choose another "
        "--out-dir"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "directory \"%s\" is writable by group or others (mode %04o); run "
        "\"chmod go-w\" on it or choose another --out-dir",
        display, st.st_mode & 07777));
  }
  return absl::OkStatus();
}

absl::Status WriteFully(int fd, const uint8_t* data, size_t size,
                        absl::string_view display) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError(errno, "cannot write", display);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Opens, one component at a time and never following a symlink, the
// directories that hold `path` below `root` (whose name is `root_path`),
// checking each (CheckDirectory). With `created` non-null, missing
// directories are made (mode kDirectoryMode whatever the umask) and their
// relative paths appended to it; otherwise the walk stops at the first
// missing one and returns -1. The descriptors are kept in `open`; the last
// one is returned (`root` for a path without directories).
absl::StatusOr<int> WalkParents(int root, const std::string& root_path,
                                absl::string_view path, std::vector<Fd>& open,
                                std::vector<std::string>* created) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  parts.pop_back();
  int cur = root;
  std::string rel;
  for (absl::string_view part : parts) {
    rel = rel.empty() ? std::string(part) : absl::StrCat(rel, "/", part);
    const std::string display = absl::StrCat(root_path, "/", rel);
    const std::string name(part);
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    Fd fd(openat(cur, name.c_str(), kFlags));
    if (!fd.ok() && errno == ENOENT) {
      if (created == nullptr) return -1;  // made when writing
      if (mkdirat(cur, name.c_str(), 0700) != 0) {
        return OsError(errno, "cannot create directory", display);
      }
      created->push_back(rel);
      fd = Fd(openat(cur, name.c_str(), kFlags));
      if (fd.ok() && fchmod(fd.get(), kDirectoryMode) != 0) {
        return OsError(errno, "cannot set the mode of", display);
      }
    }
    if (!fd.ok()) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return absl::FailedPreconditionError(absl::StrCat(
            "\"", display,
            "\" is a symlink or not a directory; refusing to follow it out "
            "of --out-dir (remove it)"));
      }
      return OsError(errno, "cannot open directory", display);
    }
    if (absl::Status s = CheckDirectory(fd.get(), display); !s.ok()) return s;
    cur = fd.get();
    open.push_back(std::move(fd));
  }
  return cur;
}

// The state of one WriteAll call, undone by Abort() on failure.
class Transaction {
 public:
  Transaction(int root, const std::string& root_path)
      : root_(root), root_path_(root_path) {}

  // Opens (creating as needed) the directory that will hold `path`. Returns
  // its descriptor, owned by the transaction.
  absl::StatusOr<int> OpenParent(absl::string_view path) {
    return WalkParents(root_, root_path_, path, dirs_, &created_dirs_);
  }

  absl::Status WriteTemp(const FileToWrite& file, int dir,
                         keys::RandomSource& random) {
    const std::string display = Display(file.path);
    std::string tmp = absl::StrCat(
        kTempPrefix, keys::HexEncode(keys::RandomBytes(random, 8)));
    Fd fd(openat(dir, tmp.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.ok())
      return OsError(errno, "cannot create a file next to", display);
    absl::string_view base = file.path;
    if (size_t slash = base.rfind('/'); slash != absl::string_view::npos) {
      base.remove_prefix(slash + 1);
    }
    pending_.push_back({dir, tmp, std::string(base), display});
    const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
    if (absl::Status s = WriteFully(fd.get(), file.value->data(access),
                                    file.value->size(), display);
        !s.ok()) {
      return s;
    }
    // The mode first: after the chown the agent no longer owns the file
    // and would need CAP_FOWNER to change it.
    if (fchmod(fd.get(), file.mode) != 0) {
      return OsError(errno, "cannot set the mode of", display);
    }
    if ((file.owner.uid != static_cast<uid_t>(-1) ||
         file.owner.gid != static_cast<gid_t>(-1)) &&
        fchown(fd.get(), file.owner.uid, file.owner.gid) != 0) {
      const int err = errno;
      std::string msg = absl::StrCat(
          "cannot give \"", display, "\" to uid ",
          static_cast<int64_t>(static_cast<int32_t>(file.owner.uid)), " gid ",
          static_cast<int64_t>(static_cast<int32_t>(file.owner.gid)), ": ",
          std::strerror(err));
      if (err == EPERM) {
        absl::StrAppend(&msg,
                        "; setting an OWNER needs root (run bootstrap as "
                        "root, or drop :OWNER)");
        return absl::PermissionDeniedError(msg);
      }
      if (err == EINVAL) {
        absl::StrAppend(&msg,
                        " (the id does not exist in this user namespace)");
      }
      return absl::InternalError(msg);
    }
    if (fsync(fd.get()) != 0) return OsError(errno, "cannot fsync", display);
    return absl::OkStatus();
  }

  absl::Status Commit() {
    for (size_t i = 0; i < pending_.size(); ++i) {
      const Pending& p = pending_[i];
      if (renameat(p.dir, p.tmp.c_str(), p.dir, p.base.c_str()) != 0) {
        const int err = errno;
        for (size_t j = i; j < pending_.size(); ++j) {
          unlinkat(pending_[j].dir, pending_[j].tmp.c_str(), 0);
        }
        pending_.clear();
        created_dirs_.clear();
        return OsError(err, "cannot rename a temporary file to", p.display);
      }
    }
    for (const Pending& p : pending_) fsync(p.dir);
    if (!created_dirs_.empty()) fsync(root_);
    pending_.clear();
    created_dirs_.clear();
    return absl::OkStatus();
  }

  // Removes the temporary files and the directories created so far.
  void Abort() {
    for (const Pending& p : pending_) unlinkat(p.dir, p.tmp.c_str(), 0);
    pending_.clear();
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
      unlinkat(root_, it->c_str(), AT_REMOVEDIR);
    }
    created_dirs_.clear();
  }

 private:
  struct Pending {
    int dir;
    std::string tmp;
    std::string base;
    std::string display;
  };

  std::string Display(absl::string_view rel) const {
    return absl::StrCat(root_path_, "/", rel);
  }

  int root_;
  const std::string& root_path_;
  std::vector<Fd> dirs_;
  std::vector<std::string> created_dirs_;  // relative, in creation order
  std::vector<Pending> pending_;
};

}  // namespace

absl::Status ValidateRelativePath(absl::string_view path) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path.substr(0, 128), "\" ", why));
  };
  if (path.empty()) return bad("is empty");
  if (path.size() > kMaxPathBytes) return bad("is longer than 4096 bytes");
  if (path[0] == '/') {
    return bad("is absolute; paths are relative to --out-dir");
  }
  if (path.find('\0') != absl::string_view::npos) return bad("contains NUL");
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty())
      return bad("has an empty component ('//' or a final '/')");
    if (part == "." || part == "..") {
      return bad("has a '.' or '..' component; it must stay inside --out-dir");
    }
    if (part.size() > kMaxComponentBytes) {
      return bad("has a component longer than 255 bytes");
    }
    if (absl::StartsWith(part, kTempPrefix)) {
      return bad("uses the agent's temporary-file prefix \".bootstrap-tmp-\"");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDistinctPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    const std::string& a = sorted[i];
    // A path that is a directory of another sorts right before the paths
    // below it, possibly after siblings such as "a-b" ('-' < '/'): compare
    // with every later path sharing the prefix.
    for (size_t j = i + 1; j < sorted.size() && absl::StartsWith(sorted[j], a);
         ++j) {
      const std::string& b = sorted[j];
      if (b == a) {
        return absl::InvalidArgumentError(
            absl::StrCat("two secrets would be written to \"", a,
                         "\"; give one of them another =PATH"));
      }
      if (b[a.size()] == '/') {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", a, "\" would be both a file and the directory of \"", b,
            "\"; give one of them another =PATH"));
      }
    }
  }
  return absl::OkStatus();
}

bool IsMemoryFileSystem(int64_t f_type) {
  return f_type == kTmpfsMagic || f_type == kRamfsMagic;
}

absl::StatusOr<OutDir> OutDir::Open(const std::string& path, bool allow_disk) {
  if (path.empty()) {
    return absl::InvalidArgumentError("--out-dir is empty");
  }
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok() && errno == ENOENT) {
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return OsError(errno, "cannot create --out-dir", path);
    }
    fd = Fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.ok() && fchmod(fd.get(), kDirectoryMode) != 0) {
      return OsError(errno, "cannot set the mode of --out-dir", path);
    }
  }
  if (!fd.ok()) return OsError(errno, "cannot open --out-dir", path);
  if (absl::Status s = CheckDirectory(fd.get(), path); !s.ok()) return s;
  struct statfs sfs;
  if (fstatfs(fd.get(), &sfs) != 0) {
    return OsError(errno, "cannot statfs --out-dir", path);
  }
  if (!allow_disk && !IsMemoryFileSystem(static_cast<int64_t>(sfs.f_type))) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "--out-dir \"%s\" is not on tmpfs or ramfs (filesystem type 0x%x), so "
        "secrets would reach a disk; mount a tmpfs there (systemd: "
        "RuntimeDirectory= or TemporaryFileSystem=), or pass --allow-disk",
        path, static_cast<uint64_t>(sfs.f_type)));
  }
  return OutDir(path, fd.Release());
}

OutDir::OutDir(OutDir&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

OutDir& OutDir::operator=(OutDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OutDir::~OutDir() {
  if (fd_ >= 0) close(fd_);
}

absl::Status OutDir::CheckPaths(const std::vector<std::string>& paths) const {
  for (const std::string& path : paths) {
    std::vector<Fd> open;
    absl::StatusOr<int> dir = WalkParents(fd_, path_, path, open, nullptr);
    if (!dir.ok()) return dir.status();
  }
  return absl::OkStatus();
}

absl::Status OutDir::WriteAll(const std::vector<FileToWrite>& files,
                              keys::RandomSource& random) const {
  Transaction tx(fd_, path_);
  for (const FileToWrite& file : files) {
    absl::StatusOr<int> dir = tx.OpenParent(file.path);
    absl::Status s = dir.ok() ? tx.WriteTemp(file, *dir, random) : dir.status();
    if (!s.ok()) {
      tx.Abort();
      return s;
    }
  }
  return tx.Commit();
}

}  // namespace bootstrap
