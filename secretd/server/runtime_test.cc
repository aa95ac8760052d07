#include "secretd/server/runtime.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

ServeConfig Valid() {
  ServeConfig c;
  c.data_dir = "data";
  c.listen = "127.0.0.1:7443";
  c.broker.audience = "secretd.example";
  return c;
}

TEST(DefaultReplicaIdTest, IsHostAndPortOrHostAndPidForPortZero) {
  EXPECT_EQ(DefaultReplicaId("broker-a", 7443, 99), "broker-a-7443");
  EXPECT_EQ(DefaultReplicaId("broker-a", 0, 99), "broker-a-pid99");
  EXPECT_EQ(DefaultReplicaId("host with spaces!", 1, 1), "host-with-spaces--1");
  EXPECT_EQ(DefaultReplicaId("", 5, 1), "host-5");
  const std::string long_id = DefaultReplicaId(std::string(100, 'h'), 65535, 1);
  EXPECT_EQ(long_id.size(), 64u);
  EXPECT_THAT(long_id, ::testing::EndsWith("-65535"));
  EXPECT_THAT(audit::ValidateReplicaId(long_id), IsOk());
}

TEST(ValidateServeConfigTest, AcceptsAValidConfig) {
  EXPECT_THAT(ValidateServeConfig(Valid()), IsOk());
  ServeConfig loopback = Valid();
  loopback.plaintext = true;
  EXPECT_THAT(ValidateServeConfig(loopback), IsOk());
  loopback.listen = "[::1]:0";
  EXPECT_THAT(ValidateServeConfig(loopback), IsOk());
  loopback.listen = "localhost:0";
  EXPECT_THAT(ValidateServeConfig(loopback), IsOk());
}

TEST(ValidateServeConfigTest, PlaintextOffLoopbackIsRefused) {
  ServeConfig c = Valid();
  c.plaintext = true;
  c.listen = "0.0.0.0:7443";
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--plaintext is allowed only on a loopback")));
}

TEST(ValidateServeConfigTest, BadValuesNameTheirFlag) {
  ServeConfig c = Valid();
  c.listen = "nope";
  EXPECT_THAT(
      ValidateServeConfig(c),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--listen")));
  c = Valid();
  c.broker.audience = "";
  EXPECT_THAT(
      ValidateServeConfig(c),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--audience")));
  c = Valid();
  c.replica_id = "bad/id";
  EXPECT_THAT(
      ValidateServeConfig(c),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--replica-id")));
  c = Valid();
  c.max_in_flight = 0;
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max-in-flight")));
  c = Valid();
  c.broker.max_token_bytes = 20000;
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument));
  c = Valid();
  c.metrics_listen = "x";
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--metrics-listen")));
  c = Valid();
  c.token_purge_interval = absl::ZeroDuration();
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--token-purge-interval")));
  c = Valid();
  c.token_purge_margin = absl::Seconds(-1);
  EXPECT_THAT(ValidateServeConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--token-purge-margin")));
}

}  // namespace
}  // namespace secretd
