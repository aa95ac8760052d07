// End to end: `secretd invoke` (function mode), the real binary, one request
// per process, JSON in and out, audited like a served request.
#include <dirent.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/key_files.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/broker.pb.h"
#include "tests/e2e/broker/harness.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.invoke";
constexpr char kIssuer[] = "attest.invoke";
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Attestor":["attest.invoke"]},
   "Action":"secretd:AssumeRole"}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*",
   "Condition":{"IpAddress":{"secretd:SourceIp":"10.0.0.0/8"}}}]})";
constexpr char kValue[] = "invoke-secret-value-42";

class InvokeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TestDataDir::Create(TempPath("data"));
    ASSERT_THAT(dir, IsOk());
    dir_ = *std::move(dir);
    const std::string keys_dir = TempPath("attest");
    ASSERT_EQ(mkdir(keys_dir.c_str(), 0700), 0);
    auto attestor = Attestor::Create(keys_dir, kIssuer, "invoke-key");
    ASSERT_THAT(attestor, IsOk());
    attestor_ = *std::move(attestor);
    ASSERT_OK(dir_->PutTrust(kIssuer, attestor_.jwks_json()));
    ASSERT_OK(dir_->PutRole("web", kTrust, kRead));
    ASSERT_THAT(dir_->PutSecret("app/key", kValue), IsOk());
  }

  ProcessResult Invoke(const std::vector<std::string>& extra,
                       const std::string& input) {
    std::vector<std::string> argv = {kSecretdBinary, "invoke",     "--data-dir",
                                     dir_->root(),   "--audience", kAudience};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, input);
  }

  std::string Nonce() {
    ProcessResult r = Invoke({"--method", "GetChallenge"}, "{}");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("challenge", "") : "";
  }

  std::string RequestJson(const std::string& secret) {
    Attestor::IssueOptions o;
    o.audience = kAudience;
    auto token = attestor_.Issue(Nonce(), pair_.public_key(), o);
    EXPECT_THAT(token, IsOk());
    return Json{{"attestation_token", token.value_or("")},
                {"role", "web"},
                {"secrets", {secret}}}
        .dump();
  }

  std::unique_ptr<TestDataDir> dir_;
  Attestor attestor_;
  keys::X25519KeyPair pair_ = keys::X25519KeyPair::Generate();
};

TEST_F(InvokeE2eTest, GetChallengePrintsTheChallengeAndAudience) {
  ProcessResult r = Invoke({"--method", "GetChallenge"}, "{}");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["audience"], kAudience);
  EXPECT_EQ(j["challenge"].get<std::string>().size(), 54u);
  EXPECT_TRUE(j["expires_at"].is_string()) << "int64 in the JSON mapping";
}

TEST_F(InvokeE2eTest, ProvisionAnswersWithASealedSignedBundleAndAudits) {
  ProcessResult r = Invoke({"--source-ip", "10.9.8.7", "--replica-id", "fn"},
                           RequestJson("app/key"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  std::string sealed, signature;
  ASSERT_TRUE(
      absl::Base64Unescape(j["sealed_bundle"].get<std::string>(), &sealed));
  ASSERT_TRUE(
      absl::Base64Unescape(j["signature"].get<std::string>(), &signature));
  auto pub = keys::ReadPublicKeyFile(dir_->layout().release_pub);
  ASSERT_THAT(pub, IsOk());
  EXPECT_EQ(j["release_key_id"], keys::PublicKeyId(*pub));
  auto verifier = keys::Ed25519Verifier::Create(*pub);
  ASSERT_THAT(verifier, IsOk());
  EXPECT_OK(
      (*verifier)->Verify(absl::StrCat(std::string("secretd-release-v1\0", 19),
                                       pair_.public_key(), sealed),
                          signature));
  auto opened = keys::OpenSealed(pair_, sealed);
  ASSERT_THAT(opened, IsOk());
  secretd::v1::SecretBundle bundle;
  ASSERT_TRUE(bundle.ParseFromString(
      std::string(opened->AsStringView(keys::InsecureSecretAccess::Get()))));
  EXPECT_EQ(bundle.request_id(), j["request_id"]);
  ASSERT_EQ(bundle.secrets_size(), 1);
  EXPECT_EQ(bundle.secrets(0).value(), kValue);

  const std::string path = dir_->AuditPath("fn");
  std::vector<Json> log = ReadAuditLog(path);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["request_id"], j["request_id"]);
  EXPECT_EQ(log[0]["decision"], "allow");
  EXPECT_EQ(log[0]["source_ip"], "10.9.8.7");
  EXPECT_EQ(log[1]["type"], "checkpoint");
  EXPECT_EQ(log[1]["reason"], "shutdown");
  EXPECT_OK(VerifyAuditLog(*dir_, path));
}

TEST_F(InvokeE2eTest, RefusalIsAJsonErrorWithTheRequestIdAndExitOne) {
  // The permission needs a 10.0.0.0/8 source address.
  ProcessResult r = Invoke({"--replica-id", "fn"}, RequestJson("app/key"));
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["code"], "PERMISSION_DENIED");
  const std::string id = j["request_id"];
  EXPECT_EQ(j["message"],
            absl::StrCat("permission denied: role \"web\" may not read secret "
                         "\"app/key\" (request ",
                         id, ")"));
  std::vector<Json> records =
      RecordsFor(ReadAuditLog(dir_->AuditPath("fn")), id);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["reason"], "permission.implicit_deny");
}

TEST_F(InvokeE2eTest, InputThatIsNotARequestIsInvalidArgumentWithoutARecord) {
  for (const std::string input :
       {"not json", R"({"role":"web","bogus":1})", "[1,2]", R"({"role":5})"}) {
    ProcessResult r = Invoke({"--replica-id", "fn"}, input);
    EXPECT_EQ(r.exit_code, 1) << input;
    Json j = Json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["code"], "INVALID_ARGUMENT");
    EXPECT_FALSE(j.contains("request_id"));
  }
  struct stat st;
  EXPECT_NE(stat(dir_->AuditPath("fn").c_str(), &st), 0) << "no log written";
}

TEST_F(InvokeE2eTest, ConcurrentInvocationsTakeTurnsOnOneAuditFile) {
  constexpr int kRuns = 4;
  std::vector<std::string> inputs;
  for (int i = 0; i < kRuns; ++i) inputs.push_back(RequestJson("app/key"));
  std::vector<ProcessResult> results(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Invoke({"--source-ip", "10.0.0.1"}, inputs[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (const ProcessResult& r : results) EXPECT_EQ(r.exit_code, 0) << r.out;
  // The default replica id is "<host>-invoke".
  std::vector<std::string> files;
  DIR* d = opendir(dir_->layout().audit_dir.c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, "-invoke.jsonl")) files.push_back(e->d_name);
  }
  closedir(d);
  ASSERT_EQ(files.size(), 1u);
  const std::string path = dir_->layout().audit_dir + "/" + files[0];
  std::vector<Json> log = ReadAuditLog(path);
  EXPECT_EQ(CountProvisionRecords(log), static_cast<size_t>(kRuns));
  EXPECT_OK(VerifyAuditLog(*dir_, path));
  ProcessResult verify =
      RunProcess({kSecretctlBinary, "--data-dir", dir_->root(), "audit",
                  "verify", "--require-signed", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(InvokeE2eTest, AudienceIsRequired) {
  ProcessResult r =
      RunProcess({kSecretdBinary, "invoke", "--data-dir", dir_->root()}, "{}",
                 {"SECRETD_AUDIENCE="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("pass --audience or set SECRETD_AUDIENCE"));
  ProcessResult from_env =
      RunProcess({kSecretdBinary, "invoke", "--data-dir", dir_->root(),
                  "--method", "GetChallenge"},
                 "{}", {"SECRETD_AUDIENCE=from.env"});
  ASSERT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(Json::parse(from_env.out)["audience"], "from.env");
}

TEST_F(InvokeE2eTest, MissingStoreIsAJsonError) {
  const std::string missing = TempPath("missing");
  ProcessResult r =
      RunProcess({kSecretdBinary, "invoke", "--data-dir", missing, "--audience",
                  kAudience},
                 R"({"attestation_token":"x","role":"web","secrets":["a"]})");
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["code"], "FAILED_PRECONDITION");
  EXPECT_THAT(j["message"].get<std::string>(), HasSubstr("no store at"));
}

}  // namespace
}  // namespace secretd::testing
