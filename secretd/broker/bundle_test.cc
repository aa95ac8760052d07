#include "secretd/broker/bundle.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keys/secret_bytes.h"
#include "proto/secretd/v1/broker.pb.h"

namespace secretd {
namespace {

std::string Bytes(const keys::SecretBytes& b) {
  return std::string(b.AsStringView(keys::InsecureSecretAccess::Get()));
}

// The same bundle through the generated message.
std::string Reference(const BundleHeader& h,
                      const std::vector<std::pair<std::string, int64_t>>& refs,
                      const std::vector<std::string>& values) {
  secretd::v1::SecretBundle bundle;
  bundle.set_request_id(h.request_id);
  bundle.set_role(h.role);
  bundle.set_subject(h.subject);
  bundle.set_token_id(h.token_id);
  bundle.set_token_sha256(h.token_sha256);
  bundle.set_issued_at(h.issued_at);
  bundle.set_expires_at(h.expires_at);
  for (size_t i = 0; i < refs.size(); ++i) {
    secretd::v1::Secret* s = bundle.add_secrets();
    s->set_name(refs[i].first);
    s->set_version(refs[i].second);
    s->set_value(values[i]);
  }
  return bundle.SerializeAsString();
}

std::vector<BundleSecret> Secrets(
    const std::vector<std::pair<std::string, int64_t>>& refs,
    const std::vector<std::string>& values) {
  std::vector<BundleSecret> out;
  for (size_t i = 0; i < refs.size(); ++i) {
    out.push_back({refs[i].first, refs[i].second,
                   keys::SecretBytes::CopyFrom(values[i])});
  }
  return out;
}

BundleHeader Header() {
  BundleHeader h;
  h.request_id = "7f3c2a91e0b4c5d6";
  h.role = "web";
  h.subject = "i-0abc";
  h.token_id = "jti-1";
  h.token_sha256 = std::string(32, '\xab');
  h.issued_at = 1764139305;
  h.expires_at = 1764142905;
  return h;
}

TEST(EncodeSecretBundleTest, MatchesTheGeneratedSerializerByteForByte) {
  const BundleHeader h = Header();
  const std::vector<std::pair<std::string, int64_t>> refs = {
      {"app/db/password", 7}, {"app/tls", 300}, {"x", 1}};
  const std::vector<std::string> values = {
      "hunter2", std::string("\0\xff\n binary", 10), std::string(200, 'v')};
  EXPECT_EQ(Bytes(EncodeSecretBundle(h, Secrets(refs, values))),
            Reference(h, refs, values));
}

TEST(EncodeSecretBundleTest, LargeValuesAndVersionsUseMultiByteVarints) {
  const BundleHeader h = Header();
  const std::vector<std::pair<std::string, int64_t>> refs = {
      {"big", int64_t{1} << 40}};
  const std::vector<std::string> values = {std::string(70000, 'z')};
  EXPECT_EQ(Bytes(EncodeSecretBundle(h, Secrets(refs, values))),
            Reference(h, refs, values));
}

TEST(EncodeSecretBundleTest, DefaultValuesAreOmittedAsProto3Does) {
  BundleHeader h;  // every header field empty or zero
  const std::vector<std::pair<std::string, int64_t>> refs = {{"a", 1}};
  const std::vector<std::string> values = {""};
  const std::string encoded =
      Bytes(EncodeSecretBundle(h, Secrets(refs, values)));
  EXPECT_EQ(encoded, Reference(h, refs, values));
  secretd::v1::SecretBundle parsed;
  ASSERT_TRUE(parsed.ParseFromString(encoded));
  ASSERT_EQ(parsed.secrets_size(), 1);
  EXPECT_EQ(parsed.secrets(0).name(), "a");
  EXPECT_EQ(parsed.secrets(0).value(), "");
}

TEST(EncodeSecretBundleTest, ParsesBackToTheSameValues) {
  const BundleHeader h = Header();
  const std::vector<std::pair<std::string, int64_t>> refs = {{"a/b", 2},
                                                             {"c", 9}};
  const std::vector<std::string> values = {"one", "two"};
  secretd::v1::SecretBundle parsed;
  ASSERT_TRUE(parsed.ParseFromString(
      Bytes(EncodeSecretBundle(h, Secrets(refs, values)))));
  EXPECT_EQ(parsed.request_id(), h.request_id);
  EXPECT_EQ(parsed.role(), "web");
  EXPECT_EQ(parsed.subject(), "i-0abc");
  EXPECT_EQ(parsed.token_id(), "jti-1");
  EXPECT_EQ(parsed.token_sha256(), h.token_sha256);
  EXPECT_EQ(parsed.issued_at(), h.issued_at);
  EXPECT_EQ(parsed.expires_at(), h.expires_at);
  ASSERT_EQ(parsed.secrets_size(), 2);
  EXPECT_EQ(parsed.secrets(1).name(), "c");
  EXPECT_EQ(parsed.secrets(1).version(), 9);
  EXPECT_EQ(parsed.secrets(1).value(), "two");
}

TEST(ReleaseSignatureMessageTest, IsContextNulKeyThenSealedBundle) {
  const std::string key(32, 'k');
  EXPECT_EQ(ReleaseSignatureMessage(key, "SEALED"),
            std::string("secretd-release-v1\0", 19) + key + "SEALED");
}

}  // namespace
}  // namespace secretd
