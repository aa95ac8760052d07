#include "secretd/broker/state_cache.h"

#include <string>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "keys/testing/test_tokens.h"
#include "secretd/store/testing/memory_store.h"

namespace secretd {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Attestor":"*"},"Action":"secretd:AssumeRole"}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"}]})";

RoleRecord Role(const std::string& name, const std::string& trust = kTrust) {
  RoleRecord r;
  r.name = name;
  r.trust_policy = {"trust.json", trust};
  r.permission_policies = {{"read.json", kRead}};
  r.max_token_lifetime_seconds = 120;
  r.secret_ttl_seconds = 60;
  r.single_use_tokens = true;
  return r;
}

class StateCacheTest : public ::testing::Test {
 protected:
  common::testing::FakeClock clock_;
  testing::MemoryStore store_{clock_};
  StateCache cache_{store_, clock_};
  keys::testing::TestIssuer issuer_;
};

TEST_F(StateCacheTest, StartsEmptyUntilTheFirstRefresh) {
  EXPECT_EQ(cache_.Current()->change_counter, -1);
  EXPECT_EQ(cache_.Current()->FindRole("web"), nullptr);
  EXPECT_THAT(cache_.Refresh(),
              IsOkAndHolds(StateCache::RefreshResult::kReloaded));
  EXPECT_EQ(cache_.Current()->change_counter, 0);
}

TEST_F(StateCacheTest, CompilesRolesAndParsesTrustBundles) {
  ASSERT_TRUE(store_.PutRole(Role("web")).ok());
  ASSERT_TRUE(
      store_.PutTrustBundle(issuer_.issuer(), issuer_.jwks()->ToJson().dump())
          .ok());
  ASSERT_TRUE(cache_.Refresh().ok());
  std::shared_ptr<const BrokerState> state = cache_.Current();
  EXPECT_EQ(state->change_counter, 2);
  const policy::CompiledRole* role = state->FindRole("web");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->max_token_lifetime(), absl::Seconds(120));
  EXPECT_EQ(role->secret_ttl(), absl::Seconds(60));
  EXPECT_TRUE(role->single_use_tokens());
  auto jwks = state->FindTrustBundle(issuer_.issuer());
  ASSERT_NE(jwks, nullptr);
  EXPECT_NE(jwks->Find(issuer_.kid()), nullptr);
  EXPECT_EQ(state->FindTrustBundle("someone.else"), nullptr);
}

TEST_F(StateCacheTest, UnchangedCounterKeepsTheSameState) {
  ASSERT_TRUE(store_.PutRole(Role("web")).ok());
  ASSERT_TRUE(cache_.Refresh().ok());
  std::shared_ptr<const BrokerState> before = cache_.Current();
  EXPECT_THAT(cache_.Refresh(),
              IsOkAndHolds(StateCache::RefreshResult::kUnchanged));
  EXPECT_EQ(cache_.Current(), before);
  // Forcing reloads even so.
  EXPECT_THAT(cache_.Refresh(/*force=*/true),
              IsOkAndHolds(StateCache::RefreshResult::kReloaded));
  EXPECT_NE(cache_.Current(), before);
}

TEST_F(StateCacheTest, ChangeIsPickedUpAndOldSnapshotsStayUsable) {
  ASSERT_TRUE(store_.PutRole(Role("web")).ok());
  ASSERT_TRUE(cache_.Refresh().ok());
  std::shared_ptr<const BrokerState> old_state = cache_.Current();
  ASSERT_TRUE(store_.DeleteRole("web").ok());
  ASSERT_TRUE(store_.PutRole(Role("api")).ok());
  EXPECT_THAT(cache_.Refresh(),
              IsOkAndHolds(StateCache::RefreshResult::kReloaded));
  EXPECT_EQ(cache_.Current()->FindRole("web"), nullptr);
  EXPECT_NE(cache_.Current()->FindRole("api"), nullptr);
  // A request that took the old snapshot still sees it whole.
  EXPECT_NE(old_state->FindRole("web"), nullptr);
  EXPECT_EQ(old_state->FindRole("api"), nullptr);
}

TEST_F(StateCacheTest, FailedRefreshKeepsTheLastGoodState) {
  ASSERT_TRUE(store_.PutRole(Role("web")).ok());
  ASSERT_TRUE(cache_.Refresh().ok());
  std::shared_ptr<const BrokerState> good = cache_.Current();
  store_.SetError(absl::UnavailableError("database is down"));
  EXPECT_THAT(cache_.Refresh(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(cache_.Refresh(true), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(cache_.Current(), good);
  store_.SetError(absl::OkStatus());
  EXPECT_THAT(cache_.Refresh(),
              IsOkAndHolds(StateCache::RefreshResult::kUnchanged));
}

TEST_F(StateCacheTest, RoleThatDoesNotCompileIsLeftOutAndReported) {
  ASSERT_TRUE(store_.PutRole(Role("web")).ok());
  ASSERT_TRUE(store_.PutRole(Role("bad", R"({"Version":"2012-10-17"})")).ok());
  ASSERT_TRUE(store_.PutTrustBundle("broken.issuer", "{\"keys\":3}").ok());
  ASSERT_TRUE(cache_.Refresh().ok());
  std::shared_ptr<const BrokerState> state = cache_.Current();
  EXPECT_NE(state->FindRole("web"), nullptr);
  EXPECT_EQ(state->FindRole("bad"), nullptr);
  ASSERT_EQ(state->broken_roles.count("bad"), 1u);
  EXPECT_NE(state->broken_roles.at("bad").find("trust.json"), std::string::npos)
      << state->broken_roles.at("bad");
  EXPECT_EQ(state->FindTrustBundle("broken.issuer"), nullptr);
  EXPECT_EQ(state->broken_trust_bundles.count("broken.issuer"), 1u);
}

}  // namespace
}  // namespace secretd
