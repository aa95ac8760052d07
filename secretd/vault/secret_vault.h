// SecretVault: secret values in and out of the store, through envelope
// encryption (docs/DESIGN.md §6). The store only ever sees envelope
// ciphertext; plaintexts exist only in keys::SecretBytes.
//
//   SecretVault vault(store, keks, random);
//   ASSIGN_OR_RETURN(int64_t version, vault.Put("app/db/password", value));
//   ASSIGN_OR_RETURN(SecretVault::Plaintext s, vault.Read("app/db/password",
//                                                         std::nullopt));
//
// Errors: Put — kInvalidArgument (bad name), the store's kUnavailable.
// Read — kNotFound (no such secret/version, or disabled), kUnavailable (store
// down), kFailedPrecondition (wrapped by a KEK this broker does not hold),
// kDataLoss (the row does not authenticate: modified or moved). Thread-safe.
#ifndef SECRETD_SECRETD_VAULT_SECRET_VAULT_H_
#define SECRETD_SECRETD_VAULT_SECRET_VAULT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"
#include "secretd/store/store.h"

namespace secretd {

// The KEKs a broker holds: the current one (new versions are wrapped with
// it) and retired ones still needed to read rows not yet rewrapped.
class KekRing {
 public:
  explicit KekRing(const keys::Kek& current) : current_(&current) {}
  void AddRetired(const keys::Kek& kek) { retired_.push_back(&kek); }
  const keys::Kek& current() const { return *current_; }
  // The KEK with `id`, or null.
  const keys::Kek* Find(absl::string_view id) const;

 private:
  const keys::Kek* current_;
  std::vector<const keys::Kek*> retired_;
};

class SecretVault {
 public:
  // `store`, `keks` and `random` must outlive the vault.
  SecretVault(Store& store, const KekRing& keks, keys::RandomSource& random)
      : store_(store), keks_(keks), random_(random) {}

  // Runs inside the store's write transaction, after the value is
  // encrypted as `version` and before the commit; it must be quick and must
  // not call the store. An error aborts the Put: nothing is stored, the
  // version number is not consumed, and Put returns that error. The admin
  // service writes its audit record here, so that no version commits
  // without a durable record naming its number.
  using BeforeCommitFn = std::function<absl::Status(int64_t version)>;

  // Encrypts `value` as the next version of `name` and stores it.
  // `before_commit` (optional) as above.
  absl::StatusOr<int64_t> Put(absl::string_view name,
                              const keys::SecretBytes& value,
                              const BeforeCommitFn& before_commit = nullptr);

  struct Plaintext {
    std::string name;
    int64_t version = 0;
    keys::SecretBytes value;
  };
  // Reads and decrypts `name` at `version` (the newest enabled one when
  // absent).
  absl::StatusOr<Plaintext> Read(absl::string_view name,
                                 std::optional<int64_t> version);

  struct Rotation {
    int64_t rewrapped = 0;
  };
  // Rewraps every data key wrapped by any KEK of the ring to `new_kek`, in
  // one store transaction (kAborted if the store changed meanwhile: retry).
  // Rows already wrapped by `new_kek` are left alone.
  absl::StatusOr<Rotation> RewrapAll(const keys::Kek& new_kek);

 private:
  absl::StatusOr<const keys::Kek*> KekFor(const std::string& kek_id,
                                          absl::string_view name,
                                          int64_t version) const;

  Store& store_;
  const KekRing& keks_;
  keys::RandomSource& random_;
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_VAULT_SECRET_VAULT_H_
