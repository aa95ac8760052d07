#include "keys/random.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "keys/testing/fake_random.h"

namespace keys {
namespace {

TEST(SystemRandomTest, ProducesDistinctValues) {
  SystemRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomBytes(random, 16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SystemRandomTest, RandomSecretBytesHasTheRequestedSize) {
  SystemRandom random;
  SecretBytes s = RandomSecretBytes(random, 32);
  EXPECT_EQ(s.size(), 32u);
  EXPECT_NE(s, SecretBytes(32));
}

TEST(FakeRandomTest, SameSeedGivesSameStream) {
  testing::FakeRandom a(7), b(7), c(8);
  const std::string a1 = RandomBytes(a, 32);
  EXPECT_EQ(a1, RandomBytes(b, 32));
  EXPECT_NE(a1, RandomBytes(c, 32));
  EXPECT_NE(a1, RandomBytes(a, 32));  // the stream moves on
}

}  // namespace
}  // namespace keys
