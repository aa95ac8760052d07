#include "bootstrap/owner.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ResolveOwnerTest, NumericIdsNeedNoLookup) {
  ASSERT_OK_AND_ASSIGN(Owner o, ResolveOwner("4242"));
  EXPECT_EQ(o.uid, 4242u);
  EXPECT_EQ(o.gid, static_cast<gid_t>(-1));
  ASSERT_OK_AND_ASSIGN(o, ResolveOwner("4242:4343"));
  EXPECT_EQ(o.uid, 4242u);
  EXPECT_EQ(o.gid, 4343u);
}

TEST(ResolveOwnerTest, NamesAreLookedUp) {
  ASSERT_OK_AND_ASSIGN(Owner o, ResolveOwner("root:root"));
  EXPECT_EQ(o.uid, 0u);
  EXPECT_EQ(o.gid, 0u);
}

TEST(ResolveOwnerTest, UnknownNamesAreNotFound) {
  EXPECT_THAT(ResolveOwner("no-such-user-xyz"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no user \"no-such-user-xyz\"")));
  EXPECT_THAT(ResolveOwner("root:no-such-group-xyz"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no group \"no-such-group-xyz\"")));
}

TEST(ResolveOwnerTest, MalformedSpecsAreRejected) {
  for (const char* bad : {"", ":0", "0:", "a:b:c", "4294967295"}) {
    EXPECT_THAT(ResolveOwner(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace bootstrap
