#include "keys/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "keys/encoding.h"

namespace keys {
namespace {

std::string Quoted(const std::string& path) {
  return absl::StrCat("\"", path, "\"");
}

absl::Status ErrnoError(int err, absl::string_view action,
                        const std::string& path) {
  const std::string what = absl::StrCat("cannot ", action, " ", Quoted(path),
                                        ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(what);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(what);
    case EEXIST:
      return absl::AlreadyExistsError(what);
    default:
      return absl::InternalError(what);
  }
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, const uint8_t* data, size_t size,
                      const std::string& path) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", path);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void SyncDirectory(const std::string& path) {
  Fd dir(open(Dirname(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) fsync(dir.get());
}

// Writes `data` to a new temporary file next to `path` with `mode`, and
// returns the temporary file's name.
absl::StatusOr<std::string> WriteTemp(const std::string& path, mode_t mode,
                                      const uint8_t* data, size_t size) {
  std::string tmp = absl::StrCat(path, ".tmp-XXXXXX");
  Fd fd(mkostemp(tmp.data(), O_CLOEXEC));  // created with mode 0600
  if (fd.get() < 0) return ErrnoError(errno, "create a file next to", path);
  absl::Status s = absl::OkStatus();
  if (fchmod(fd.get(), mode) != 0) s = ErrnoError(errno, "chmod", tmp);
  if (s.ok()) s = WriteAll(fd.get(), data, size, tmp);
  if (s.ok() && fsync(fd.get()) != 0) s = ErrnoError(errno, "fsync", tmp);
  if (s.ok() && close(fd.release()) != 0) s = ErrnoError(errno, "close", tmp);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  return tmp;
}

// "a directory", "a FIFO", ... : what a non-regular file is.
const char* FileTypeWords(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

bool OwnedByUsOrRoot(const struct stat& st) {
  return st.st_uid == geteuid() || st.st_uid == 0;
}

// A private key's directory must not let anyone else replace the key: not
// writable by group or others, owned by the current user or root.
absl::Status CheckPrivateKeyDirectory(const std::string& path) {
  const std::string dir = Dirname(path);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return ErrnoError(errno, "stat", dir);
  const mode_t perm = st.st_mode & 07777;
  if ((perm & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "key file %s is in directory %s, which group or others may write to "
        "(mode %04o), so they could replace the key; run \"chmod go-w %s\" "
        "or keep keys in a directory only their owner can write",
        Quoted(path), Quoted(dir), perm, dir));
  }
  if (!OwnedByUsOrRoot(st)) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", Quoted(path), " is in directory ",
                     Quoted(dir), ", owned by uid ", st.st_uid,
                     ", not by the current user (uid ", geteuid(),
                     ") or root, so that user could replace the key; run "
                     "\"chown\" on the directory or use its owner's account"));
  }
  return absl::OkStatus();
}

// Opens `path` for reading and checks it is a regular file of at most
// kMaxKeyFileBytes. A symbolic link is refused (O_NOFOLLOW) and a FIFO does
// not block (O_NONBLOCK; it is refused as not a regular file). With
// `private_key`: owner, no permission bits for group or others, and the
// directory (CheckPrivateKeyDirectory); otherwise not writable by group or
// others.
absl::StatusOr<int> OpenChecked(const std::string& path, bool private_key,
                                struct stat* st) {
  const char* what = private_key ? "key file" : "public key file";
  Fd fd(open(path.c_str(),
             O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("no ", what, " at ", Quoted(path)));
    }
    struct stat lst;
    if (err == ELOOP && lstat(path.c_str(), &lst) == 0 &&
        S_ISLNK(lst.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, " ", Quoted(path),
          " is a symbolic link; key files are never read through links, so "
          "that nobody can point them elsewhere: replace the link with the "
          "file itself, or give the link's target as the path"));
    }
    return ErrnoError(err, "open", path);
  }
  if (fstat(fd.get(), st) != 0) return ErrnoError(errno, "stat", path);
  if (!S_ISREG(st->st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", Quoted(path), " is not a regular file (it is ",
                     FileTypeWords(st->st_mode), ")"));
  }
  const mode_t perm = st->st_mode & 07777;
  if (private_key) {
    if ((perm & 077) != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "key file %s is accessible by group or others (mode %04o); run "
          "\"chmod 600 %s\"",
          Quoted(path), perm, path));
    }
    if (!OwnedByUsOrRoot(*st)) {
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", Quoted(path), " is owned by uid ",
                       st->st_uid, ", not by the current user (uid ", geteuid(),
                       ") or root; run \"chown\" or use the owner's account"));
    }
    RETURN_IF_ERROR(CheckPrivateKeyDirectory(path));
  } else if ((perm & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "public key file %s is writable by group or others (mode %04o), so "
        "they could replace the key; run \"chmod 644 %s\"",
        Quoted(path), perm, path));
  }
  if (static_cast<size_t>(st->st_size) > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", Quoted(path), " is ", st->st_size,
                     " bytes; a key file is at most ", kMaxKeyFileBytes));
  }
  return fd.release();
}

absl::Status ReadExactly(int fd, uint8_t* out, size_t size,
                         const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, out + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", path);
    }
    if (n == 0) {
      return absl::InternalError(
          absl::StrCat("key file ", Quoted(path), " shrank while being read"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// The contents without one final "\n" or "\r\n".
absl::string_view StripNewline(absl::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

}  // namespace

absl::Status WritePrivateKeyFile(const std::string& path,
                                 const SecretBytes& contents) {
  ASSIGN_OR_RETURN(
      std::string tmp,
      WriteTemp(path, 0600, contents.data(InsecureSecretAccess::Get()),
                contents.size()));
  // link(2) fails if `path` exists: a key is never overwritten.
  if (link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    if (err == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("refusing to overwrite the existing key file ",
                       Quoted(path), "; move it away first"));
    }
    return ErrnoError(err, "create", path);
  }
  unlink(tmp.c_str());
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> ReadPrivateKeyFile(const std::string& path) {
  struct stat st;
  ASSIGN_OR_RETURN(int raw_fd, OpenChecked(path, /*private_key=*/true, &st));
  Fd fd(raw_fd);
  SecretBytes contents(static_cast<size_t>(st.st_size));
  RETURN_IF_ERROR(ReadExactly(fd.get(),
                              contents.data(InsecureSecretAccess::Get()),
                              contents.size(), path));
  return contents;
}

absl::Status WritePublicFile(const std::string& path,
                             absl::string_view contents) {
  ASSIGN_OR_RETURN(
      std::string tmp,
      WriteTemp(path, 0644, reinterpret_cast<const uint8_t*>(contents.data()),
                contents.size()));
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, "write", path);
  }
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::Status WritePublicKeyFile(const std::string& path,
                                absl::string_view public_key) {
  if (public_key.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a public key file holds a 32-byte key, got ", public_key.size()));
  }
  return WritePublicFile(path, absl::StrCat(Base64UrlEncode(public_key), "\n"));
}

absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path) {
  struct stat st;
  ASSIGN_OR_RETURN(int raw_fd, OpenChecked(path, /*private_key=*/false, &st));
  Fd fd(raw_fd);
  std::string contents(static_cast<size_t>(st.st_size), '\0');
  RETURN_IF_ERROR(ReadExactly(fd.get(),
                              reinterpret_cast<uint8_t*>(contents.data()),
                              contents.size(), path));
  auto key = Base64UrlDecode(StripNewline(contents));
  if (!key.ok() || key->size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "public key file ", Quoted(path),
        " must hold one line: the base64url encoding of a 32-byte key"));
  }
  return *std::move(key);
}

absl::Status WriteKekFile(const std::string& path, const Kek& kek) {
  const SecretAccess access = InsecureSecretAccess::Get();
  std::string line =
      absl::StrCat(Base64UrlEncodeSecret(kek.key(access), access), "\n");
  SecretBytes contents = SecretBytes::CopyFrom(line);
  WipeString(&line);
  return WritePrivateKeyFile(path, contents);
}

absl::StatusOr<Kek> LoadKekFile(const std::string& path) {
  ASSIGN_OR_RETURN(SecretBytes contents, ReadPrivateKeyFile(path));
  auto key = Base64UrlDecodeSecret(
      StripNewline(contents.AsStringView(InsecureSecretAccess::Get())));
  if (!key.ok() || key->size() != kKekSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEK file ", Quoted(path),
        " must hold one line: the base64url encoding of 32 bytes"));
  }
  return Kek::FromBytes(*std::move(key));
}

absl::Status WriteSigningKeyFile(const std::string& path, const Jwk& key) {
  if (!key.is_private() || !key.signature_algorithm().has_value()) {
    return absl::InvalidArgumentError(
        "a signing key file holds a private Ed25519, P-256 or RSA JWK");
  }
  const SecretAccess access = InsecureSecretAccess::Get();
  ASSIGN_OR_RETURN(SecretBytes json, key.ToPrivateJson(access));
  SecretBytes contents(json.size() + 1);
  std::memcpy(contents.data(access), json.data(access), json.size());
  contents.data(access)[json.size()] = '\n';
  return WritePrivateKeyFile(path, contents);
}

absl::StatusOr<Jwk> LoadSigningKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(SecretBytes contents, ReadPrivateKeyFile(path));
  auto key =
      Jwk::ParsePrivate(contents.AsStringView(InsecureSecretAccess::Get()));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key file ", Quoted(path),
                     " is not a private JWK: ", key.status().message()));
  }
  if (!key->signature_algorithm().has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key file ", Quoted(path),
                     " holds an X25519 key, which cannot sign"));
  }
  return key;
}

absl::Status WriteEd25519KeyFile(const std::string& path,
                                 const Ed25519Signer& signer) {
  return WriteSigningKeyFile(path,
                             Jwk::FromEd25519Signer(signer, signer.key_id()));
}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> LoadEd25519KeyFile(
    const std::string& path) {
  ASSIGN_OR_RETURN(Jwk key, LoadSigningKeyFile(path));
  const SecretAccess access = InsecureSecretAccess::Get();
  const SecretBytes* seed = key.private_member("d", access);
  if (key.type() != JwkKeyType::kEd25519 || seed == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", Quoted(path), " holds a ", key.kty(), " ",
                     key.crv(), " key; an Ed25519 key is required"));
  }
  return Ed25519Signer::FromSeed(seed->Clone());
}

}  // namespace keys
