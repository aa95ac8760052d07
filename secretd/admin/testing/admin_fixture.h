// AdminFixture: a gtest fixture with an AdminService over a real data
// directory's keyring, an in-memory store, a recording audit sink, a fake
// clock and a seeded random source, plus sample documents. Testonly.
//
//   class MyTest : public secretd::testing::AdminFixture {};
//   TEST_F(MyTest, ...) { service().PutTrust(...); audit().records(); }
#ifndef SECRETD_SECRETD_ADMIN_TESTING_ADMIN_FIXTURE_H_
#define SECRETD_SECRETD_ADMIN_TESTING_ADMIN_FIXTURE_H_

#include <atomic>
#include <memory>
#include <string>

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "keys/testing/fake_random.h"
#include "proto/secretd/v1/admin.pb.h"
#include "secretd/admin/admin_service.h"
#include "secretd/audit/testing/fake_audit_sink.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/testing/memory_store.h"

namespace secretd::testing {

inline constexpr char kIssuer[] = "https://attest.example";

// A trust policy letting tokens of kIssuer assume role/<role>.
std::string TrustPolicy(const std::string& role = "web");
// A permission policy allowing secrets:Get on secret/<pattern>.
std::string ReadPolicy(const std::string& pattern = "app/*");
// A JWKS of fresh public keys with the given kids (EdDSA, then ES256, ...).
std::string PublicJwks(keys::RandomSource& random,
                       std::initializer_list<const char*> kids);
// A PutRoleRequest for `name` with TrustPolicy and one ReadPolicy.
v1::PutRoleRequest RoleRequest(const std::string& name = "web");

class AdminFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  // The directory of this test under TEST_TMPDIR (exists, empty but for
  // the data directory `data/`).
  const std::string& test_dir() const { return test_dir_; }
  const DataDirLayout& layout() const { return *layout_; }
  common::testing::FakeClock& clock() { return clock_; }
  keys::testing::FakeRandom& random() { return random_; }
  secretd::testing::MemoryStore& store() { return store_; }
  audit::testing::FakeAuditSink& audit() { return audit_; }
  Keyring& keyring() { return *keyring_; }
  AdminService& service() { return *service_; }
  int changes() const { return changes_.load(); }

 private:
  std::string test_dir_;
  std::unique_ptr<DataDirLayout> layout_;
  common::testing::FakeClock clock_;
  keys::testing::FakeRandom random_{42};
  secretd::testing::MemoryStore store_{clock_};
  audit::testing::FakeAuditSink audit_;
  std::unique_ptr<Keyring> keyring_;
  std::atomic<int> changes_{0};
  std::unique_ptr<AdminService> service_;
};

}  // namespace secretd::testing

#endif  // SECRETD_SECRETD_ADMIN_TESTING_ADMIN_FIXTURE_H_
