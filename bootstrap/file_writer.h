// Writing secrets as files under the out-dir (docs/bootstrap.md §2).
//
//   ASSIGN_OR_RETURN(OutDir dir, OutDir::Open("/run/secrets", false));
//   RETURN_IF_ERROR(dir.WriteAll(files, random));
//
// Layout: a file's path is relative to the out-dir: by default the secret's
// name, so `app/db/password` is OUT/app/db/password, its directories created
// with mode 0711 (traversable, not listable: each file's own mode and owner
// decide who reads it). A path is refused if it is absolute, has an empty,
// "." or ".." component, or is longer than 4096 bytes (255 per component).
// Every directory below the out-dir is opened with O_NOFOLLOW|O_DIRECTORY
// relative to the one above (openat), so no symlink can lead a write out
// of the out-dir, and an existing directory must belong to the agent's
// user or root and not be writable by group or others.
//
// Each file is written to a temporary file (".bootstrap-tmp-" and 16 hex
// digits, mode 0600, O_EXCL) in its own directory, given its owner and mode,
// fsync'd, and only when every file has been written are they renamed into
// place (then each directory is fsync'd). A failure before the renames
// removes the temporary files and the directories this call created, so
// nothing is left; a rename that fails (rare: the target is a directory)
// leaves the files renamed before it.
//
// The out-dir must be on tmpfs or ramfs (fstatfs) unless `allow_disk`, so
// secrets never reach a disk. Not thread-safe.
#ifndef SECRETD_BOOTSTRAP_FILE_WRITER_H_
#define SECRETD_BOOTSTRAP_FILE_WRITER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootstrap/owner.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"

namespace bootstrap {

inline constexpr mode_t kDefaultFileMode = 0400;
inline constexpr mode_t kDirectoryMode = 0711;

// OK if `path` is a relative path the writer accepts (see above);
// kInvalidArgument naming the problem otherwise.
absl::Status ValidateRelativePath(absl::string_view path);

// kInvalidArgument if two paths are equal, or one is a directory of
// another ("a" and "a/b"), naming both.
absl::Status CheckDistinctPaths(const std::vector<std::string>& paths);

// True for the statfs f_type of tmpfs and ramfs.
bool IsMemoryFileSystem(int64_t f_type);

struct FileToWrite {
  std::string path;  // relative to the out-dir, ValidateRelativePath-clean
  mode_t mode = kDefaultFileMode;
  Owner owner;                               // -1: unchanged
  const keys::SecretBytes* value = nullptr;  // not owned
};

class OutDir final {
 public:
  // Opens the out-dir `path` (following symlinks in `path` itself),
  // creating its last component with mode 0711 if it is missing.
  // kFailedPrecondition if it is not on tmpfs/ramfs and !allow_disk, or is
  // writable by group or others; kNotFound / kPermissionDenied / kInternal
  // from the OS, naming the path.
  static absl::StatusOr<OutDir> Open(const std::string& path, bool allow_disk);

  OutDir(OutDir&& other) noexcept;
  OutDir& operator=(OutDir&& other) noexcept;
  OutDir(const OutDir&) = delete;
  OutDir& operator=(const OutDir&) = delete;
  ~OutDir();

  const std::string& path() const { return path_; }

  // Checks, without writing, the directories of `paths` that already exist
  // (as WriteAll would: no symlinks, safe owners and modes), so a bad
  // layout is found before anything is requested. WriteAll checks again.
  absl::Status CheckPaths(const std::vector<std::string>& paths) const;

  // Writes every file as described above. Paths must have passed
  // ValidateRelativePath and CheckDistinctPaths. kFailedPrecondition for a
  // symlink or unsafe directory in the way; kPermissionDenied when the OS
  // refuses (e.g. chown without root); kInternal for other I/O errors.
  // Messages name the path, never the contents.
  absl::Status WriteAll(const std::vector<FileToWrite>& files,
                        keys::RandomSource& random) const;

 private:
  OutDir(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_FILE_WRITER_H_
