#include "secretd/server/store_url.h"

#include <cstdlib>
#include <string>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd {
namespace {

using ::common::testing::StatusIs;
using ::testing::Eq;

TEST(ParseStoreUrlTest, EmptyMeansTheDataDirectorysStore) {
  DataDirLayout layout("/srv/data");
  auto l = ParseStoreUrl("", layout);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->kind, StoreLocation::Kind::kSqlite);
  EXPECT_EQ(l->sqlite_path, "/srv/data/store.db");
  EXPECT_TRUE(l->is_default);
}

TEST(ParseStoreUrlTest, SqliteAndPostgresUrls) {
  DataDirLayout layout("d");
  auto sqlite = ParseStoreUrl("sqlite:/var/lib/s.db", layout);
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(sqlite->sqlite_path, "/var/lib/s.db");
  EXPECT_FALSE(sqlite->is_default);
  auto pg = ParseStoreUrl("postgresql://u:pw@db/secretd", layout);
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->kind, StoreLocation::Kind::kPostgres);
  EXPECT_THAT(ParseStoreUrl("sqlite:", layout),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStoreUrl("mysql://x", layout),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenStoreTest, MissingDefaultStoreHasTheStyleGuideMessage) {
  const std::string root = std::string(std::getenv("TEST_TMPDIR")) + "/nodata";
  DataDirLayout layout(root);
  common::testing::FakeClock clock;
  auto l = ParseStoreUrl("", layout);
  ASSERT_TRUE(l.ok());
  EXPECT_THAT(OpenStore(*l, layout, clock),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("no store at \"" + root + "/store.db\" (--data-dir " +
                          root + "); run \"secretctl init --data-dir " + root +
                          "\" first, or point --data-dir at an initialised "
                          "directory")));
}

}  // namespace
}  // namespace secretd
