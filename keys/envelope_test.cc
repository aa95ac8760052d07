#include "keys/envelope.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/kek.h"
#include "keys/testing/fake_random.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

class EnvelopeTest : public ::testing::Test {
 protected:
  testing::FakeRandom random_{31};
  Kek kek_ = Kek::Generate(random_);
};

TEST(SecretAadTest, EncodesNameNulAndBigEndianVersion) {
  EXPECT_THAT(SecretAad("app/db", 258),
              IsOkAndHolds(std::string("secretd-secret-v1app/db\0"
                                       "\x00\x00\x00\x00\x00\x00\x01\x02",
                                       32)));
  EXPECT_THAT(SecretAad(absl::string_view("a\0b", 3), 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("may not contain NUL")));
  EXPECT_THAT(SecretAad("a", -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KekTest, IdIsDerivedFromTheKey) {
  auto a = Kek::FromBytes(SecretBytes::CopyFrom(std::string(32, 'a')));
  auto b = Kek::FromBytes(SecretBytes::CopyFrom(std::string(32, 'a')));
  auto c = Kek::FromBytes(SecretBytes::CopyFrom(std::string(32, 'c')));
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_NE(a->id(), c->id());
  EXPECT_EQ(a->id().size(), 16u);
  // id = hex(SHA-256("secretd-kek-id-v1" || 0x00 || key))[0..16]
  EXPECT_EQ(a->id(), Sha256Hex(std::string("secretd-kek-id-v1\0", 18) +
                               std::string(32, 'a'))
                         .substr(0, 16));
  EXPECT_THAT(Kek::FromBytes(SecretBytes(31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(EnvelopeTest, EncryptThenDecryptRoundTrips) {
  auto row = EncryptSecret(kek_, "app/db/password", 3, "hunter2", random_);
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->kek_id, kek_.id());
  EXPECT_EQ(row->wrapped_data_key.size(), kWrappedDataKeySize);
  EXPECT_EQ(row->ciphertext.size(), 7 + kCiphertextOverhead);
  EXPECT_EQ(row->ciphertext.find("hunter2"), std::string::npos);
  auto value = DecryptSecret(kek_, "app/db/password", 3, *row);
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->AsStringView(InsecureSecretAccess::Get()), "hunter2");
}

TEST_F(EnvelopeTest, EmptyValueRoundTrips) {
  auto row = EncryptSecret(kek_, "a", 0, "", random_);
  ASSERT_THAT(row, IsOk());
  auto value = DecryptSecret(kek_, "a", 0, *row);
  ASSERT_THAT(value, IsOk());
  EXPECT_TRUE(value->empty());
}

TEST_F(EnvelopeTest, EachVersionHasItsOwnDataKey) {
  auto v1 = EncryptSecret(kek_, "a", 1, "same", random_).value();
  auto v2 = EncryptSecret(kek_, "a", 1, "same", random_).value();
  EXPECT_NE(v1.wrapped_data_key, v2.wrapped_data_key);
  EXPECT_NE(v1.ciphertext, v2.ciphertext);
}

TEST_F(EnvelopeTest, RowMovedToAnotherNameOrVersionDoesNotDecrypt) {
  auto row = EncryptSecret(kek_, "app/a", 1, "v", random_).value();
  EXPECT_THAT(DecryptSecret(kek_, "app/b", 1, row),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("does not authenticate")));
  EXPECT_THAT(DecryptSecret(kek_, "app/a", 2, row),
              StatusIs(absl::StatusCode::kDataLoss));
  // "app/a" v 1 vs "app/a\0..." can never collide: NUL is refused.
}

TEST_F(EnvelopeTest, SwappedColumnsBetweenRowsDoNotDecrypt) {
  auto a = EncryptSecret(kek_, "x", 1, "value-a", random_).value();
  auto b = EncryptSecret(kek_, "x", 1, "value-b", random_).value();
  EncryptedSecret mixed = a;
  mixed.ciphertext = b.ciphertext;
  EXPECT_THAT(DecryptSecret(kek_, "x", 1, mixed),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the value does not authenticate")));
}

TEST_F(EnvelopeTest, EveryModifiedByteIsDetected) {
  auto row = EncryptSecret(kek_, "x", 1, "value", random_).value();
  for (size_t i = 0; i < row.wrapped_data_key.size(); ++i) {
    EncryptedSecret m = row;
    m.wrapped_data_key[i] ^= 0x01;
    EXPECT_THAT(DecryptSecret(kek_, "x", 1, m),
                StatusIs(absl::StatusCode::kDataLoss))
        << "wrapped byte " << i;
  }
  for (size_t i = 0; i < row.ciphertext.size(); ++i) {
    EncryptedSecret m = row;
    m.ciphertext[i] ^= 0x01;
    EXPECT_THAT(DecryptSecret(kek_, "x", 1, m),
                StatusIs(absl::StatusCode::kDataLoss))
        << "ciphertext byte " << i;
  }
}

TEST_F(EnvelopeTest, TruncatedColumnsAreDataLoss) {
  auto row = EncryptSecret(kek_, "x", 1, "value", random_).value();
  EncryptedSecret m = row;
  m.wrapped_data_key.pop_back();
  EXPECT_THAT(DecryptSecret(kek_, "x", 1, m),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("72")));
  m = row;
  m.ciphertext = m.ciphertext.substr(0, 39);
  EXPECT_THAT(DecryptSecret(kek_, "x", 1, m),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(EnvelopeTest, WrongKekIsFailedPreconditionNamingBothIds) {
  auto row = EncryptSecret(kek_, "x", 1, "value", random_).value();
  Kek other = Kek::Generate(random_);
  EXPECT_THAT(
      DecryptSecret(other, "x", 1, row),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               ::testing::AllOf(HasSubstr(kek_.id()), HasSubstr(other.id()))));
}

TEST_F(EnvelopeTest, ForgedKekIdDoesNotHelp) {
  auto row = EncryptSecret(kek_, "x", 1, "value", random_).value();
  Kek other = Kek::Generate(random_);
  row.kek_id = other.id();
  EXPECT_THAT(DecryptSecret(other, "x", 1, row),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(EnvelopeTest, RewrapMovesToTheNewKekAndKeepsTheCiphertext) {
  auto row = EncryptSecret(kek_, "x", 7, "value", random_).value();
  Kek next = Kek::Generate(random_);
  auto rewrapped = RewrapSecret(kek_, next, "x", 7, row, random_);
  ASSERT_THAT(rewrapped, IsOk());
  EXPECT_EQ(rewrapped->kek_id, next.id());
  EXPECT_EQ(rewrapped->ciphertext, row.ciphertext);
  EXPECT_NE(rewrapped->wrapped_data_key, row.wrapped_data_key);
  auto value = DecryptSecret(next, "x", 7, *rewrapped);
  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->AsStringView(InsecureSecretAccess::Get()), "value");
  EXPECT_THAT(DecryptSecret(kek_, "x", 7, *rewrapped),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Rewrapping needs the right old KEK and the right name.
  EXPECT_THAT(RewrapSecret(next, kek_, "x", 7, row, random_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(RewrapSecret(kek_, next, "y", 7, row, random_),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(EnvelopeTest, BadNameOrVersionIsInvalidArgument) {
  EXPECT_THAT(EncryptSecret(kek_, absl::string_view("a\0", 2), 1, "v", random_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncryptSecret(kek_, "a", -5, "v", random_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace keys
