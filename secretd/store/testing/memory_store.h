// MemoryStore: an in-memory Store for tests of the code above the store.
//
//   common::testing::FakeClock clock;
//   secretd::testing::MemoryStore store(clock);
//   broker.emplace(store, ...);
//   store.SetError(absl::UnavailableError("database down"));  // fail closed?
//
// It passes the same contract suite as the real backends
// (store_contract.h), so code tested against it behaves the same on SQLite
// or PostgreSQL. One mutex guards everything: every method is one atomic
// step. Nothing is persisted. Testonly.
#ifndef SECRETD_SECRETD_STORE_TESTING_MEMORY_STORE_H_
#define SECRETD_SECRETD_STORE_TESTING_MEMORY_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "secretd/store/store.h"

namespace secretd::testing {

class MemoryStore final : public Store {
 public:
  // `clock` must outlive the store.
  explicit MemoryStore(const common::Clock& clock) : clock_(clock) {}

  // While `error` is not OK every method returns it and changes nothing
  // (e.g. kUnavailable to test that callers fail closed). OK clears it.
  void SetError(absl::Status error);

  absl::Status PutTrustBundle(absl::string_view issuer,
                              absl::string_view jwks_json) override;
  absl::Status DeleteTrustBundle(absl::string_view issuer) override;
  absl::StatusOr<std::vector<TrustBundleRecord>> ListTrustBundles() override;

  absl::Status PutRole(const RoleRecord& role) override;
  absl::StatusOr<RoleRecord> GetRole(absl::string_view name) override;
  absl::StatusOr<std::vector<RoleRecord>> ListRoles() override;
  absl::Status DeleteRole(absl::string_view name) override;

  absl::StatusOr<int64_t> AddSecretVersion(
      absl::string_view name, const EncryptSecretFn& encrypt) override;
  absl::StatusOr<SecretVersionRecord> GetSecretVersion(
      absl::string_view name, std::optional<int64_t> version) override;
  absl::Status DisableSecretVersion(absl::string_view name,
                                    int64_t version) override;
  absl::StatusOr<std::vector<SecretMetadata>> ListSecrets(
      absl::string_view prefix) override;

  absl::StatusOr<SecretVersionsSnapshot> ReadAllSecretVersions() override;
  absl::Status ReplaceSecretFields(
      int64_t expected_change_counter,
      const std::vector<SecretFieldsUpdate>& updates) override;

  absl::Status RecordTokenUse(absl::string_view issuer, absl::string_view jti,
                              absl::Time expires_at) override;
  absl::StatusOr<int64_t> PurgeExpiredTokenUses(absl::Time now) override;

  absl::StatusOr<int64_t> GetChangeCounter() override;
  absl::StatusOr<StoreSnapshot> LoadSnapshot() override;

 private:
  struct Secret {
    int64_t latest_version = 0;
    std::map<int64_t, SecretVersionRecord> versions;
  };

  absl::Time Now() const { return TruncateToMicros(clock_.Now()); }

  const common::Clock& clock_;
  mutable absl::Mutex mu_;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int64_t change_counter_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, TrustBundleRecord, std::less<>> trust_bundles_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, RoleRecord, std::less<>> roles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Secret, std::less<>> secrets_ ABSL_GUARDED_BY(mu_);
  // (issuer, jti) -> expires_at
  std::map<std::pair<std::string, std::string>, absl::Time> token_uses_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace secretd::testing

#endif  // SECRETD_SECRETD_STORE_TESTING_MEMORY_STORE_H_
