// Store: the broker's durable state behind one interface.
//
// The broker is stateless; everything it must remember lives here: the trust
// bundles (one JWKS per issuer), the roles, the secret versions (envelope
// ciphertext only, never a plaintext or an unwrapped data key), the
// single-use token records, and a change counter that every replica polls to
// know when to refresh its caches. Backends: SqliteStore (one file, the
// default), PostgresStore (several replicas on one database), and the testonly
// testing::MemoryStore. All of them pass one contract suite,
// secretd/store/testing/store_contract.h. docs/store.md describes the
// contract, the schema and the transactions.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
//                    SqliteStore::Open(path, clock, {}));
//   ASSIGN_OR_RETURN(int64_t version,
//       store->AddSecretVersion("app/db/password",
//           [&](int64_t version) { return envelope.Encrypt(name, version,
//                                                          value); }));
//   ASSIGN_OR_RETURN(SecretVersionRecord current,
//                    store->GetSecretVersion("app/db/password", std::nullopt));
//
// The store persists opaque bytes: it never encrypts, decrypts or parses
// JSON. Callers validate policy documents and JWKS before a Put.
//
// Error codes, the same in every backend (callers branch on the code, never
// on the message; messages name the object, never its contents):
//   kNotFound            the named object does not exist (or, for secret
//                        versions, is disabled)
//   kAlreadyExists       a single-use token was already recorded
//   kAborted             a compare-and-set lost against a concurrent change;
//                        re-read and retry
//   kUnavailable         the database is unreachable, locked for longer than
//                        the busy timeout, out of disk space or failing I/O;
//                        callers fail closed (nothing is released)
//   kFailedPrecondition  the store cannot be used as it is: missing, newer
//                        schema than this binary, not a secretd store
//   kInvalidArgument     a malformed argument (empty name, bad limits, ...)
//   kDataLoss            the database file is corrupt
//
// Thread safety: every method of every backend is thread-safe. Several
// processes (or replicas) may use one database at once; every change is one
// atomic transaction.
#ifndef SECRETD_SECRETD_STORE_STORE_H_
#define SECRETD_SECRETD_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace secretd {

// Times are stored with microsecond precision (the common denominator of
// SQLite integers and PostgreSQL timestamps); finer parts are truncated.

// One issuer's JSON Web Key Set, as the caller validated it.
struct TrustBundleRecord {
  std::string issuer;
  std::string jwks_json;
  absl::Time updated_at;  // set by the store

  bool operator==(const TrustBundleRecord& other) const;
  bool operator!=(const TrustBundleRecord& other) const {
    return !(*this == other);
  }
};

// A named policy document (JSON text, validated by the caller).
struct PolicyDocument {
  std::string name;
  std::string document;

  bool operator==(const PolicyDocument& other) const;
  bool operator!=(const PolicyDocument& other) const {
    return !(*this == other);
  }
};

// A role (DESIGN.md §5): who may assume it and what it may read.
struct RoleRecord {
  std::string name;
  PolicyDocument trust_policy;
  // Evaluated in this order; names are unique within the role.
  std::vector<PolicyDocument> permission_policies;
  int64_t max_token_lifetime_seconds = 600;  // > 0
  int64_t secret_ttl_seconds = 3600;         // > 0
  bool single_use_tokens = false;
  absl::Time updated_at;  // set by the store; ignored by PutRole

  bool operator==(const RoleRecord& other) const;
  bool operator!=(const RoleRecord& other) const { return !(*this == other); }
};

// The envelope of one secret version (DESIGN.md §6), opaque to the store:
// the data key wrapped by the KEK named `kek_id`, and the value encrypted
// with the data key. All three are non-empty.
struct EncryptedSecretFields {
  std::string kek_id;
  std::string wrapped_data_key;  // bytes
  std::string ciphertext;        // bytes

  bool operator==(const EncryptedSecretFields& other) const;
  bool operator!=(const EncryptedSecretFields& other) const {
    return !(*this == other);
  }
};

// One stored version of a secret, with its envelope.
struct SecretVersionRecord {
  std::string name;
  int64_t version = 0;  // >= 1
  bool enabled = true;
  absl::Time created_at;
  EncryptedSecretFields fields;

  bool operator==(const SecretVersionRecord& other) const;
  bool operator!=(const SecretVersionRecord& other) const {
    return !(*this == other);
  }
};

// What ListSecrets tells about one version: never the envelope bytes.
struct SecretVersionMetadata {
  int64_t version = 0;
  bool enabled = true;
  absl::Time created_at;
  std::string kek_id;

  bool operator==(const SecretVersionMetadata& other) const;
  bool operator!=(const SecretVersionMetadata& other) const {
    return !(*this == other);
  }
};

// What ListSecrets tells about one secret.
struct SecretMetadata {
  std::string name;
  // The highest version ever assigned (disabled ones included). The next
  // AddSecretVersion assigns latest_version + 1.
  int64_t latest_version = 0;
  std::vector<SecretVersionMetadata> versions;  // ascending by version

  bool operator==(const SecretMetadata& other) const;
  bool operator!=(const SecretMetadata& other) const {
    return !(*this == other);
  }
};

// What the broker caches, read in one consistent transaction.
struct StoreSnapshot {
  int64_t change_counter = 0;
  std::vector<RoleRecord> roles;                 // sorted by name
  std::vector<TrustBundleRecord> trust_bundles;  // sorted by issuer
};

// Every secret version with its envelope, and the change counter they were
// read at (the compare-and-set token for ReplaceSecretFields).
struct SecretVersionsSnapshot {
  int64_t change_counter = 0;
  // Sorted by (name, version); disabled versions included.
  std::vector<SecretVersionRecord> versions;
};

// New envelope fields for one existing version (KEK rotation).
struct SecretFieldsUpdate {
  std::string name;
  int64_t version = 0;
  EncryptedSecretFields fields;
};

// Encrypts a new secret version. Receives the version number the store
// assigned (the envelope's AAD binds it) and returns the envelope.
using EncryptSecretFn =
    std::function<absl::StatusOr<EncryptedSecretFields>(int64_t version)>;

// Rewraps one version's envelope (KEK rotation): returns the new fields.
using RewrapSecretFn = std::function<absl::StatusOr<EncryptedSecretFields>(
    const SecretVersionRecord& record)>;

class Store {
 public:
  virtual ~Store() = default;

  // ---- Trust bundles ----

  // Creates or replaces the JWKS of `issuer` (validated by the caller);
  // updated_at = now. kInvalidArgument if issuer or jwks_json is empty.
  virtual absl::Status PutTrustBundle(absl::string_view issuer,
                                      absl::string_view jwks_json) = 0;
  // Removes the JWKS of `issuer`. kNotFound if there is none.
  virtual absl::Status DeleteTrustBundle(absl::string_view issuer) = 0;
  // Every trust bundle, sorted by issuer.
  virtual absl::StatusOr<std::vector<TrustBundleRecord>> ListTrustBundles() = 0;

  // ---- Roles ----

  // Creates or replaces the role `role.name` (updated_at = now; the caller
  // has validated the documents). kInvalidArgument for an empty role or
  // policy name, an empty document, two permission policies with one name,
  // or a non-positive lifetime or TTL.
  virtual absl::Status PutRole(const RoleRecord& role) = 0;
  // The role `name`. kNotFound if absent.
  virtual absl::StatusOr<RoleRecord> GetRole(absl::string_view name) = 0;
  // Every role, sorted by name.
  virtual absl::StatusOr<std::vector<RoleRecord>> ListRoles() = 0;
  // Removes the role `name`. kNotFound if absent.
  virtual absl::Status DeleteRole(absl::string_view name) = 0;

  // ---- Secret versions ----

  // Adds a version to secret `name` (creating the secret if new) and
  // returns its number: one more than the highest ever assigned to `name`,
  // so versions are 1, 2, 3, ... without gaps and never reused, even after a
  // version is disabled, and concurrent writers in any number of threads,
  // processes or replicas get distinct numbers.
  //
  // `encrypt` is called exactly once, inside the write transaction, with the
  // number the version will have; it must be quick and must not call the
  // store (the transaction holds the write lock). If it fails its status is
  // returned and nothing is stored: the number is not consumed.
  // kInvalidArgument if `name` is empty or a returned field is empty.
  virtual absl::StatusOr<int64_t> AddSecretVersion(
      absl::string_view name, const EncryptSecretFn& encrypt) = 0;
  // With a version: that version of `name`; without: the newest enabled
  // one. kNotFound if the secret or version does not exist or the version
  // is disabled (a disabled version is never released).
  virtual absl::StatusOr<SecretVersionRecord> GetSecretVersion(
      absl::string_view name,
      std::optional<int64_t> version = std::nullopt) = 0;
  // Disables one version: it is skipped by GetSecretVersion and never
  // re-enabled; its number is not reused. kNotFound if absent. Disabling a
  // disabled version is a no-op (OK, not a change).
  virtual absl::Status DisableSecretVersion(absl::string_view name,
                                            int64_t version) = 0;
  // Metadata of every secret whose name starts with `prefix` (a literal
  // prefix, no wildcards; "" lists all), sorted by name. Never returns
  // envelope bytes.
  virtual absl::StatusOr<std::vector<SecretMetadata>> ListSecrets(
      absl::string_view prefix) = 0;

  // ---- KEK rotation (compare-and-set) ----

  // Every version of every secret with its envelope, and the change counter,
  // read in one transaction. Loads everything into memory.
  virtual absl::StatusOr<SecretVersionsSnapshot> ReadAllSecretVersions() = 0;
  // In one transaction: if the change counter still equals
  // `expected_change_counter`, replaces the envelope of every listed version
  // (version number, enabled flag and created_at stay) and counts one
  // change; otherwise kAborted and nothing changes. kNotFound (nothing
  // changes) if a listed version does not exist; kInvalidArgument for an
  // empty field or a version listed twice. An empty list changes nothing.
  virtual absl::Status ReplaceSecretFields(
      int64_t expected_change_counter,
      const std::vector<SecretFieldsUpdate>& updates) = 0;
  // KEK rotation in one call: ReadAllSecretVersions, `rewrap` on every
  // version (outside any transaction, so it may be slow), then
  // ReplaceSecretFields with the counter read. kAborted if anything changed
  // in between (retry); `rewrap`'s error if it fails (nothing changes).
  absl::Status RewrapAllSecrets(const RewrapSecretFn& rewrap);

  // ---- Single-use tokens ----

  // Records the use of token `jti` from `issuer`, kept until `expires_at`
  // (pass the token's exp plus the verifier's leeway). One unique insert
  // across every replica: kAlreadyExists if the pair is already recorded and
  // not yet expired. A record whose expires_at has passed counts as absent,
  // whether or not it was purged. kInvalidArgument for an empty issuer or
  // jti. Not a change (the counter stays).
  virtual absl::Status RecordTokenUse(absl::string_view issuer,
                                      absl::string_view jti,
                                      absl::Time expires_at) = 0;
  // Deletes the token records with expires_at <= now; returns how many.
  // Not a change.
  virtual absl::StatusOr<int64_t> PurgeExpiredTokenUses(absl::Time now) = 0;

  // ---- Change tracking ----

  // A counter that every committed change to trust bundles, roles or
  // secrets increments by exactly one, in the change's own transaction.
  // Reads, failed changes and token records leave it alone. A fresh store
  // starts at 0. Cheap: one row. The broker polls it and reloads its caches
  // (LoadSnapshot) when it moves.
  virtual absl::StatusOr<int64_t> GetChangeCounter() = 0;
  // The change counter, every role and every trust bundle, read in one
  // consistent transaction.
  virtual absl::StatusOr<StoreSnapshot> LoadSnapshot() = 0;
};

// Truncates `t` to whole microseconds (toward the past): what a store
// returns for a time it was given or read from its clock.
absl::Time TruncateToMicros(absl::Time t);

}  // namespace secretd

#endif  // SECRETD_SECRETD_STORE_STORE_H_
