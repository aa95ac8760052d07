#include "secretd/datadir/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/key_files.h"
#include "secretd/store/sqlite_store.h"

namespace secretd {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 07777;
  return st.st_mode & 07777;
}

class DataDirTest : public ::testing::Test {
 protected:
  std::string Root() const {
    return absl::StrCat(
        getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  common::RealClock clock_;
};

TEST_F(DataDirTest, InitMakesEveryFileWithItsMode) {
  ASSERT_OK_AND_ASSIGN(InitReport report, InitDataDir(Root(), {}, clock_));
  DataDirLayout l(Root());
  EXPECT_EQ(ModeOf(l.root), 0700u);
  EXPECT_EQ(ModeOf(l.keys_dir), 0700u);
  EXPECT_EQ(ModeOf(l.kek), 0600u);
  EXPECT_EQ(ModeOf(l.release_key), 0600u);
  EXPECT_EQ(ModeOf(l.audit_key), 0600u);
  EXPECT_EQ(ModeOf(l.release_pub), 0644u);
  EXPECT_EQ(ModeOf(l.audit_pub), 0644u);
  EXPECT_EQ(ModeOf(l.ca_pem), 0644u);
  EXPECT_EQ(ModeOf(l.server_pem), 0644u);
  EXPECT_EQ(ModeOf(l.server_key), 0600u);
  EXPECT_EQ(ModeOf(l.store_db), 0600u);
  EXPECT_EQ(ModeOf(l.audit_dir), 0700u);
  // No CA private key is kept.
  EXPECT_NE(access((l.tls_dir + "/ca.key").c_str(), F_OK), 0);
  EXPECT_EQ(report.files.size(), 10u);
  EXPECT_EQ(report.release_key_id.size(), 16u);
}

TEST_F(DataDirTest, LoadedKeysMatchTheInitReportAndPublicFiles) {
  ASSERT_OK_AND_ASSIGN(InitReport report, InitDataDir(Root(), {}, clock_));
  DataDirLayout l(Root());
  ASSERT_OK_AND_ASSIGN(BrokerKeys keys, LoadBrokerKeys(l));
  EXPECT_EQ(keys.kek.id(), report.kek_id);
  EXPECT_EQ(keys.release->key_id(), report.release_key_id);
  EXPECT_EQ(keys.audit->key_id(), report.audit_key_id);
  EXPECT_NE(keys.release->key_id(), keys.audit->key_id());
  ASSERT_OK_AND_ASSIGN(std::string release_pub,
                       keys::ReadPublicKeyFile(l.release_pub));
  EXPECT_EQ(release_pub, keys.release->public_key());
}

TEST_F(DataDirTest, StoreIsCreatedEmpty) {
  ASSERT_OK(InitDataDir(Root(), {}, clock_).status());
  ASSERT_OK_AND_ASSIGN(
      auto store,
      SqliteStore::Open(DataDirLayout(Root()).store_db, clock_, {}));
  ASSERT_OK_AND_ASSIGN(auto roles, store->ListRoles());
  EXPECT_TRUE(roles.empty());
}

TEST_F(DataDirTest, RefusesANonEmptyDirectoryAndTouchesNothing) {
  ASSERT_EQ(mkdir(Root().c_str(), 0755), 0);
  { std::ofstream(Root() + "/precious") << "x"; }
  EXPECT_THAT(InitDataDir(Root(), {}, clock_),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("never overwrites")));
  EXPECT_EQ(access((Root() + "/keys").c_str(), F_OK), -1);
}

TEST_F(DataDirTest, RefusesAnExistingDataDirectory) {
  ASSERT_OK(InitDataDir(Root(), {}, clock_).status());
  EXPECT_THAT(InitDataDir(Root(), {}, clock_),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(DataDirTest, AcceptsAnEmptyExistingDirectory) {
  ASSERT_EQ(mkdir(Root().c_str(), 0755), 0);
  ASSERT_OK(InitDataDir(Root(), {}, clock_).status());
  EXPECT_EQ(ModeOf(Root()), 0700u);
}

TEST_F(DataDirTest, BadSanFailsBeforeAnythingIsMade) {
  InitOptions o;
  o.tls_sans = {"not a name"};
  EXPECT_THAT(InitDataDir(Root(), o, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(access(Root().c_str(), F_OK), -1);
}

TEST_F(DataDirTest, LoadingAnUninitialisedDirectorySaysWhatToRun) {
  EXPECT_THAT(LoadBrokerKeys(DataDirLayout(Root())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("run \"secretctl init --data-dir ")));
}

TEST_F(DataDirTest, LoadingRefusesAKeyFileOthersCanRead) {
  ASSERT_OK(InitDataDir(Root(), {}, clock_).status());
  DataDirLayout l(Root());
  ASSERT_EQ(chmod(l.kek.c_str(), 0644), 0);
  EXPECT_THAT(LoadBrokerKeys(l), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr(l.kek)));
}

TEST(DataDirLayoutTest, PathsFollowTheDesign) {
  DataDirLayout l("/srv/secretd/");
  EXPECT_EQ(l.release_pub, "/srv/secretd/keys/release.pub");
  EXPECT_EQ(l.audit_pub, "/srv/secretd/keys/audit.pub");
  EXPECT_EQ(l.ca_pem, "/srv/secretd/tls/ca.pem");
  EXPECT_EQ(l.store_db, "/srv/secretd/store.db");
  EXPECT_EQ(l.audit_dir, "/srv/secretd/audit");
  EXPECT_EQ(l.admin_socket, "/srv/secretd/admin.sock");
}

}  // namespace
}  // namespace secretd
