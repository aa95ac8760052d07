// MemoryStore passes the store contract; SetError makes every call fail.
#include "secretd/store/testing/memory_store.h"

#include <memory>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/store/testing/store_contract.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

class MemoryStoreFactory final : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<Store>> Create(
      const common::Clock& clock) override {
    return std::make_unique<MemoryStore>(clock);
  }
  absl::StatusOr<std::unique_ptr<Store>> OpenAnother(
      const common::Clock& clock) override {
    return absl::UnimplementedError("a MemoryStore cannot be shared");
  }
};

INSTANTIATE_TEST_SUITE_P(
    Memory, StoreContractTest,
    ::testing::Values(StoreContractParam{
        "memory", [] { return std::make_unique<MemoryStoreFactory>(); }}),
    StoreContractParamName);

TEST(MemoryStoreTest, SetErrorFailsEveryCallAndChangesNothing) {
  common::testing::FakeClock clock;
  MemoryStore store(clock);
  ASSERT_OK(store.PutRole({"web", {"trust", "{}"}, {}, 600, 60, false, {}}));
  store.SetError(absl::UnavailableError("database down"));
  EXPECT_THAT(store.GetRole("web"),
              StatusIs(absl::StatusCode::kUnavailable, "database down"));
  EXPECT_THAT(store.PutTrustBundle("iss", "{}"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.RecordTokenUse("iss", "jti", clock.Now()),
              StatusIs(absl::StatusCode::kUnavailable));
  store.SetError(absl::OkStatus());
  EXPECT_THAT(store.GetChangeCounter(), IsOkAndHolds(1));
  EXPECT_THAT(store.ListTrustBundles(), IsOkAndHolds(::testing::IsEmpty()));
}

}  // namespace
}  // namespace secretd::testing
