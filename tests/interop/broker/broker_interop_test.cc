// Interop of the Broker service with independent implementations, against
// the real `secretd serve`:
//   - a Node.js client (broker_interop.cjs: @grpc/grpc-js, @grpc/proto-loader,
//     jose, libsodium-wrappers, protobufjs) with its own attestor key (its
//     JWKS registered as a trust bundle), its own token with nonce and cnf,
//     its own X25519 key pair; it checks the release signature and opens the
//     bundle;
//   - `buf curl` listing the services through server reflection (gRPC 1.51
//     serves grpc.reflection.v1alpha) and calling Health and GetChallenge.
// Needs SECRETD_NODE_MODULES (tools/setup writes it into user.bazelrc);
// every test fails, saying so, without it.
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/broker/harness.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.interop";
constexpr char kIssuer[] = "attest.node";
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Attestor":["attest.node"]},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringEquals":{"claim:tags/env":"interop"}}}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"},
  {"Effect":"Deny","Action":"secrets:Get","Resource":"secret/app/forbidden"}]})";

class BrokerInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* modules = std::getenv("SECRETD_NODE_MODULES");
    ASSERT_TRUE(modules != nullptr && *modules != '\0')
        << "SECRETD_NODE_MODULES is not set: run tools/setup (it installs "
           "tests/interop/node_modules and writes user.bazelrc), or pass "
           "--test_env=SECRETD_NODE_MODULES=/abs/path/tests/interop/"
           "node_modules";
    modules_ = modules;
    auto dir = TestDataDir::Create(TempPath("data"));
    ASSERT_THAT(dir, IsOk());
    dir_ = *std::move(dir);
    ASSERT_OK(dir_->PutRole("web", kTrust, kRead));
    ASSERT_THAT(dir_->PutSecret("app/db/password", "node-reads-this"), IsOk());
    ASSERT_THAT(dir_->PutSecret("app/api-key", "second-value"), IsOk());
    ASSERT_THAT(dir_->PutSecret("app/api-key", "second-value-v2"), IsOk());
    ASSERT_THAT(dir_->PutSecret("app/forbidden", "never"), IsOk());
    auto server = ServerProcess::Start(
        {"--data-dir", dir_->root(), "--audience", kAudience, "--replica-id",
         "interop", "--refresh-interval", "100ms"});
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    char cwd[4096];
    ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
    runfiles_ = cwd;
  }

  Json Node(const std::string& command, const Json& request) {
    ProcessResult r =
        RunProcess({"node", "tests/interop/broker/broker_interop.cjs", command},
                   request.dump());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Json out = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(out.is_object()) << r.out << r.err;
    return out;
  }

  // Registers a fresh jose key of the Node attestor as a trust bundle and
  // waits until the server has loaded it.
  Json TrustNodeAttestor() {
    Json keys = Node("keygen", {{"kid", "node-key-1"}});
    const int64_t counter = server_->startup_line()["change_counter"];
    EXPECT_OK(dir_->PutTrust(kIssuer, keys["jwks"].dump()));
    EXPECT_TRUE(server_->WaitForLog([&](const Json& j) {
      return j.value("msg", "") == "state loaded" &&
             j.value("change_counter", int64_t{0}) > counter;
    }));
    return keys["private_jwk"];
  }

  Json Provision(const Json& private_jwk,
                 const std::vector<std::string>& secrets) {
    return Node("provision", {{"target", server_->target()},
                              {"ca_pem", dir_->layout().ca_pem},
                              {"release_pub", dir_->layout().release_pub},
                              {"proto_root", runfiles_},
                              {"private_jwk", private_jwk},
                              {"kid", "node-key-1"},
                              {"issuer", kIssuer},
                              {"subject", "i-node"},
                              {"role", "web"},
                              {"secrets", secrets}});
  }

  ProcessResult Buf(std::vector<std::string> args) {
    std::vector<std::string> argv = {modules_ + "/.bin/buf",
                                     "curl",
                                     "--protocol",
                                     "grpc",
                                     "--reflect-protocol",
                                     "grpc-v1alpha",
                                     "--cacert",
                                     dir_->layout().ca_pem};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, "",
                      {absl::StrCat("BUF_CACHE_DIR=", TempPath("buf-cache"))});
  }

  std::string Url(const std::string& path = "") {
    return absl::StrCat("https://127.0.0.1:", server_->port(), path);
  }

  std::string modules_;
  std::string runfiles_;
  std::unique_ptr<TestDataDir> dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BrokerInteropTest, NodeClientWithItsOwnKeysAndTokenOpensTheBundle) {
  const Json key = TrustNodeAttestor();
  Json out = Provision(key, {"app/db/password", "app/api-key@1"});
  ASSERT_FALSE(out.contains("error")) << out.dump();
  ASSERT_FALSE(out.contains("grpc_code")) << out.dump();
  EXPECT_EQ(out["challenge"]["audience"], kAudience);
  EXPECT_EQ(out["release_key_id"], dir_->release_key_id());
  const Json& b = out["bundle"];
  EXPECT_EQ(b["request_id"], out["request_id"]);
  EXPECT_EQ(b["role"], "web");
  EXPECT_EQ(b["subject"], "i-node");
  EXPECT_EQ(b["token_sha256"], out["token_sha256"]);
  EXPECT_EQ(b["expires_at"], out["expires_at"]);
  ASSERT_EQ(b["secrets"].size(), 2u);
  EXPECT_EQ(b["secrets"][0]["name"], "app/db/password");
  EXPECT_EQ(b["secrets"][0]["version"], "1");
  EXPECT_EQ(b["secrets"][0]["value"], "node-reads-this");
  EXPECT_EQ(b["secrets"][1]["name"], "app/api-key");
  EXPECT_EQ(b["secrets"][1]["version"], "1");
  EXPECT_EQ(b["secrets"][1]["value"], "second-value");

  std::vector<Json> records =
      RecordsFor(ReadAuditLog(dir_->AuditPath("interop")),
                 out["request_id"].get<std::string>());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["decision"], "allow");
  EXPECT_EQ(records[0]["issuer"], kIssuer);
  EXPECT_EQ(records[0]["subject"], "i-node");
  EXPECT_EQ(records[0]["token_sha256"], out["token_sha256"]);
}

TEST_F(BrokerInteropTest, NodeClientIsDeniedAForbiddenSecret) {
  const Json key = TrustNodeAttestor();
  Json out = Provision(key, {"app/db/password", "app/forbidden"});
  ASSERT_TRUE(out.contains("grpc_code")) << out.dump();
  EXPECT_EQ(out["grpc_code"], 7) << "PERMISSION_DENIED";
  const std::string message = out["grpc_message"];
  EXPECT_THAT(message, HasSubstr("permission denied: role \"web\" may not "
                                 "read secret \"app/forbidden\" (request "));
  std::vector<Json> records = RecordsFor(
      ReadAuditLog(dir_->AuditPath("interop")), RequestIdIn(message));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["reason"], "permission.explicit_deny");
}

TEST_F(BrokerInteropTest, BufListsTheServicesThroughReflection) {
  ProcessResult r = Buf({"--list-services", Url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("secretd.v1.Broker"));
  EXPECT_THAT(r.out, HasSubstr("grpc.health.v1.Health"));
  ProcessResult methods = Buf({"--list-methods", Url()});
  ASSERT_EQ(methods.exit_code, 0) << methods.err;
  EXPECT_THAT(methods.out, HasSubstr("secretd.v1.Broker/GetChallenge"));
  EXPECT_THAT(methods.out, HasSubstr("secretd.v1.Broker/Provision"));
  EXPECT_THAT(methods.out, HasSubstr("grpc.health.v1.Health/Check"));
}

TEST_F(BrokerInteropTest, BufCallsHealthCheck) {
  for (const std::string service : {"", "secretd.v1.Broker"}) {
    ProcessResult r = Buf({"-d", Json{{"service", service}}.dump(),
                           Url("/grpc.health.v1.Health/Check")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json out = Json::parse(r.out, nullptr, false);
    ASSERT_TRUE(out.is_object()) << r.out;
    EXPECT_EQ(out["status"], "SERVING") << service;
  }
}

TEST_F(BrokerInteropTest, BufCallsGetChallenge) {
  ProcessResult r = Buf({"-d", "{}", Url("/secretd.v1.Broker/GetChallenge")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json out = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["audience"], kAudience);
  EXPECT_EQ(out["challenge"].get<std::string>().size(), 54u);
}

}  // namespace
}  // namespace secretd::testing
