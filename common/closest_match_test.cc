#include "common/closest_match.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace common {
namespace {

TEST(EditDistanceTest, CountsSingleByteEdits) {
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("abc", "abc"), 0u);
  EXPECT_EQ(EditDistance("ab", "ba"), 2u);
}

TEST(ClosestMatchTest, FindsNearWordsOnly) {
  EXPECT_EQ(ClosestMatch("StringLik", {"StringLike", "StringEquals"}),
            "StringLike");
  EXPECT_EQ(ClosestMatch("zzz", {"StringLike"}), "");
  EXPECT_EQ(ClosestMatch("anything", {}), "");
}

TEST(ClosestMatchTest, AcceptsAtMostAThirdOfTheLengthAndAtLeastTwoEdits) {
  // Six letters: two edits are allowed, three are not.
  EXPECT_EQ(ClosestMatch("abcdef", {"abcdxy"}), "abcdxy");
  EXPECT_EQ(ClosestMatch("abcdef", {"abcxyz"}), "");
  // Twelve letters: four edits are allowed, five are not.
  EXPECT_EQ(ClosestMatch("abcdefghijkl", {"abcdefghwxyz"}), "abcdefghwxyz");
  EXPECT_EQ(ClosestMatch("abcdefghijkl", {"abcdefgvwxyz"}), "");
  // Short words still get two edits.
  EXPECT_EQ(ClosestMatch("ab", {"ba"}), "ba");
}

TEST(ClosestMatchTest, PrefersTheNearestThenTheEarliestCandidate) {
  EXPECT_EQ(ClosestMatch("policy", {"polixx", "polici"}), "polici");
  EXPECT_EQ(ClosestMatch("ab", {"ax", "ay"}), "ax");
}

}  // namespace
}  // namespace common
