// The audit public key: checks checkpoint signatures (docs/audit.md).
//
//   ASSIGN_OR_RETURN(AuditKey key, LoadAuditPublicKey(data_dir +
//                                                     "/keys/audit.pub"));
//   options.check_checkpoint = key.check;
//
// The file is keys/audit.pub of DESIGN.md §8 (one line: base64url of the
// 32-byte Ed25519 public key), read with keys::ReadPublicKeyFile; signatures
// are checked with keys::Ed25519Verifier.
#ifndef SECRETD_SECRETCTL_AUDIT_AUDIT_KEY_H_
#define SECRETD_SECRETCTL_AUDIT_AUDIT_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "secretd/audit/verifier.h"

namespace secretctl {

struct AuditKey {
  std::string path;    // where it was read from ("" if from bytes)
  std::string key_id;  // first 16 hex digits of SHA-256 of the key
  // kNotFound for another key id, kUnauthenticated for a bad signature.
  secretd::audit::CheckpointCheck check;
};

// Reads the key file at `path`. The codes of keys::ReadPublicKeyFile:
// kNotFound if it does not exist, kInvalidArgument if it is not one line of
// base64url of 32 bytes (or not an Ed25519 point), kFailedPrecondition /
// kPermissionDenied if it cannot be read. Messages start with "audit public
// key".
absl::StatusOr<AuditKey> LoadAuditPublicKey(const std::string& path);
// The same, from the 32 raw key bytes. kInvalidArgument for a bad key.
absl::StatusOr<AuditKey> AuditKeyFromBytes(absl::string_view public_key);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_AUDIT_KEY_H_
