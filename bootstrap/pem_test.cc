#include "bootstrap/pem.h"

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

// A self-signed P-256 certificate (openssl req -x509, valid until 2126).
constexpr char kCert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkTCCATegAwIBAgIUGfUqr2hAY2PRbtfsl9LQBMqlf8owCgYIKoZIzj0EAwIw\n"
    "HTEbMBkGA1UEAwwSYm9vdHN0cmFwIHBlbSB0ZXN0MCAXDTI2MTEyNjA2NDkzM1oY\n"
    "DzIxMjYxMTAyMDY0OTMzWjAdMRswGQYDVQQDDBJib290c3RyYXAgcGVtIHRlc3Qw\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQC5ttwcwtM7CQPjmveaZLshM09qVQe\n"
    "NLFeOfS8Kyz9FNy7nHbTH93LfiuF+GnM2m6o8qR4WkaBcJQlPSdKGfmZo1MwUTAd\n"
    "BgNVHQ4EFgQU8n10yZJxY6VeogpZvs8N+4q9GsAwHwYDVR0jBBgwFoAU8n10yZJx\n"
    "Y6VeogpZvs8N+4q9GsAwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n"
    "AiBsSaiDps1BAkwLNgauHe/8HdxFZKmIa6hoLc3CjH+ywQIhAPnLeybrAH2qquCA\n"
    "qOWGjawxXuK55XXlw8dAYj3v0owU\n"
    "-----END CERTIFICATE-----\n";

TEST(CountPemCertificatesTest, CountsCertificates) {
  EXPECT_THAT(CountPemCertificates(kCert), IsOkAndHolds(1));
  EXPECT_THAT(CountPemCertificates(absl::StrCat(kCert, "\n", kCert)),
              IsOkAndHolds(2));
}

TEST(CountPemCertificatesTest, RejectsGarbageAndEmptyFiles) {
  EXPECT_THAT(CountPemCertificates(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CountPemCertificates("-----BEGIN CERTIFICATE-----\nMIIB\n"
                                   "-----END CERTIFICATE-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CountPemCertificates("just text"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      CountPemCertificates(absl::StrCat(kCert,
                                        "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                        "-----END CERTIFICATE-----\n")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bootstrap
