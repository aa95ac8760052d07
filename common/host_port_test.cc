#include "common/host_port.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SplitHostPortTest, ParsesV4V6AndNames) {
  std::string host;
  int port;
  ASSERT_OK(SplitHostPort("127.0.0.1:9464", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9464);
  ASSERT_OK(SplitHostPort("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_THAT(
      SplitHostPort("::1:80", &host, &port),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[::1]:PORT")));
  EXPECT_THAT(SplitHostPort("host:99999", &host, &port),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitHostPort(":80", &host, &port),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IsLoopbackHostTest, KnowsLoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.9.9.9"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace common
