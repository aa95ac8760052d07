#include "secretctl/audit/audit_key.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl {
namespace {

using ::common::testing::StatusIs;
using ::secretd::audit::testing::TestSigner;
using ::testing::HasSubstr;

std::string KeyFile(absl::string_view name, absl::string_view text) {
  std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

std::string Encoded(const TestSigner& s) {
  const auto& pk = s.public_key();
  return keys::Base64UrlEncode(std::string(pk.begin(), pk.end()));
}

TEST(AuditKeyTest, KeyFileChecksTheSignersCheckpoints) {
  TestSigner signer;
  ASSERT_OK_AND_ASSIGN(AuditKey key, LoadAuditPublicKey(KeyFile(
                                         "good", Encoded(signer) + "\n")));
  EXPECT_EQ(key.key_id, signer.KeyId());
  const std::string msg = "secretd-audit-checkpoint-v1 test";
  ASSERT_OK_AND_ASSIGN(std::string sig, signer.Sign(msg));
  EXPECT_OK(key.check(msg, sig, signer.KeyId()));
  EXPECT_THAT(key.check(msg + "x", sig, signer.KeyId()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(key.check(msg, sig, "0000000000000000"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(key.check(msg, sig.substr(1), signer.KeyId()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(AuditKeyTest, KeyFileWithoutFinalNewlineIsAccepted) {
  TestSigner signer;
  EXPECT_OK(LoadAuditPublicKey(KeyFile("nonl", Encoded(signer))).status());
}

TEST(AuditKeyTest, MissingKeyFileIsNotFound) {
  EXPECT_THAT(
      LoadAuditPublicKey(absl::StrCat(getenv("TEST_TMPDIR"), "/none")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("audit public key: ")));
}

TEST(AuditKeyTest, MalformedKeyFilesAreInvalidArgument) {
  TestSigner signer;
  const std::string good = Encoded(signer);
  for (const std::string& text :
       {good + "=", good + "\n\n", "  " + good, good.substr(1),
        keys::Base64UrlEncode(std::string(31, 'k')),
        std::string("not base64!")}) {
    EXPECT_THAT(LoadAuditPublicKey(KeyFile("bad", text)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
}

}  // namespace
}  // namespace secretctl
