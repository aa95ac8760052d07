#include "secretd/keyring/keyring.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/token_reason.h"
#include "secretd/store/sqlite_store.h"
#include "secretd/vault/secret_vault.h"

namespace secretd {
namespace {

using ::common::testing::StatusIs;

std::string Str(const keys::SecretBytes& b) {
  return std::string(b.AsStringView(keys::InsecureSecretAccess::Get()));
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(
        getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_OK(InitDataDir(root_, {}, real_clock_).status());
    layout_ = std::make_unique<DataDirLayout>(root_);
    ASSERT_OK_AND_ASSIGN(store_,
                         SqliteStore::Open(layout_->store_db, clock_, {}));
    ASSERT_OK_AND_ASSIGN(keyring_, Keyring::Load(*layout_, {}));
  }
  int64_t Put(absl::string_view name, absl::string_view value) {
    auto keys = keyring_->Current();
    SecretVault vault(*store_, keys->ring, random_);
    auto v = vault.Put(name, keys::SecretBytes::CopyFrom(value));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : 0;
  }
  absl::StatusOr<std::string> Read(absl::string_view name) {
    auto keys = keyring_->Current();
    SecretVault vault(*store_, keys->ring, random_);
    auto p = vault.Read(name, std::nullopt);
    if (!p.ok()) return p.status();
    return Str(p->value);
  }

  std::string root_;
  std::unique_ptr<DataDirLayout> layout_;
  common::RealClock real_clock_;
  common::testing::FakeClock clock_;
  keys::SystemRandom random_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Keyring> keyring_;
};

TEST_F(KeyringTest, LoadsTheDataDirectoryKeys) {
  auto keys = keyring_->Current();
  ASSERT_OK_AND_ASSIGN(keys::Kek kek, keys::LoadKekFile(layout_->kek));
  EXPECT_EQ(keys->current.id(), kek.id());
  EXPECT_TRUE(keys->retired.empty());
  ASSERT_OK_AND_ASSIGN(std::string pub,
                       keys::ReadPublicKeyFile(layout_->release_pub));
  EXPECT_EQ(keyring_->release_signer().public_key(), pub);
}

TEST_F(KeyringTest, RotationRewrapsRetiresAndKeepsEverythingReadable) {
  Put("app/a", "alpha");
  Put("app/b", "beta");
  const std::string old_id = keyring_->Current()->current.id();
  ASSERT_OK_AND_ASSIGN(Keyring::RotationResult r,
                       keyring_->RotateKek(*store_, random_));
  EXPECT_EQ(r.old_kek_id, old_id);
  EXPECT_NE(r.new_kek_id, old_id);
  EXPECT_EQ(r.rewrapped, 2);
  EXPECT_EQ(keyring_->Current()->current.id(), r.new_kek_id);
  EXPECT_EQ(access(layout_->kek_next.c_str(), F_OK), -1);
  struct stat st;
  ASSERT_EQ(stat((layout_->kek_retired_dir + "/" + old_id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(Read("app/a"), ::common::testing::IsOkAndHolds("alpha"));
  // Rows are wrapped by the new KEK only.
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListSecrets(""));
  for (const auto& s : list) EXPECT_EQ(s.versions[0].kek_id, r.new_kek_id);
  // A fresh load from disk sees the same keys.
  ASSERT_OK_AND_ASSIGN(auto reloaded, Keyring::Load(*layout_, {}));
  EXPECT_EQ(reloaded->Current()->current.id(), r.new_kek_id);
  ASSERT_EQ(reloaded->Current()->retired.size(), 1u);
}

TEST_F(KeyringTest, ChallengesFromBeforeARotationStillCheck) {
  keys::Challenge c = keyring_->Current()->challenge.Issue(clock_, random_);
  ASSERT_OK(keyring_->RotateKek(*store_, random_).status());
  EXPECT_OK(keyring_->Current()->challenge.Check(c.value, clock_));
  clock_.Advance(absl::Seconds(301));
  EXPECT_EQ(keys::GetTokenReason(
                keyring_->Current()->challenge.Check(c.value, clock_)),
            keys::TokenReason::kNonceExpired);
}

TEST_F(KeyringTest, InterruptedRotationKeepsRowsReadableAndResumes) {
  Put("app/a", "alpha");
  // Simulate a crash after the rewrap committed, before the renames.
  keys::Kek next = keys::Kek::Generate(random_);
  ASSERT_OK(keys::WriteKekFile(layout_->kek_next, next));
  {
    SecretVault vault(*store_, keyring_->Current()->ring, random_);
    ASSERT_OK(vault.RewrapAll(next).status());
  }
  ASSERT_OK(keyring_->Reload());  // as a restarted broker would load
  EXPECT_THAT(Read("app/a"), ::common::testing::IsOkAndHolds("alpha"));
  ASSERT_OK_AND_ASSIGN(Keyring::RotationResult r,
                       keyring_->RotateKek(*store_, random_));
  EXPECT_EQ(r.new_kek_id, next.id());
  EXPECT_EQ(r.rewrapped, 0);
  EXPECT_EQ(keyring_->Current()->current.id(), next.id());
  EXPECT_THAT(Read("app/a"), ::common::testing::IsOkAndHolds("alpha"));
}

TEST_F(KeyringTest, BeforeRotateSeesBothIdsAndItsErrorChangesNothing) {
  Put("app/a", "alpha");
  const std::string old_id = keyring_->Current()->current.id();
  Keyring::RotationResult planned;
  EXPECT_THAT(keyring_->RotateKek(*store_, random_,
                                  [&](const Keyring::RotationResult& p) {
                                    planned = p;
                                    return absl::UnavailableError("audit down");
                                  }),
              StatusIs(absl::StatusCode::kUnavailable, "audit down"));
  EXPECT_EQ(planned.old_kek_id, old_id);
  EXPECT_NE(planned.new_kek_id, old_id);
  EXPECT_EQ(keyring_->Current()->current.id(), old_id);
  EXPECT_EQ(access(layout_->kek_next.c_str(), F_OK), -1);
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListSecrets(""));
  EXPECT_EQ(list[0].versions[0].kek_id, old_id);

  ASSERT_OK_AND_ASSIGN(
      Keyring::RotationResult r,
      keyring_->RotateKek(*store_, random_,
                          [&](const Keyring::RotationResult& p) {
                            planned = p;
                            return absl::OkStatus();
                          }));
  EXPECT_EQ(planned.new_kek_id, r.new_kek_id);
  EXPECT_EQ(r.rewrapped, 1);
}

TEST_F(KeyringTest, ReloadKeepsTheOldKeysWhenAFileIsBad) {
  const std::string id = keyring_->Current()->current.id();
  ASSERT_EQ(chmod(layout_->kek.c_str(), 0644), 0);
  EXPECT_THAT(keyring_->Reload(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(keyring_->Current()->current.id(), id);
}

}  // namespace
}  // namespace secretd
