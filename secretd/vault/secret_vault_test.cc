#include "secretd/vault/secret_vault.h"

#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/envelope.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "secretd/store/sqlite_store.h"

namespace secretd {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

keys::SecretBytes Value(absl::string_view s) {
  return keys::SecretBytes::CopyFrom(s);
}
std::string Str(const keys::SecretBytes& b) {
  return std::string(b.AsStringView(keys::InsecureSecretAccess::Get()));
}
std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Opens nonce(24) || XChaCha20-Poly1305(key, plaintext) with the associated
// data of secret `name` at `version`: the form of both the wrapped data key
// and the ciphertext (keys/envelope.h). Empty if it does not authenticate.
std::string OpenEnvelopePart(absl::string_view key, const std::string& name,
                             int64_t version, const std::string& sealed) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  absl::StatusOr<std::string> aad = keys::SecretAad(name, version);
  if (!aad.ok() || key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES ||
      sealed.size() < kNonce + kTag) {
    return "";
  }
  std::string out(sealed.size() - kNonce - kTag, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), nullptr, nullptr,
          in + kNonce, sealed.size() - kNonce,
          reinterpret_cast<const unsigned char*>(aad->data()), aad->size(), in,
          reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return "";
  }
  return out;
}

class SecretVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(
        getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    SqliteStore::Options o;
    o.create = true;
    auto s = SqliteStore::Open(path_, clock_, o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  // Runs SQL directly on the store file: an attacker with the database.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << err;
    sqlite3_close(db);
  }

  std::string path_;
  common::testing::FakeClock clock_;
  keys::SystemRandom random_;
  keys::Kek kek_ = keys::Kek::Generate(random_);
  KekRing ring_{kek_};
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SecretVaultTest, PutThenReadRoundTripsEveryVersion) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK_AND_ASSIGN(int64_t v1,
                       vault.Put("app/db/password", Value("hunter2")));
  ASSERT_OK_AND_ASSIGN(int64_t v2,
                       vault.Put("app/db/password", Value("correct horse")));
  EXPECT_EQ(v1, 1);
  EXPECT_EQ(v2, 2);
  ASSERT_OK_AND_ASSIGN(SecretVault::Plaintext cur,
                       vault.Read("app/db/password", std::nullopt));
  EXPECT_EQ(cur.version, 2);
  EXPECT_EQ(Str(cur.value), "correct horse");
  ASSERT_OK_AND_ASSIGN(SecretVault::Plaintext old,
                       vault.Read("app/db/password", 1));
  EXPECT_EQ(Str(old.value), "hunter2");
}

TEST_F(SecretVaultTest, DisabledNewestVersionFallsBackToThePreviousOne) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK(vault.Put("a", Value("one")).status());
  ASSERT_OK(vault.Put("a", Value("two")).status());
  ASSERT_OK(store_->DisableSecretVersion("a", 2));
  ASSERT_OK_AND_ASSIGN(SecretVault::Plaintext cur,
                       vault.Read("a", std::nullopt));
  EXPECT_EQ(cur.version, 1);
  EXPECT_THAT(vault.Read("a", 2), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(vault.Read("missing", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound));
}

// Issue 5: swapping two rows' ciphertexts in the database makes decryption
// fail.
TEST_F(SecretVaultTest, SwappedCiphertextsDoNotDecrypt) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK(vault.Put("app/a", Value("value-a")).status());
  ASSERT_OK(vault.Put("app/b", Value("value-b")).status());
  store_.reset();
  Sql("CREATE TEMP TABLE t AS SELECT name, wrapped_data_key, ciphertext FROM "
      "secret_versions;"
      "UPDATE secret_versions SET "
      " wrapped_data_key = (SELECT wrapped_data_key FROM t WHERE t.name <> "
      "secret_versions.name),"
      " ciphertext = (SELECT ciphertext FROM t WHERE t.name <> "
      "secret_versions.name);");
  ASSERT_OK_AND_ASSIGN(store_, SqliteStore::Open(path_, clock_, {}));
  SecretVault reopened(*store_, ring_, random_);
  EXPECT_THAT(reopened.Read("app/a", std::nullopt),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(reopened.Read("app/b", std::nullopt),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(SecretVaultTest, VersionsOfOneSecretCannotBeSwappedEither) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK(vault.Put("app/a", Value("old")).status());
  ASSERT_OK(vault.Put("app/a", Value("new")).status());
  store_.reset();
  Sql("UPDATE secret_versions SET version = version + 10 WHERE name = 'app/a';"
      "UPDATE secret_versions SET version = 13 - version WHERE name = "
      "'app/a';");
  ASSERT_OK_AND_ASSIGN(store_, SqliteStore::Open(path_, clock_, {}));
  SecretVault reopened(*store_, ring_, random_);
  EXPECT_THAT(reopened.Read("app/a", 2), StatusIs(absl::StatusCode::kDataLoss));
}

// Issue 5: the database file never contains a plaintext value or data key.
TEST_F(SecretVaultTest, DatabaseFilesHoldNoPlaintext) {
  SecretVault vault(*store_, ring_, random_);
  const std::string values[] = {"PLAINTEXT-MARKER-0123456789",
                                "s3cr3t-db-password-XYZ",
                                std::string(3000, 'Q')};
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(vault.Put(absl::StrCat("app/s", i), Value(values[i])).status());
  }
  // Read them back too (nothing may be cached in the file by a read).
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(vault.Read(absl::StrCat("app/s", i), 1).status());
  for (const std::string& file : {path_, path_ + "-wal", path_ + "-shm"}) {
    const std::string bytes = ReadAll(file);
    for (const std::string& v : values) {
      EXPECT_EQ(bytes.find(v.substr(0, 16)), std::string::npos) << file;
    }
  }
  ASSERT_OK(store_->Checkpoint());
  const std::string main_file = ReadAll(path_);
  EXPECT_GT(main_file.size(), 0u);
  for (const std::string& v : values) {
    EXPECT_EQ(main_file.find(v.substr(0, 16)), std::string::npos);
  }
}

// Issue 5: nor an unwrapped data key. The test unwraps each stored data key
// itself, with the KEK and the envelope format, checks that it is the key
// that encrypts the stored value, and scans the database files for its raw
// bytes, after Put and Read, after a checkpoint and after a KEK rotation
// (which unwraps every data key).
TEST_F(SecretVaultTest, DatabaseFilesHoldNoUnwrappedDataKey) {
  SecretVault vault(*store_, ring_, random_);
  const std::string values[] = {"first-value", "second-value",
                                std::string(3000, 'Q')};
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    names.push_back(absl::StrCat("app/k", i));
    ASSERT_OK(vault.Put(names[i], Value(values[i])).status());
    ASSERT_OK(vault.Read(names[i], 1).status());
  }
  std::vector<std::string> data_keys;
  std::vector<std::string> wrapped_keys;
  const absl::string_view kek =
      kek_.key(keys::InsecureSecretAccess::Get())
          .AsStringView(keys::InsecureSecretAccess::Get());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(SecretVersionRecord r,
                         store_->GetSecretVersion(names[i], 1));
    const std::string dek =
        OpenEnvelopePart(kek, r.name, r.version, r.fields.wrapped_data_key);
    ASSERT_EQ(dek.size(), 32u) << names[i];
    ASSERT_EQ(OpenEnvelopePart(dek, r.name, r.version, r.fields.ciphertext),
              values[i])
        << names[i];
    data_keys.push_back(dek);
    wrapped_keys.push_back(r.fields.wrapped_data_key);
  }
  ASSERT_NE(data_keys[0], data_keys[1]);  // one data key per version

  const auto scan = [&](const std::string& when) {
    std::string all;
    for (const std::string& file : {path_, path_ + "-wal", path_ + "-shm"}) {
      const std::string bytes = ReadAll(file);
      for (size_t i = 0; i < data_keys.size(); ++i) {
        EXPECT_EQ(bytes.find(data_keys[i]), std::string::npos)
            << when << ": " << file << " holds the data key of " << names[i];
      }
      all += bytes;
    }
    return all;
  };
  const std::string before = scan("after Put and Read");
  // The scan reads what the store wrote: the wrapped keys are there.
  for (const std::string& w : wrapped_keys) {
    EXPECT_NE(before.find(w), std::string::npos);
  }
  ASSERT_OK(store_->Checkpoint());
  const std::string main_file = ReadAll(path_);
  for (const std::string& w : wrapped_keys) {
    EXPECT_NE(main_file.find(w), std::string::npos);
  }
  scan("after a checkpoint");

  keys::Kek next = keys::Kek::Generate(random_);
  ASSERT_OK_AND_ASSIGN(SecretVault::Rotation rotation, vault.RewrapAll(next));
  EXPECT_EQ(rotation.rewrapped, 3);
  scan("after a KEK rotation");
  ASSERT_OK(store_->Checkpoint());
  scan("after a KEK rotation and a checkpoint");
}

TEST_F(SecretVaultTest, RowWrappedByAnUnknownKekIsAFailedPrecondition) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK(vault.Put("a", Value("x")).status());
  keys::Kek other = keys::Kek::Generate(random_);
  KekRing other_ring(other);
  SecretVault stranger(*store_, other_ring, random_);
  EXPECT_THAT(
      stranger.Read("a", std::nullopt),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(kek_.id())));
}

TEST_F(SecretVaultTest, RewrapAllMovesEveryRowToTheNewKek) {
  SecretVault vault(*store_, ring_, random_);
  ASSERT_OK(vault.Put("a", Value("alpha")).status());
  ASSERT_OK(vault.Put("b", Value("beta")).status());
  ASSERT_OK(store_->DisableSecretVersion("b", 1));
  keys::Kek next = keys::Kek::Generate(random_);
  ASSERT_OK_AND_ASSIGN(SecretVault::Rotation r, vault.RewrapAll(next));
  EXPECT_EQ(r.rewrapped, 2);  // disabled versions too
  KekRing only_next(next);
  SecretVault after(*store_, only_next, random_);
  ASSERT_OK_AND_ASSIGN(SecretVault::Plaintext a, after.Read("a", std::nullopt));
  EXPECT_EQ(Str(a.value), "alpha");
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListSecrets(""));
  for (const auto& s : list) {
    for (const auto& v : s.versions) EXPECT_EQ(v.kek_id, next.id());
  }
  // A second rotation to the same KEK rewraps nothing.
  ASSERT_OK_AND_ASSIGN(SecretVault::Rotation again, after.RewrapAll(next));
  EXPECT_EQ(again.rewrapped, 0);
}

TEST_F(SecretVaultTest, BeforeCommitSeesTheVersionAndItsErrorStoresNothing) {
  SecretVault vault(*store_, ring_, random_);
  std::vector<int64_t> seen;
  ASSERT_OK_AND_ASSIGN(int64_t v1,
                       vault.Put("a", Value("one"), [&](int64_t version) {
                         seen.push_back(version);
                         return absl::OkStatus();
                       }));
  EXPECT_EQ(v1, 1);
  EXPECT_THAT(vault.Put("a", Value("two"),
                        [&](int64_t version) {
                          seen.push_back(version);
                          return absl::UnavailableError("audit down");
                        }),
              StatusIs(absl::StatusCode::kUnavailable, "audit down"));
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 2));
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListSecrets("a"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].latest_version, 1);  // number 2 was not consumed
  ASSERT_OK_AND_ASSIGN(int64_t v2, vault.Put("a", Value("two")));
  EXPECT_EQ(v2, 2);
}

}  // namespace
}  // namespace secretd
