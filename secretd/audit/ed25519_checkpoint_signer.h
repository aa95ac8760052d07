// Ed25519CheckpointSigner: the broker's audit key (keys::Ed25519Signer) as
// the audit writer's CheckpointSigner. Thread-safe; `signer` must outlive it.
#ifndef SECRETD_SECRETD_AUDIT_ED25519_CHECKPOINT_SIGNER_H_
#define SECRETD_SECRETD_AUDIT_ED25519_CHECKPOINT_SIGNER_H_

#include <string>

#include "keys/ed25519.h"
#include "secretd/audit/file_audit_writer.h"

namespace secretd::audit {

class Ed25519CheckpointSigner final : public CheckpointSigner {
 public:
  explicit Ed25519CheckpointSigner(const keys::Ed25519Signer& signer)
      : signer_(signer), key_id_(signer.key_id()) {}
  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    return signer_.Sign(message);
  }
  std::string KeyId() const override { return key_id_; }

 private:
  const keys::Ed25519Signer& signer_;
  const std::string key_id_;
};

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_ED25519_CHECKPOINT_SIGNER_H_
