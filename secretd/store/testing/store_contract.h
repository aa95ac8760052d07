// The Store contract: one parameterized GoogleTest suite that every backend
// passes (STYLE.md §3.9). A backend's test supplies a factory:
//
//   class SqliteFactory final : public secretd::testing::StoreFactory {
//    public:
//     absl::StatusOr<std::unique_ptr<secretd::Store>> Create(
//         const common::Clock& clock) override { ... a fresh, empty store }
//     absl::StatusOr<std::unique_ptr<secretd::Store>> OpenAnother(
//         const common::Clock& clock) override { ... same database }
//   };
//   INSTANTIATE_TEST_SUITE_P(
//       Sqlite, StoreContractTest,
//       ::testing::Values(secretd::testing::StoreContractParam{
//           "sqlite", [] { return std::make_unique<SqliteFactory>(); }}),
//       secretd::testing::StoreContractParamName);
//
// and links //secretd/store/testing:store_contract. The suite checks round
// trips, version numbering (monotonic, gapless, never reused, distinct under
// concurrent writers in one and in two store instances), kNotFound cases,
// disabled versions, the compare-and-set of KEK rotation (kAborted when it
// loses), the change counter (exactly +1 per change, unchanged by reads and
// failures), snapshot consistency under a concurrent writer, and single-use
// tokens. Backend-specific properties (files, crashes, migrations) are
// tested beside each backend. Testonly.
#ifndef SECRETD_SECRETD_STORE_TESTING_STORE_CONTRACT_H_
#define SECRETD_SECRETD_STORE_TESTING_STORE_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "secretd/store/store.h"

namespace secretd {

// Readable GoogleTest failure output for the store's value types (test data
// only: these print documents and envelope bytes, escaped).
void PrintTo(const TrustBundleRecord& record, std::ostream* os);
void PrintTo(const PolicyDocument& policy, std::ostream* os);
void PrintTo(const RoleRecord& role, std::ostream* os);
void PrintTo(const EncryptedSecretFields& fields, std::ostream* os);
void PrintTo(const SecretVersionRecord& record, std::ostream* os);
void PrintTo(const SecretVersionMetadata& metadata, std::ostream* os);
void PrintTo(const SecretMetadata& metadata, std::ostream* os);

namespace testing {

// Makes the stores of one contract test. A new factory is made per test.
class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // A new, empty store (change counter 0) that reads the time from `clock`.
  // Called once per test.
  virtual absl::StatusOr<std::unique_ptr<Store>> Create(
      const common::Clock& clock) = 0;
  // A second, independent handle on the database behind the store Create()
  // made (its own connections, as another process or replica would have),
  // or kUnimplemented if the backend cannot share one (the memory fake);
  // the multi-instance tests are then skipped.
  virtual absl::StatusOr<std::unique_ptr<Store>> OpenAnother(
      const common::Clock& clock) = 0;
};

struct StoreContractParam {
  std::string name;  // a test-name suffix: letters, digits, underscores
  std::function<std::unique_ptr<StoreFactory>()> make_factory;
};

// For INSTANTIATE_TEST_SUITE_P's name generator.
std::string StoreContractParamName(
    const ::testing::TestParamInfo<StoreContractParam>& info);

class StoreContractTest : public ::testing::TestWithParam<StoreContractParam> {
 protected:
  void SetUp() override;

  // Starts at a time with sub-microsecond digits, to check truncation.
  common::testing::FakeClock clock_{
      absl::FromUnixNanos(int64_t{1700000000123456789})};
  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<Store> store_;
};

}  // namespace testing
}  // namespace secretd

#endif  // SECRETD_SECRETD_STORE_TESTING_STORE_CONTRACT_H_
