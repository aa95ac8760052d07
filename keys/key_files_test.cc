#include "keys/key_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/kek.h"
#include "keys/testing/fake_random.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

class KeyFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::string(tmp ? tmp : "/tmp") + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    mkdir(dir_.c_str(), 0700);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }
  static void Write(const std::string& path, const std::string& contents,
                    mode_t mode) {
    std::ofstream(path) << contents;
    chmod(path.c_str(), mode);
  }

  std::string dir_;
  testing::FakeRandom random_{51};
};

TEST_F(KeyFilesTest, KekRoundTripsWithMode0600) {
  Kek kek = Kek::Generate(random_);
  ASSERT_THAT(WriteKekFile(Path("kek"), kek), IsOk());
  EXPECT_EQ(Mode(Path("kek")), 0600u);
  const std::string text = Read(Path("kek"));
  EXPECT_EQ(text.size(), 44u);  // 43 base64url characters and "\n"
  EXPECT_EQ(text.back(), '\n');
  auto loaded = LoadKekFile(Path("kek"));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->id(), kek.id());
  EXPECT_EQ(loaded->key(InsecureSecretAccess::Get()),
            kek.key(InsecureSecretAccess::Get()));
}

TEST_F(KeyFilesTest, PrivateKeyIsNeverOverwritten) {
  Kek kek = Kek::Generate(random_);
  ASSERT_THAT(WriteKekFile(Path("kek"), kek), IsOk());
  Kek other = Kek::Generate(random_);
  EXPECT_THAT(WriteKekFile(Path("kek"), other),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("refusing to overwrite")));
  EXPECT_EQ(LoadKekFile(Path("kek"))->id(), kek.id());
  // No temporary file is left behind.
  EXPECT_NE(access((Path("kek") + ".tmp-").c_str(), F_OK), 0);
}

TEST_F(KeyFilesTest, GroupOrOtherAccessibleKeyIsRefusedWithTheFix) {
  Kek kek = Kek::Generate(random_);
  ASSERT_THAT(WriteKekFile(Path("kek"), kek), IsOk());
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0660}) {
    chmod(Path("kek").c_str(), mode);
    auto loaded = LoadKekFile(Path("kek"));
    EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("chmod 600 " + Path("kek"))))
        << std::oct << mode;
  }
  chmod(Path("kek").c_str(), 0400);
  EXPECT_THAT(LoadKekFile(Path("kek")), IsOk());
}

TEST_F(KeyFilesTest, MissingFileIsNotFound) {
  EXPECT_THAT(LoadKekFile(Path("none")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no key file")));
}

TEST_F(KeyFilesTest, DirectoryIsNotAKeyFile) {
  EXPECT_THAT(ReadPrivateKeyFile(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a regular file")));
}

TEST_F(KeyFilesTest, BadKekContentsAreInvalidArgument) {
  Write(Path("kek"), "not base64!\n", 0600);
  EXPECT_THAT(LoadKekFile(Path("kek")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("base64url encoding of 32 bytes")));
  Write(Path("short"), Base64UrlEncode(std::string(31, 'k')) + "\n", 0600);
  EXPECT_THAT(LoadKekFile(Path("short")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeyFilesTest, HugeFileIsRefused) {
  Write(Path("big"), std::string(kMaxKeyFileBytes + 1, 'a'), 0600);
  EXPECT_THAT(
      ReadPrivateKeyFile(Path("big")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 65536")));
}

TEST_F(KeyFilesTest, PublicKeyFileHasTheDesignForm) {
  auto signer = Ed25519Signer::Generate(random_);
  ASSERT_THAT(WritePublicKeyFile(Path("release.pub"), signer->public_key()),
              IsOk());
  EXPECT_EQ(Mode(Path("release.pub")), 0644u);
  EXPECT_EQ(Read(Path("release.pub")),
            Base64UrlEncode(signer->public_key()) + "\n");
  EXPECT_THAT(ReadPublicKeyFile(Path("release.pub")),
              IsOkAndHolds(signer->public_key()));
  // Replaced atomically when written again.
  ASSERT_THAT(WritePublicKeyFile(Path("release.pub"), std::string(32, 'z')),
              IsOk());
  EXPECT_THAT(ReadPublicKeyFile(Path("release.pub")),
              IsOkAndHolds(std::string(32, 'z')));
}

TEST_F(KeyFilesTest, PublicKeyFileVariants) {
  const std::string b64 = Base64UrlEncode(std::string(32, 'q'));
  Write(Path("a"), b64, 0644);
  EXPECT_THAT(ReadPublicKeyFile(Path("a")), IsOkAndHolds(std::string(32, 'q')));
  Write(Path("b"), b64 + "\r\n", 0644);
  EXPECT_THAT(ReadPublicKeyFile(Path("b")), IsOk());
  Write(Path("c"), b64 + "\n\n", 0644);
  EXPECT_THAT(ReadPublicKeyFile(Path("c")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Write(Path("d"), " " + b64 + "\n", 0644);
  EXPECT_THAT(ReadPublicKeyFile(Path("d")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(WritePublicKeyFile(Path("e"), "short"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeyFilesTest, Ed25519KeyFileRoundTrips) {
  auto signer = Ed25519Signer::Generate(random_);
  ASSERT_THAT(WriteEd25519KeyFile(Path("release.key"), *signer), IsOk());
  EXPECT_EQ(Mode(Path("release.key")), 0600u);
  auto loaded = LoadEd25519KeyFile(Path("release.key"));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ((*loaded)->public_key(), signer->public_key());
  EXPECT_EQ((*loaded)->Sign("m").value(), signer->Sign("m").value());
  // The file is a private JWK whose kid is the key id.
  auto jwk = Jwk::ParsePrivate(Read(Path("release.key")));
  ASSERT_THAT(jwk, IsOk());
  EXPECT_EQ(jwk->kid(), signer->key_id());
}

TEST_F(KeyFilesTest, SigningKeyFileOfEachAlgorithmRoundTrips) {
  for (auto alg : {SignatureAlgorithm::kEdDSA, SignatureAlgorithm::kES256,
                   SignatureAlgorithm::kRS256}) {
    const std::string path =
        Path(std::string(SignatureAlgorithmName(alg)) + ".jwk");
    auto key = Jwk::Generate(alg, "kid", random_);
    ASSERT_THAT(key, IsOk());
    ASSERT_THAT(WriteSigningKeyFile(path, *key), IsOk());
    auto loaded = LoadSigningKeyFile(path);
    ASSERT_THAT(loaded, IsOk());
    EXPECT_EQ(loaded->Thumbprint(), key->Thumbprint());
    EXPECT_TRUE(loaded->is_private());
  }
}

TEST_F(KeyFilesTest, Ed25519LoaderRefusesOtherKeyTypes) {
  auto key = Jwk::Generate(SignatureAlgorithm::kES256, "k", random_);
  ASSERT_THAT(WriteSigningKeyFile(Path("ec.jwk"), *key), IsOk());
  EXPECT_THAT(LoadEd25519KeyFile(Path("ec.jwk")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("an Ed25519 key is required")));
}

TEST_F(KeyFilesTest, PublicJwkIsNotASigningKeyFile) {
  auto key = Jwk::Generate(SignatureAlgorithm::kEdDSA, "k", random_);
  EXPECT_THAT(WriteSigningKeyFile(Path("pub.jwk"), key->ToPublic()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Write(Path("pub2.jwk"), key->ToPublicJson().dump(), 0600);
  EXPECT_THAT(LoadSigningKeyFile(Path("pub2.jwk")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("d: is required")));
}

}  // namespace
}  // namespace keys
