#include "secretd/server/broker_service.h"

#include "gtest/gtest.h"

namespace secretd {
namespace {

TEST(PeerAddressTest, TakesTheAddressOutOfGrpcPeerStrings) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:54321"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv4:10.1.2.3:1"), "10.1.2.3");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:54321"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:%5B::1%5D:54321"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:%5B2001:db8::7%5D:443"), "2001:db8::7");
}

TEST(PeerAddressTest, OtherTransportsHaveNoAddress) {
  EXPECT_EQ(PeerAddress("unix:/run/secretd.sock"), "");
  EXPECT_EQ(PeerAddress(""), "");
  EXPECT_EQ(PeerAddress("ipv6:[::1"), "");
}

}  // namespace
}  // namespace secretd
