#include "keys/encoding.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keys {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
TEST(Base64UrlTest, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, DecodesCanonicalInput) {
  EXPECT_THAT(Base64UrlDecode(""), IsOkAndHolds(""));
  EXPECT_THAT(Base64UrlDecode("Zm9vYg"), IsOkAndHolds("foob"));
  EXPECT_THAT(Base64UrlDecode("-_8"), IsOkAndHolds("\xfb\xff"));
}

TEST(Base64UrlTest, RejectsEverythingNonCanonical) {
  for (const char* bad : {
           "Zm9vYg==",  // padding
           "Zm9vYg=",   // partial padding
           "Zm9v Yg",   // whitespace
           "Zm9vYg\n",  // trailing newline
           "Zm9+Yg",    // standard alphabet
           "Zm9/Yg",    // standard alphabet
           "Zh",        // non-zero unused bits ("f" is "Zg")
           "Zm9",       // non-zero unused bits ("fo" is "Zm8")
           "Z",         // impossible length
           "Zm9vY",     // impossible length
       }) {
    EXPECT_THAT(Base64UrlDecode(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(Base64UrlDecode(absl::string_view("Zm9v\0Yg", 7)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// libsodium 1.0.18 alone accepts these (found by jws_fuzzer).
TEST(Base64UrlTest, RejectsBytesAbove0x7f) {
  for (int c = 0x80; c <= 0xff; ++c) {
    std::string text = "QUJ";
    text.push_back(static_cast<char>(c));
    EXPECT_THAT(Base64UrlDecode(text),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << c;
    EXPECT_THAT(Base64UrlDecodeSecret(text),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << c;
  }
}

TEST(Base64UrlTest, SecretRoundTrip) {
  auto secret = Base64UrlDecodeSecret("Zm9vYmFy");
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->AsStringView(InsecureSecretAccess::Get()), "foobar");
  EXPECT_EQ(Base64UrlEncodeSecret(*secret, InsecureSecretAccess::Get()),
            "Zm9vYmFy");
  EXPECT_THAT(Base64UrlDecodeSecret("Zm9vYmF="),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HexTest, RoundTrips) {
  EXPECT_EQ(HexEncode(absl::string_view("\x00\xff\x10", 3)), "00ff10");
  EXPECT_THAT(HexDecode("00ff10"),
              IsOkAndHolds(std::string("\x00\xff\x10", 3)));
  EXPECT_THAT(HexDecode("00FF10"),
              IsOkAndHolds(std::string("\x00\xff\x10", 3)));
  EXPECT_THAT(HexDecode("0"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HexDecode("0g"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HexDecode("00 1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// FIPS 180-2 appendix B.1 and the empty string.
TEST(Sha256Test, MatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc").size(), 32u);
}

TEST(Sha256Test, HasherMatchesOneShot) {
  Sha256Hasher h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(HexEncode(h.Finish()), Sha256Hex("abc"));
}

// The one-shot digest (OpenSSL) and the incremental one (libsodium) agree on
// every length around the 64-byte block and its 56-byte padding limit.
TEST(Sha256Test, OneShotMatchesHasherOnEveryLength) {
  std::string data;
  for (size_t n = 0; n <= 300; ++n) {
    Sha256Hasher h;
    h.Update(data);
    ASSERT_EQ(Sha256(data), h.Finish()) << "length " << n;
    data.push_back(static_cast<char>(n * 37 + 11));
  }
}

TEST(Sha256Test, DigestOfPiecesIsTheDigestOfTheirConcatenation) {
  const std::string data(200, 'x');
  for (size_t cut = 0; cut <= data.size(); cut += 7) {
    const Sha256Digest digest =
        Sha256Of({absl::string_view(data).substr(0, cut), "",
                  absl::string_view(data).substr(cut)});
    ASSERT_EQ(std::string(digest.begin(), digest.end()), Sha256(data))
        << "cut at " << cut;
  }
  // FIPS 180-2 appendix B.1, in pieces; no pieces at all is the empty string.
  const Sha256Digest abc = Sha256Of({"a", "b", "c"});
  EXPECT_EQ(HexEncode(std::string(abc.begin(), abc.end())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const Sha256Digest none = Sha256Of({});
  EXPECT_EQ(HexEncode(std::string(none.begin(), none.end())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(PublicKeyIdTest, IsTheFirstSixteenHexDigitsOfTheDigest) {
  EXPECT_EQ(PublicKeyId("abc"), "ba7816bf8f01cfea");
}

}  // namespace
}  // namespace keys
