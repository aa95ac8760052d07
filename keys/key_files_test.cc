#include "keys/key_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
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

// Security review, issue 3.
TEST_F(KeyFilesTest, FifoAtAKeyPathIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo(Path("kek").c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(Path("release.pub").c_str(), 0644), 0);
  // Without O_NONBLOCK, open(2) waits for a writer forever: the watchdog
  // kills the test then.
  alarm(20);
  EXPECT_THAT(LoadKekFile(Path("kek")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "key file \"" + Path("kek") +
                           "\" is not a regular file (it is a FIFO)"));
  EXPECT_THAT(ReadPublicKeyFile(Path("release.pub")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "public key file \"" + Path("release.pub") +
                           "\" is not a regular file (it is a FIFO)"));
  alarm(0);
}

TEST_F(KeyFilesTest, SymbolicLinkIsRefused) {
  Kek kek = Kek::Generate(random_);
  ASSERT_THAT(WriteKekFile(Path("kek"), kek), IsOk());
  ASSERT_EQ(symlink(Path("kek").c_str(), Path("link").c_str()), 0);
  EXPECT_THAT(
      LoadKekFile(Path("link")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "key file \"" + Path("link") +
                   "\" is a symbolic link; key files are never read through "
                   "links, so that nobody can point them elsewhere: replace "
                   "the link with the file itself, or give the link's target "
                   "as the path"));
  EXPECT_THAT(LoadKekFile(Path("kek")), IsOk());
  // A dangling link too, and public key files alike.
  ASSERT_EQ(symlink(Path("none").c_str(), Path("dangling").c_str()), 0);
  EXPECT_THAT(ReadPrivateKeyFile(Path("dangling")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is a symbolic link")));
  Write(Path("release.pub"), Base64UrlEncode(std::string(32, 'p')) + "\n",
        0644);
  ASSERT_EQ(symlink(Path("release.pub").c_str(), Path("pub-link").c_str()), 0);
  EXPECT_THAT(ReadPublicKeyFile(Path("pub-link")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "public key file \"" + Path("pub-link") +
                           "\" is a symbolic link; key files are never read "
                           "through links, so that nobody can point them "
                           "elsewhere: replace the link with the file itself, "
                           "or give the link's target as the path"));
}

TEST_F(KeyFilesTest, PrivateKeyInAWritableDirectoryIsRefusedWithTheFix) {
  const std::string keys = Path("keys");
  ASSERT_EQ(mkdir(keys.c_str(), 0700), 0);
  const std::string kek_path = keys + "/kek";
  ASSERT_THAT(WriteKekFile(kek_path, Kek::Generate(random_)), IsOk());
  for (mode_t mode : {0770, 0730, 0707, 0702, 0722, 0777, 01777}) {
    ASSERT_EQ(chmod(keys.c_str(), mode), 0);
    EXPECT_THAT(
        LoadKekFile(kek_path),
        StatusIs(absl::StatusCode::kFailedPrecondition,
                 absl::StrFormat(
                     "key file \"%s\" is in directory \"%s\", which group or "
                     "others may write to (mode %04o), so they could replace "
                     "the key; run \"chmod go-w %s\" or keep keys in a "
                     "directory only their owner can write",
                     kek_path, keys, mode, keys)))
        << std::oct << mode;
  }
  for (mode_t mode : {0700, 0750, 0755, 0500}) {
    ASSERT_EQ(chmod(keys.c_str(), mode), 0);
    EXPECT_THAT(LoadKekFile(kek_path), IsOk()) << std::oct << mode;
  }
  // Public key files may sit in a shared directory.
  ASSERT_EQ(chmod(keys.c_str(), 0777), 0);
  Write(keys + "/audit.pub", Base64UrlEncode(std::string(32, 'a')) + "\n",
        0644);
  EXPECT_THAT(ReadPublicKeyFile(keys + "/audit.pub"),
              IsOkAndHolds(std::string(32, 'a')));
  ASSERT_EQ(chmod(keys.c_str(), 0700), 0);
}

TEST_F(KeyFilesTest, PublicKeyFileWritableByOthersIsRefusedWithTheFix) {
  const std::string b64 = Base64UrlEncode(std::string(32, 'q')) + "\n";
  for (mode_t mode : {0664, 0646, 0666, 0622}) {
    Write(Path("release.pub"), b64, mode);
    EXPECT_THAT(ReadPublicKeyFile(Path("release.pub")),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         absl::StrFormat(
                             "public key file \"%s\" is writable by group "
                             "or others (mode %04o), so they could "
                             "replace the key; run \"chmod 644 %s\"",
                             Path("release.pub"), mode, Path("release.pub"))))
        << std::oct << mode;
  }
  for (mode_t mode : {0644, 0640, 0444, 0600}) {
    Write(Path("release.pub"), b64, mode);
    EXPECT_THAT(ReadPublicKeyFile(Path("release.pub")),
                IsOkAndHolds(std::string(32, 'q')))
        << std::oct << mode;
  }
}

TEST_F(KeyFilesTest, PublicKeyFileHasTheSizeCapAndMustBeRegular) {
  Write(Path("big.pub"), std::string(kMaxKeyFileBytes + 1, 'a'), 0644);
  EXPECT_THAT(ReadPublicKeyFile(Path("big.pub")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "public key file \"" + Path("big.pub") +
                           "\" is 65537 bytes; a key file is at most 65536"));
  EXPECT_THAT(ReadPublicKeyFile(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "public key file \"" + dir_ +
                           "\" is not a regular file (it is a directory)"));
  EXPECT_THAT(ReadPublicKeyFile(Path("none.pub")),
              StatusIs(absl::StatusCode::kNotFound,
                       "no public key file at \"" + Path("none.pub") + "\""));
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
