// Key files: the only file I/O in keys/ (DESIGN.md §6, §8).
//
// Private key files (KEK, signing keys) are written with mode 0600 and
// never over an existing file; they are read only if they are regular
// files owned by the current user (or root) with no permission bits for
// group or others, in a directory that group and others cannot write and
// that the current user (or root) owns, so a key that others could read or
// replace is refused with a message saying how to fix it. Public files are
// written with mode 0644, atomically (temporary file + rename), replacing
// any old file; they are read only if they are regular files that group and
// others cannot write. Every read opens with O_NOFOLLOW (a symbolic link is
// refused, never followed) and O_NONBLOCK (a FIFO at the path is refused as
// not a regular file instead of blocking), and reads at most
// kMaxKeyFileBytes.
//
// Formats:
//   KEK file           base64url(32 bytes) "\n"
//   signing key file   a private JWK (jwk.h), compact JSON "\n"; the broker's
//                      release and audit keys are Ed25519 JWKs
//   public key file    base64url(32 bytes) "\n"  (keys/release.pub,
//                      keys/audit.pub)
//
//   RETURN_IF_ERROR(keys::WriteKekFile(dir + "/keys/kek", kek));
//   ASSIGN_OR_RETURN(keys::Kek kek, keys::LoadKekFile(dir + "/keys/kek"));
//   ASSIGN_OR_RETURN(auto release, keys::LoadEd25519KeyFile(dir +
//   "/keys/release.key")); RETURN_IF_ERROR(keys::WritePublicKeyFile(dir +
//   "/keys/release.pub",
//                                            release->public_key()));
//
// Errors: kNotFound (no file), kAlreadyExists (refusing to overwrite a
// private key), kFailedPrecondition (permissions, owner, the directory of
// a private key, a symbolic link, not a regular file), kPermissionDenied (the
// OS refused), kInvalidArgument (contents), kInternal (other I/O errors).
// Messages name the path, never the contents. Thread-compatible (no shared
// state beyond the file system).
#ifndef SECRETD_KEYS_KEY_FILES_H_
#define SECRETD_KEYS_KEY_FILES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/ed25519.h"
#include "keys/jwk.h"
#include "keys/kek.h"
#include "keys/secret_bytes.h"

namespace keys {

inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;

// Raw private file access, for formats of other packages.
absl::Status WritePrivateKeyFile(const std::string& path,
                                 const SecretBytes& contents);
absl::StatusOr<SecretBytes> ReadPrivateKeyFile(const std::string& path);

// A public (non-secret) file with mode 0644, replaced atomically. For
// JWKS files and the like.
absl::Status WritePublicFile(const std::string& path,
                             absl::string_view contents);

// keys/release.pub form: base64url of the 32-byte key and a newline.
absl::Status WritePublicKeyFile(const std::string& path,
                                absl::string_view public_key);
// Accepts the form above (a final "\n" or "\r\n" is optional); the key must
// be 32 bytes.
absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path);

absl::Status WriteKekFile(const std::string& path, const Kek& kek);
absl::StatusOr<Kek> LoadKekFile(const std::string& path);

// A private signing JWK (any supported algorithm).
absl::Status WriteSigningKeyFile(const std::string& path, const Jwk& key);
absl::StatusOr<Jwk> LoadSigningKeyFile(const std::string& path);

// The broker's Ed25519 keys, as private JWKs with kid = key_id().
absl::Status WriteEd25519KeyFile(const std::string& path,
                                 const Ed25519Signer& signer);
absl::StatusOr<std::unique_ptr<Ed25519Signer>> LoadEd25519KeyFile(
    const std::string& path);

}  // namespace keys

#endif  // SECRETD_KEYS_KEY_FILES_H_
