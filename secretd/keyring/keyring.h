// Keyring: the broker's key material, loaded from a data directory and
// reloadable while the broker serves (SIGHUP, KEK rotation).
//
//   ASSIGN_OR_RETURN(auto keyring, Keyring::Load(layout, {}));
//   std::shared_ptr<const KeySet> keys = keyring->Current();   // per request
//   keys->kek_ring ...   keys->challenge.Check(nonce, clock) ...
//
// Files (DataDirLayout): keys/kek is the current KEK; keys/kek.retired/<id>
// hold KEKs retired by a rotation (still read, never used to wrap);
// keys/kek.next exists only during a rotation. The release and audit
// signing keys are loaded once: changing them needs a restart (the audit
// writer and every bootstrap pin them).
//
// KEK rotation (RotateKek): a new KEK is written to keys/kek.next; every
// data key in the store is rewrapped to it in one transaction
// (SecretVault::RewrapAll); then the old KEK is hard-linked into
// keys/kek.retired/<id>, keys/kek.next is renamed over keys/kek, each step
// followed by an fsync of its directory, and the keyring reloads. keys/kek
// exists at every instant. If the process dies after the rewrap, the next
// Load finds kek.next and keeps it in the ring, so nothing becomes
// unreadable; running the rotation again finishes it. Other replicas sharing
// the store must get the new keys/kek (copy it) and reload (SIGHUP); until
// then their reads of rewrapped rows fail closed (kFailedPrecondition naming
// the KEK id). Retired KEKs stay readable until their files are deleted
// (delete them once every replica runs with the new KEK and no row names
// them: `secretctl secret list` shows each version's KEK id).
//
// Challenges are issued and accepted under the current KEK only: a rotation
// invalidates challenges in flight (boots retry), so a KEK retired because
// it leaked cannot mint valid challenges. Thread-safe.
#ifndef SECRETD_SECRETD_KEYRING_KEYRING_H_
#define SECRETD_SECRETD_KEYRING_KEYRING_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/challenge.h"
#include "keys/ed25519.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/vault/secret_vault.h"

namespace secretd {

// Challenges issued and checked under the current KEK.
class ChallengeSet {
 public:
  keys::Challenge Issue(const common::Clock& clock,
                        keys::RandomSource& random) const;
  // OK, or a TokenError: nonce_invalid / nonce_expired.
  absl::Status Check(absl::string_view challenge,
                     const common::Clock& clock) const;
  absl::Duration ttl() const;

 private:
  friend struct KeySet;
  std::vector<keys::Challenger> challengers_;  // [0] is the current KEK's
};

// An immutable snapshot of the KEKs. Lives as long as any holder.
struct KeySet {
  // kInvalidArgument for a non-positive challenge TTL.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Create(
      keys::Kek current_kek, std::vector<keys::Kek> retired_keks,
      absl::Duration challenge_ttl);

  keys::Kek current;
  std::vector<keys::Kek> retired;  // and an interrupted rotation's kek.next
  KekRing ring;                    // points into this KeySet
  ChallengeSet challenge;

  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

 private:
  KeySet(keys::Kek current_kek, std::vector<keys::Kek> retired_keks);
};

class Keyring {
 public:
  struct Options {
    absl::Duration challenge_ttl = keys::kDefaultChallengeTtl;
  };

  // Loads every key of `layout`. Errors as LoadBrokerKeys (data_dir.h).
  static absl::StatusOr<std::unique_ptr<Keyring>> Load(
      const DataDirLayout& layout, const Options& options);

  std::shared_ptr<const KeySet> Current() const;
  const keys::Ed25519Signer& release_signer() const { return *release_; }
  const keys::Ed25519Signer& audit_signer() const { return *audit_; }

  // Re-reads the KEK files; on error the current keys stay.
  absl::Status Reload();

  struct RotationResult {
    std::string old_kek_id;
    std::string new_kek_id;
    int64_t rewrapped = 0;
  };
  // Called once the new KEK is chosen (`planned` holds both ids; rewrapped
  // is 0) and before the rewrap transaction. An error aborts the rotation
  // with nothing changed (a fresh keys/kek.next is removed) and RotateKek
  // returns it. The admin service writes its audit record here.
  using BeforeRotateFn =
      std::function<absl::Status(const RotationResult& planned)>;

  // Rotates the KEK as described above. Serialised with other rotations.
  // kAborted if the store changed during the rewrap (retry), the store's
  // kUnavailable, or file errors naming the path. `before_rotate`
  // (optional) as above.
  absl::StatusOr<RotationResult> RotateKek(
      Store& store, keys::RandomSource& random,
      const BeforeRotateFn& before_rotate = nullptr);

 private:
  Keyring(DataDirLayout layout, Options options,
          std::unique_ptr<keys::Ed25519Signer> release,
          std::unique_ptr<keys::Ed25519Signer> audit)
      : layout_(std::move(layout)),
        options_(options),
        release_(std::move(release)),
        audit_(std::move(audit)) {}
  absl::StatusOr<std::shared_ptr<const KeySet>> ReadKeySet() const;

  const DataDirLayout layout_;
  const Options options_;
  const std::unique_ptr<keys::Ed25519Signer> release_;
  const std::unique_ptr<keys::Ed25519Signer> audit_;
  absl::Mutex rotate_mu_;  // serialises RotateKek
  mutable absl::Mutex mu_;
  std::shared_ptr<const KeySet> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_KEYRING_KEYRING_H_
