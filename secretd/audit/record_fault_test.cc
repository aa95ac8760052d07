// The audit record when its digest fails, which OpenSSL does not do on
// demand: keys::testing::FailSha256Updates makes EVP_DigestUpdate fail.
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "keys/testing/failing_sha256.h"
#include "secretd/audit/record.h"

namespace secretd::audit {
namespace {

Record ProvisionRecord() {
  Record r;
  r.type = "provision";
  r.request_id = "7f3c2a91";
  r.fields["decision"] = "allow";
  return r;
}

// Before, a failed digest gave an all-zero "hash" and the line was written
// anyway; it now stops the process before any line exists.
TEST(RecordFaultTest, SerializeLineAbortsWhenTheRecordCannotBeHashed) {
  EXPECT_DEATH(
      {
        keys::testing::FailSha256Updates(true);
        SerializeLine(ProvisionRecord(), 1, absl::UnixEpoch(), "host-a",
                      GenesisPrev());
      },
      "keys: SHA-256: EVP_DigestUpdate failed");
  EXPECT_DEATH(
      {
        keys::testing::FailSha256Updates(true);
        BodyHash("{\"seq\":1");
      },
      "keys: SHA-256: EVP_DigestUpdate failed");
}

TEST(RecordFaultTest, WithoutTheFaultTheLineCarriesItsOwnHash) {
  std::string line = SerializeLine(ProvisionRecord(), 1, absl::UnixEpoch(),
                                   "host-a", GenesisPrev());
  line.pop_back();  // "\n"
  const absl::StatusOr<LineFields> f = SplitLine(line);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->hash, BodyHash(f->body_prefix));
  EXPECT_NE(f->hash, Sha256{});
}

}  // namespace
}  // namespace secretd::audit
