#include "secretd/admin/testing/admin_fixture.h"

#include <sys/stat.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keys/jwk.h"
#include "keys/signature.h"
#include "nlohmann/json.hpp"

namespace secretd::testing {

std::string TrustPolicy(const std::string& role) {
  return absl::StrCat(
      R"({"Version": "2012-10-17", "Statement": [{"Sid": "Instances", )",
      R"("Effect": "Allow", "Principal": {"Attestor": [")", kIssuer,
      R"("]}, "Action": "secretd:AssumeRole", "Resource": "role/)", role,
      R"("}]})");
}

std::string ReadPolicy(const std::string& pattern) {
  return absl::StrCat(
      R"({"Version": "2012-10-17", "Statement": [{"Sid": "Read", )",
      R"("Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/)",
      pattern, R"("}]})");
}

std::string PublicJwks(keys::RandomSource& random,
                       std::initializer_list<const char*> kids) {
  nlohmann::json set = {{"keys", nlohmann::json::array()}};
  int i = 0;
  for (const char* kid : kids) {
    const keys::SignatureAlgorithm alg = i++ % 2 == 0
                                             ? keys::SignatureAlgorithm::kEdDSA
                                             : keys::SignatureAlgorithm::kES256;
    absl::StatusOr<keys::Jwk> key = keys::Jwk::Generate(alg, kid, random);
    EXPECT_TRUE(key.ok()) << key.status();
    if (key.ok()) set["keys"].push_back(key->ToPublicJson());
  }
  return set.dump();
}

v1::PutRoleRequest RoleRequest(const std::string& name) {
  v1::PutRoleRequest request;
  v1::Role* role = request.mutable_role();
  role->set_name(name);
  role->mutable_trust_policy()->set_name("trust.json");
  role->mutable_trust_policy()->set_document(TrustPolicy(name));
  v1::PolicyDocument* read = role->add_permission_policies();
  read->set_name("read.json");
  read->set_document(ReadPolicy());
  return request;
}

void AdminFixture::SetUp() {
  test_dir_ = absl::StrCat(
      std::getenv("TEST_TMPDIR"), "/",
      ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ASSERT_EQ(mkdir(test_dir_.c_str(), 0755), 0) << test_dir_;
  const std::string root = test_dir_ + "/data";
  common::RealClock real_clock;
  absl::StatusOr<InitReport> init = InitDataDir(root, {}, real_clock);
  ASSERT_TRUE(init.ok()) << init.status();
  layout_ = std::make_unique<DataDirLayout>(root);
  absl::StatusOr<std::unique_ptr<Keyring>> keyring =
      Keyring::Load(*layout_, {});
  ASSERT_TRUE(keyring.ok()) << keyring.status();
  keyring_ = *std::move(keyring);
  service_ = std::make_unique<AdminService>(store_, *keyring_, audit_, random_,
                                            clock_, [this] { ++changes_; });
}

}  // namespace secretd::testing
