// Runs the real secretctl binary against the real admin socket, served by
// secretd/admin/testing:admin_host over a data directory that secretctl
// init made: init, trust, role, secret and kek, their outputs and exit
// codes, and what lands in the audit log.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/testing/background_process.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "secretd/audit/verifier.h"

namespace secretctl {
namespace {

using ::common::testing::BackgroundProcess;
using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretctl[] = "secretctl/secretctl";
constexpr char kAdminHost[] = "secretd/admin/testing/admin_host";
constexpr char kIssuer[] = "https://attest.example";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}
mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}
// Replaces RFC 3339 times by <TIME>.
std::string MaskTimes(const std::string& s) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  return std::regex_replace(s, kTime, "<TIME>");
}

std::string TrustPolicy() {
  return absl::StrCat(
      R"({"Version": "2012-10-17", "Statement": [{"Sid": "Instances", )",
      R"("Effect": "Allow", "Principal": {"Attestor": [")", kIssuer,
      R"("]}, "Action": "secretd:AssumeRole", "Resource": "role/web"}]})",
      "\n");
}
std::string ReadPolicy() {
  return R"({"Version": "2012-10-17", "Statement": [{"Sid": "Read", )"
         R"("Effect": "Allow", "Action": "secrets:Get", )"
         R"("Resource": "secret/app/*"}]})"
         "\n";
}

class AdminCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    data_ = dir_ + "/data";
  }
  void TearDown() override {
    if (host_ != nullptr) host_->Stop();
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  ProcessResult Run(std::vector<std::string> args,
                    const std::string& stdin_data = "") {
    args.insert(args.begin(), kSecretctl);
    ProcessResult r = RunProcess(args, stdin_data);
    outputs_ += r.out + r.err;
    return r;
  }
  // secretctl --data-dir DATA args...
  ProcessResult Admin(std::vector<std::string> args,
                      const std::string& stdin_data = "") {
    args.insert(args.begin(), {"--data-dir", data_});
    return Run(std::move(args), stdin_data);
  }

  void Init() {
    ProcessResult r = Run({"init", "--data-dir", data_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void StartHost(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kAdminHost, "--data-dir", data_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<std::unique_ptr<BackgroundProcess>> host =
        BackgroundProcess::Start(argv, "admin_host: serving", Path("host.err"));
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
  }
  int StopHost() {
    const int code = host_->Stop();
    host_.reset();
    return code;
  }

  // A JWKS with one fresh EdDSA key, made by secretctl attest keygen.
  std::string Jwks(const std::string& kid) {
    ProcessResult r = Run({"attest", "keygen", "--alg", "EdDSA", "--kid", kid,
                           "--private-out", Path(kid + ".key"), "--jwks-out",
                           Path(kid + ".jwks")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Path(kid + ".jwks");
  }
  void WritePolicies() {
    WriteFile(Path("trust.json"), TrustPolicy());
    WriteFile(Path("read.json"), ReadPolicy());
  }

  std::string dir_;
  std::string data_;
  std::unique_ptr<BackgroundProcess> host_;
  std::string outputs_;  // every stdout and stderr of secretctl
};

// ---- init ----

TEST_F(AdminCommandsTest, InitMakesTheDataDirectoryAndSaysWhatToKeepSecret) {
  ProcessResult r = Run({"init", "--data-dir", data_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::smatch ids;
  ASSERT_TRUE(std::regex_search(
      r.out, ids,
      std::regex("KEK id ([0-9a-f]{16}), release key id ([0-9a-f]{16}), "
                 "audit key id ([0-9a-f]{16})")))
      << r.out;
  const std::string& d = data_;
  // Columns are padded to the longest path.
  auto row = [&](const std::string& path, const std::string& what) {
    const size_t width = (d + "/keys/release.pub").size();
    return absl::StrCat("  ", path, std::string(width - path.size() + 2, ' '),
                        what, "\n");
  };
  EXPECT_EQ(
      r.out,
      absl::StrCat(
          "Made the data directory ", d, "\n  KEK id ", ids[1].str(),
          ", release key id ", ids[2].str(), ", audit key id ", ids[3].str(),
          "\n\nKeep these secret: back them up offline, never copy them to "
          "an instance or a repository:\n",
          row(d + "/keys/kek",
              "key-encryption key: decrypts every secret in the store"),
          row(d + "/keys/release.key",
              "release signing key: signs every bundle the broker releases"),
          row(d + "/keys/audit.key",
              "audit signing key: signs audit checkpoints"),
          row(d + "/tls/server.key", "broker TLS private key"),
          "\nAlso made:\n",
          row(d + "/keys/release.pub",
              "release public key: give it to bootstrap (--release-key)"),
          row(d + "/keys/audit.pub",
              "audit public key: give it to auditors (secretctl audit "
              "verify)"),
          row(d + "/tls/ca.pem",
              "development CA certificate: give it to bootstrap (--ca)"),
          row(d + "/tls/server.pem",
              "broker TLS certificate (SANs as given), signed by the CA"),
          row(d + "/store.db",
              "the store (SQLite): roles, trust bundles, encrypted secrets"),
          row(d + "/audit/", "the audit log, one file per broker replica"),
          "\nNext: secretd serve --data-dir ", d,
          " --listen HOST:PORT --audience AUD\n"));
  EXPECT_EQ(Mode(d), 0700u);
  EXPECT_EQ(Mode(d + "/keys/kek"), 0600u);
  EXPECT_EQ(Mode(d + "/keys/release.key"), 0600u);
  EXPECT_EQ(Mode(d + "/keys/audit.key"), 0600u);
  EXPECT_EQ(Mode(d + "/tls/server.key"), 0600u);
  EXPECT_EQ(Mode(d + "/keys/release.pub"), 0644u);
  EXPECT_EQ(Mode(d + "/tls/ca.pem"), 0644u);
  EXPECT_EQ(Mode(d + "/store.db"), 0600u);
  EXPECT_EQ(Mode(d + "/audit"), 0700u);
}

TEST_F(AdminCommandsTest, InitRefusesToOverwriteAndNeedsADataDir) {
  Init();
  const std::string kek = ReadFile(data_ + "/keys/kek");
  ProcessResult again = Run({"init", "--data-dir", data_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(again.err,
            absl::StrCat("secretctl init: \"", data_,
                         "\" already exists and is not empty; secretctl init "
                         "never overwrites a data directory (its keys decrypt "
                         "the store): choose a new path\n"));
  EXPECT_EQ(ReadFile(data_ + "/keys/kek"), kek);

  ProcessResult usage = Run({"init"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err,
              HasSubstr("secretctl init: --data-dir DIR is required: where "
                        "to make the data directory"));
  ProcessResult san =
      Run({"init", "--data-dir", Path("other"), "--tls-san", "bad name!"});
  EXPECT_EQ(san.exit_code, 1) << san.err;
  EXPECT_NE(access(Path("other").c_str(), F_OK), 0);
}

// ---- against a running broker ----

TEST_F(AdminCommandsTest, TrustCommandsPutListAndDelete) {
  Init();
  StartHost();
  const std::string jwks = Jwks("k1");
  ProcessResult put = Admin({"trust", "put", kIssuer, "--jwks", jwks});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out,
            "issuer \"https://attest.example\" trusted with 1 key: k1\n");

  ProcessResult list = Admin({"trust", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(MaskTimes(list.out),
            "ISSUER                  KEYS  UPDATED\n"
            "https://attest.example  k1    <TIME>\n");
  ProcessResult json = Admin({"trust", "list", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(MaskTimes(json.out),
            R"({"issuers":[{"issuer":"https://attest.example",)"
            R"("key_ids":["k1"],"updated_at":"<TIME>"}]})"
            "\n");

  // A private key is refused before it leaves this machine: nothing
  // changes, and the message names the file, not its contents.
  ProcessResult priv =
      Admin({"trust", "put", "https://b.example", "--jwks", Path("k1.key")});
  EXPECT_EQ(priv.exit_code, 1);
  EXPECT_EQ(priv.err,
            absl::StrCat("secretctl trust put: \"", Path("k1.key"),
                         "\" holds a private key: trust needs the public "
                         "JWKS (--jwks-out of attest keygen); keep the "
                         "private key on the platform\n"));
  EXPECT_EQ(Admin({"trust", "list", "--format", "json"}).out, json.out);
  ProcessResult dir = Admin({"trust", "put", kIssuer, "--jwks", dir_});
  EXPECT_EQ(dir.exit_code, 1);
  EXPECT_EQ(dir.err, absl::StrCat("secretctl trust put: cannot read JWKS \"",
                                  dir_, "\": it is a directory\n"));

  ProcessResult del = Admin({"trust", "delete", kIssuer});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(del.out,
            "issuer \"https://attest.example\" is no longer trusted\n");
  ProcessResult again = Admin({"trust", "delete", kIssuer});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "secretctl trust delete: issuer \"https://attest.example\" is not "
            "trusted; \"secretctl trust list\" shows the trusted issuers\n");
  EXPECT_EQ(Admin({"trust", "list"}).out,
            "no trusted issuers; add one with \"secretctl trust put ISSUER "
            "--jwks FILE\"\n");
  ProcessResult missing =
      Admin({"trust", "put", kIssuer, "--jwks", Path("nope.json")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            absl::StrCat("secretctl trust put: cannot read JWKS \"",
                         Path("nope.json"), "\": No such file or directory\n"));
}

TEST_F(AdminCommandsTest, RoleCommandsPutGetListAndDelete) {
  Init();
  StartHost();
  WritePolicies();
  ProcessResult put =
      Admin({"role", "put", "web", "--trust", Path("trust.json"), "--policy",
             Path("read.json"), "--secret-ttl", "120", "--single-use-tokens"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out,
            "role \"web\" stored: trust policy trust.json; permission "
            "policies read.json; max token lifetime 600 s; secret ttl 120 s; "
            "single-use tokens on\n");

  ProcessResult get = Admin({"role", "get", "web"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(MaskTimes(get.out),
            absl::StrCat("role web\n"
                         "  max token lifetime  600 s\n"
                         "  secret ttl          120 s\n"
                         "  single-use tokens   on\n"
                         "  updated             <TIME>\n"
                         "\ntrust policy trust.json:\n",
                         TrustPolicy(), "\npermission policy read.json:\n",
                         ReadPolicy()));
  ProcessResult get_json = Admin({"role", "get", "web", "--format", "json"});
  nlohmann::json role = nlohmann::json::parse(get_json.out);
  EXPECT_EQ(role["trust_policy"]["document"], TrustPolicy());
  EXPECT_EQ(role["permission_policies"][0]["name"], "read.json");
  EXPECT_EQ(role["secret_ttl_seconds"], 120);
  EXPECT_EQ(role["single_use_tokens"], true);

  ProcessResult list = Admin({"role", "list"});
  EXPECT_EQ(list.out,
            "ROLE  TOKEN_LIFETIME  SECRET_TTL  SINGLE_USE  TRUST       "
            "PERMISSIONS\n"
            "web   600s            120s        yes         trust.json  "
            "read.json\n");
  ProcessResult list_json = Admin({"role", "list", "--format", "json"});
  EXPECT_EQ(MaskTimes(list_json.out),
            R"({"roles":[{"name":"web","max_token_lifetime_seconds":600,)"
            R"("secret_ttl_seconds":120,"single_use_tokens":true,)"
            R"("updated_at":"<TIME>","trust_policy":"trust.json",)"
            R"("permission_policies":["read.json"]}]})"
            "\n");

  EXPECT_EQ(Admin({"role", "delete", "web"}).out, "role \"web\" deleted\n");
  ProcessResult gone = Admin({"role", "get", "web"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.err,
            "secretctl role get: no role is named \"web\"; \"secretctl role "
            "list\" shows the roles\n");
  EXPECT_EQ(Admin({"role", "list"}).out,
            "no roles; define one with \"secretctl role put NAME --trust FILE "
            "--policy FILE\"\n");
}

// Issue 5: a bad policy is refused with every error listed; nothing changes.
TEST_F(AdminCommandsTest,
       RolePutWithBadPoliciesListsEveryErrorAndChangesNothing) {
  Init();
  StartHost();
  WritePolicies();
  WriteFile(Path("bad.json"),
            R"({"Version": "2012-10-17", "Statement": [{"Effect": "allow", )"
            R"("Action": "secrets:Get", "NotAction": "x:y", )"
            R"("Resource": "secret/*", "Condition": {"StringLik": )"
            R"({"claim:sub": "i-*"}}}]})");
  WriteFile(Path("trust-bad.json"),
            "{\"Version\": \"2012-10-17\",\n"
            "  \"Statement\": [}\n");
  ProcessResult r =
      Admin({"role", "put", "web", "--trust", Path("trust-bad.json"),
             "--policy", Path("read.json"), "--policy", Path("bad.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  const std::vector<std::string> lines = absl::StrSplit(r.err, '\n');
  EXPECT_THAT(
      lines,
      ElementsAre(
          "secretctl role put: role \"web\" was not stored; nothing changed. "
          "Every problem:",
          HasSubstr("policy \"trust-bad.json\": line 2, column "),
          "policy \"bad.json\": Statement[0].Effect: expected \"Allow\" or "
          "\"Deny\", got \"allow\" (values are case-sensitive)",
          "policy \"bad.json\": Statement[0]: has both Action and NotAction; "
          "keep one of them",
          "policy \"bad.json\": Statement[0].Condition.StringLik: unknown "
          "operator; did you mean StringLike?",
          ""));
  EXPECT_EQ(Admin({"role", "list", "--format", "json"}).out,
            "{\"roles\":[]}\n");
  // The refusal is in the audit log, without the policy texts.
  ASSERT_EQ(StopHost(), 0);
  const std::string log = ReadFile(data_ + "/audit/audit-admin-host.jsonl");
  EXPECT_THAT(log, HasSubstr(R"("type":"admin.role.put")"));
  EXPECT_THAT(log, HasSubstr(R"("status":"INVALID_ARGUMENT")"));
  EXPECT_THAT(log, Not(HasSubstr("secrets:Get")));
}

TEST_F(AdminCommandsTest,
       SecretCommandsPutListAndDisableWithoutEverShowingValues) {
  Init();
  StartHost();
  const std::string value1 = "VALUE-ONE-b64f0e-never-shown";
  const std::string value2 = "VALUE-TWO-91ac3d-never-shown\n";
  WriteFile(Path("value1"), value1);
  ProcessResult put1 = Admin(
      {"secret", "put", "app/db/password", "--value-file", Path("value1")});
  EXPECT_EQ(put1.exit_code, 0) << put1.err;
  EXPECT_EQ(put1.out, "secret \"app/db/password\" version 1 stored\n");
  ProcessResult put2 = Admin({"secret", "put", "app/db/password",
                              "--value-file", "-", "--format", "json"},
                             value2);
  EXPECT_EQ(put2.exit_code, 0) << put2.err;
  EXPECT_EQ(put2.out, R"({"name":"app/db/password","version":2})"
                      "\n");
  EXPECT_EQ(
      Admin({"secret", "put", "other/x", "--value-file", "-"}, "x").exit_code,
      0);

  ProcessResult list = Admin({"secret", "list", "app/"});
  EXPECT_EQ(MaskTimes(list.out),
            "SECRET           CURRENT  VERSIONS  UPDATED\n"
            "app/db/password  2        1,2       <TIME>\n");
  ProcessResult disable = Admin({"secret", "disable", "app/db/password@2"});
  EXPECT_EQ(disable.exit_code, 0) << disable.err;
  EXPECT_EQ(disable.out,
            "version 2 of secret \"app/db/password\" is disabled: it is never "
            "released again\n");
  ProcessResult json = Admin({"secret", "list", "--format", "json"});
  nlohmann::json secrets = nlohmann::json::parse(json.out)["secrets"];
  ASSERT_EQ(secrets.size(), 2u);
  EXPECT_EQ(secrets[0]["name"], "app/db/password");
  EXPECT_EQ(secrets[0]["current_version"], 1);
  EXPECT_EQ(secrets[0]["versions"][1]["enabled"], false);
  EXPECT_EQ(secrets[0]["versions"][1]["kek_id"].get<std::string>().size(), 16u);
  EXPECT_EQ(MaskTimes(Admin({"secret", "list", "app/"}).out),
            "SECRET           CURRENT  VERSIONS       UPDATED\n"
            "app/db/password  1        1,2(disabled)  <TIME>\n");
  EXPECT_EQ(Admin({"secret", "list", "nothing/"}).out,
            "no secrets under \"nothing/\"; add one with \"secretctl secret "
            "put NAME --value-file FILE\"\n");

  // Refusals.
  ProcessResult missing_version =
      Admin({"secret", "disable", "app/db/password@9"});
  EXPECT_EQ(missing_version.exit_code, 1);
  EXPECT_EQ(missing_version.err,
            "secretctl secret disable: secret \"app/db/password\" has no "
            "version 9 (its latest is 2)\n");
  ProcessResult bad_name =
      Admin({"secret", "put", "../etc", "--value-file", "-"}, value1);
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_THAT(bad_name.err, HasSubstr("secretctl secret put: "));
  ProcessResult empty = Admin({"secret", "put", "app/e", "--value-file", "-"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err,
            "secretctl secret put: the value in stdin is empty; a secret needs "
            "at least one byte\n");
  ProcessResult big = Admin({"secret", "put", "app/big", "--value-file", "-"},
                            std::string(64 * 1024 + 1, 'v'));
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_THAT(big.err, HasSubstr("is larger than 64 KiB (65536 bytes)"));

  // The values appear nowhere: outputs, the broker's log, the audit log,
  // the store file.
  ASSERT_EQ(StopHost(), 0);
  for (const std::string& where :
       {outputs_, ReadFile(Path("host.err")),
        ReadFile(data_ + "/audit/audit-admin-host.jsonl"),
        ReadFile(data_ + "/store.db"), ReadFile(data_ + "/store.db-wal")}) {
    EXPECT_THAT(where, Not(HasSubstr("VALUE-ONE")));
    EXPECT_THAT(where, Not(HasSubstr("VALUE-TWO")));
  }
}

TEST_F(AdminCommandsTest, KekRotateRewrapsAndEveryChangeIsAudited) {
  Init();
  StartHost();
  const std::string old_kek = ReadFile(data_ + "/keys/kek");
  ASSERT_EQ(
      Admin({"secret", "put", "app/a", "--value-file", "-"}, "1").exit_code, 0);
  ASSERT_EQ(
      Admin({"secret", "put", "app/b", "--value-file", "-"}, "2").exit_code, 0);
  ProcessResult text = Admin({"kek", "rotate"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::smatch ids;
  ASSERT_TRUE(std::regex_search(
      text.out, ids,
      std::regex("^KEK rotated: ([0-9a-f]{16}) -> ([0-9a-f]{16}); 2 data "
                 "keys rewrapped\n")))
      << text.out;
  EXPECT_EQ(
      text.out,
      absl::StrCat(ids[0].str(), "The old KEK is kept in ", data_,
                   "/keys/kek.retired/", ids[1].str(),
                   ". Other replicas sharing the store need the new ", data_,
                   "/keys/kek: copy it to them and reload them "
                   "(SIGHUP).\n"));
  EXPECT_NE(ReadFile(data_ + "/keys/kek"), old_kek);
  EXPECT_EQ(ReadFile(data_ + "/keys/kek.retired/" + ids[1].str()), old_kek);
  ProcessResult json = Admin({"kek", "rotate", "--format", "json"});
  EXPECT_EQ(
      json.out,
      absl::StrCat(
          R"({"old_kek_id":")", ids[2].str(), R"(","new_kek_id":")",
          nlohmann::json::parse(json.out)["new_kek_id"].get<std::string>(),
          R"(","rewrapped":2})", "\n"));

  // The log verifies and holds one record per change, in order, naming
  // the peer (this test's secretctl processes run as our uid).
  ASSERT_EQ(StopHost(), 0);
  const std::string path = data_ + "/audit/audit-admin-host.jsonl";
  absl::StatusOr<secretd::audit::FileVerification> v =
      secretd::audit::VerifyLogFile(path, {});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->failure.has_value()) << v->failure->message;
  std::vector<std::string> types;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line);
    types.push_back(j["type"]);
    if (j["type"] != "checkpoint") {
      EXPECT_EQ(j["peer_uid"], static_cast<int64_t>(geteuid()));
      EXPECT_GT(j["peer_pid"].get<int64_t>(), 0);
      EXPECT_EQ(j["status"], "OK");
    }
  }
  EXPECT_THAT(
      types, ElementsAre("admin.secret.put", "admin.secret.put",
                         "admin.kek.rotate", "admin.kek.rotate", "checkpoint"));
  // The auditors' tool agrees: intact and signed with the data directory's
  // audit key.
  ProcessResult verify = Admin({"audit", "verify", "--require-signed", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(AdminCommandsTest, WithoutABrokerTheCommandsSaySo) {
  ProcessResult no_dir = Admin({"role", "list"});
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_EQ(
      no_dir.err,
      absl::StrCat("secretctl role list: there is no data directory at "
                   "\"",
                   data_, "\"; make one with \"secretctl init --data-dir ",
                   data_, "\", or give the right --data-dir\n"));
  Init();
  ProcessResult none = Admin({"role", "list"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err,
            absl::StrCat("secretctl role list: no broker is serving ", data_,
                         ": ", data_,
                         "/admin.sock does not exist; is secretd serve "
                         "running with --data-dir ",
                         data_, "?\n"));
  // A broker that crashed leaves its socket behind.
  StartHost();
  EXPECT_EQ(host_->Kill(), 128 + 9);
  host_.reset();
  ProcessResult stale = Admin({"secret", "list"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(
      stale.err,
      absl::StrCat("secretctl secret list: no broker is listening on ", data_,
                   "/admin.sock (the socket is left from a broker that "
                   "stopped); is secretd serve running with --data-dir ",
                   data_, "?\n"));
  // The next broker replaces the stale socket.
  StartHost();
  EXPECT_EQ(Admin({"secret", "list"}).exit_code, 0);
}

// Issue 5: a client with another uid is refused (here: the broker allows
// only uid 12345, not ours).
TEST_F(AdminCommandsTest, APeerWithAnotherUidIsRefusedAndAudited) {
  Init();
  StartHost({"--admin-uid", "12345"});
  WriteFile(Path("v"), "value");
  ProcessResult r =
      Admin({"secret", "put", "app/a", "--value-file", Path("v")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      r.err,
      absl::StrCat("secretctl secret put: the broker closed the "
                   "connection on ",
                   data_,
                   "/admin.sock without answering: either this user "
                   "(uid ",
                   geteuid(),
                   ") may not use the admin socket (run secretctl as the "
                   "broker's user, or start secretd with --admin-uid ",
                   geteuid(), "), or the broker stopped (check its log)\n"));
  ASSERT_EQ(StopHost(), 0);
  const std::string log = ReadFile(data_ + "/audit/audit-admin-host.jsonl");
  const std::vector<std::string> lines =
      absl::StrSplit(log, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);  // the denial and the shutdown checkpoint
  nlohmann::json denied = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(denied["type"], "admin.denied");
  EXPECT_EQ(denied["status"], "PERMISSION_DENIED");
  EXPECT_EQ(denied["peer_uid"], static_cast<int64_t>(geteuid()));
  // Nothing was stored.
  StartHost();
  EXPECT_EQ(Admin({"secret", "list", "--format", "json"}).out,
            "{\"secrets\":[]}\n");
}

// The lifetimes are checked against the broker's real bounds
// (policy/role.h) before anything is read or sent.
TEST_F(AdminCommandsTest, RolePutStatesTheRealRangeOfEachLifetime) {
  const std::vector<std::string> base = {
      "role", "put", "web", "--trust", "t.json", "--policy", "p.json"};
  auto run = [&](const std::string& flag, const std::string& value) {
    std::vector<std::string> args = base;
    args.push_back(flag);
    args.push_back(value);
    return Admin(args);
  };
  const std::string help = "Run \"secretctl role put --help\" for usage.\n";
  for (const char* value : {"0", "86401"}) {
    ProcessResult r = run("--max-token-lifetime", value);
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_EQ(r.err, absl::StrCat("secretctl role put: --max-token-lifetime "
                                  "must be between 1 and 86400, got ",
                                  value, "\n", help));
  }
  for (const char* value : {"0", "2592001"}) {
    ProcessResult r = run("--secret-ttl", value);
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_EQ(r.err, absl::StrCat("secretctl role put: --secret-ttl must be "
                                  "between 1 and 2592000, got ",
                                  value, "\n", help));
  }
}

TEST_F(AdminCommandsTest, RolePutSaysAPolicyPathIsADirectory) {
  WritePolicies();
  ProcessResult r = Admin(
      {"role", "put", "web", "--trust", Path("trust.json"), "--policy", dir_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, absl::StrCat("secretctl role put: cannot read policy file "
                                "\"",
                                dir_, "\": it is a directory\n"));
}

TEST_F(AdminCommandsTest, UsageErrorsExitTwoAndHelpIsEverywhere) {
  const std::vector<std::vector<std::string>> usage = {
      {"role", "list"},  // no --data-dir
      {"--data-dir", data_, "secret", "disable", "app/a"},
      {"--data-dir", data_, "secret", "disable", "bad name@1"},
      {"--data-dir", data_, "role", "list", "--format", "yaml"},
      {"--data-dir", data_, "role", "put", "web", "--policy", "p.json"},
      {"--data-dir", data_, "role", "put", "web", "--trust", "t", "--policy",
       "p", "--secret-ttl", "0"},
      {"--data-dir", data_, "secret", "put", "app/a"},
      {"--data-dir", data_, "secret", "put", "app/a", "hunter2"},
      {"--data-dir", data_, "rol", "list"},
      {"--data-dir", data_, "kek", "rotat"},
  };
  for (const auto& args : usage) {
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("--help")) << absl::StrJoin(args, " ");
  }
  EXPECT_THAT(Run({"secret", "disable", "--data-dir", data_, "app/a"}).err,
              HasSubstr("give the version to disable as NAME@VERSION, e.g. "
                        "app/a@1"));
  EXPECT_THAT(Run({"role", "list"}).err,
              HasSubstr("secretctl role list: --data-dir DIR is required"));
  for (const auto& command :
       std::vector<std::vector<std::string>>{{"init"},
                                             {"trust", "put"},
                                             {"trust", "list"},
                                             {"trust", "delete"},
                                             {"role", "put"},
                                             {"role", "get"},
                                             {"role", "list"},
                                             {"role", "delete"},
                                             {"secret", "put"},
                                             {"secret", "list"},
                                             {"secret", "disable"},
                                             {"kek", "rotate"}}) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(command, " ");
    EXPECT_THAT(r.out, HasSubstr(absl::StrJoin(command, " ")));
    // The exit codes are stated once, and each annotation once.
    EXPECT_EQ(r.out.find("Exit"), r.out.rfind("Exit")) << r.out;
    EXPECT_EQ(r.out.find("repeatable"), r.out.rfind("repeatable")) << r.out;
  }
  EXPECT_THAT(Run({"role", "put", "--help"}).out,
              HasSubstr("  --policy FILE                 a permission policy "
                        "(required) (repeatable)\n"));
  const std::string init_help = Run({"init", "--help"}).out;
  EXPECT_THAT(init_help,
              HasSubstr("Giving any --tls-san REPLACES the defaults "
                        "(localhost, 127.0.0.1, ::1): list every name clients "
                        "connect with (repeatable)\n"));
  EXPECT_THAT(init_help, EndsWith("\nExit status: 0 made, 1 refused or "
                                  "failed, 2 usage error.\n"));
}

// Flags before the command: the flag is named, never the command.
TEST_F(AdminCommandsTest, FlagsBeforeTheCommandAreNamed) {
  ProcessResult r = Run({"--bogus", "role", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl: unknown flag --bogus\n"
            "Run \"secretctl role list --help\" for usage.\n");
  r = Run({"role", "--bogus", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl role: unknown flag --bogus\n"
            "Run \"secretctl role list --help\" for usage.\n");
  r = Run({"--format", "json", "role", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl: --format goes after the command: secretctl role list "
            "--format json\n"
            "Run \"secretctl role list --help\" for usage.\n");
}

}  // namespace
}  // namespace secretctl
