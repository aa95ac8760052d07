// Runs the real secretctl binary: attest keygen, issue and verify.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"

namespace secretctl {
namespace {

using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::HasSubstr;

class AttestCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string name =
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
    mkdir(dir_.c_str(), 0700);
    cnf_ = keys::Base64UrlEncode(keys::X25519KeyPair::Generate().public_key());
  }

  ProcessResult Secretctl(std::vector<std::string> args,
                          const std::string& stdin_data = "") {
    args.insert(args.begin(), "secretctl/secretctl");
    return RunProcess(args, stdin_data);
  }

  std::string Path(const std::string& name) { return dir_ + "/" + name; }

  void Keygen(const std::string& alg, const std::string& kid,
              const std::string& name) {
    ProcessResult r = Secretctl({"attest", "keygen", "--alg", alg, "--kid", kid,
                                 "--private-out", Path(name + ".key"),
                                 "--jwks-out", Path(name + ".jwks")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string Issue(const std::string& name,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"attest",       "issue",
                                     "--key",        Path(name + ".key"),
                                     "--issuer",     "attest.test",
                                     "--subject",    "i-42",
                                     "--audience",   "secretd.test",
                                     "--nonce",      "n-1",
                                     "--cnf-x25519", cnf_};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Secretctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripSuffix(r.out, "\n"));
  }

  std::string dir_;
  std::string cnf_;
};

TEST_F(AttestCommandsTest, KeygenWritesAPrivateKeyAndAJwks) {
  Keygen("EdDSA", "boot-1", "p");
  struct stat st;
  ASSERT_EQ(stat(Path("p.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(Path("p.jwks"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto jwks = keys::Jwks::Parse(text);
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  ASSERT_NE(jwks->Find("boot-1"), nullptr);
  EXPECT_EQ(jwks->Find("boot-1")->type(), keys::JwkKeyType::kEd25519);
}

TEST_F(AttestCommandsTest, KeygenNeverOverwritesAKey) {
  Keygen("EdDSA", "boot-1", "p");
  ProcessResult r = Secretctl({"attest", "keygen", "--alg", "EdDSA", "--kid",
                               "x", "--private-out", Path("p.key"),
                               "--jwks-out", Path("other.jwks")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing to overwrite"));
}

TEST_F(AttestCommandsTest, KeygenRejectsUnknownAlgorithm) {
  ProcessResult r =
      Secretctl({"attest", "keygen", "--alg", "HS256", "--kid", "x",
                 "--private-out", Path("x.key"), "--jwks-out", Path("x.jwks")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--alg must be EdDSA, ES256 or RS256"));
}

class AttestRoundTripTest : public AttestCommandsTest,
                            public ::testing::WithParamInterface<std::string> {
};

TEST_P(AttestRoundTripTest, IssuedTokenVerifies) {
  Keygen(GetParam(), "k-" + GetParam(), "p");
  const std::string token =
      Issue("p", {"--claims", R"({"tags":{"env":"prod"}})"});
  ProcessResult r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"),
                               "--audience", "secretd.test", token});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json claims = nlohmann::json::parse(r.out);
  EXPECT_EQ(claims["iss"], "attest.test");
  EXPECT_EQ(claims["sub"], "i-42");
  EXPECT_EQ(claims["aud"], "secretd.test");
  EXPECT_EQ(claims["nonce"], "n-1");
  EXPECT_EQ(claims["cnf"]["jwk"]["x"], cnf_);
  EXPECT_EQ(claims["tags"]["env"], "prod");
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 300);
  EXPECT_THAT(r.err, HasSubstr("not checked: issuer trust"));
  EXPECT_THAT(r.err, HasSubstr("nonce"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("audience (no --audience)")));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AttestRoundTripTest,
                         ::testing::Values("EdDSA", "ES256", "RS256"));

TEST_F(AttestCommandsTest, VerifyWithoutAudienceSaysItSkippedIt) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r =
      Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), Issue("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("audience (no --audience)"));
}

TEST_F(AttestCommandsTest, WrongAudienceFailsWithItsReason) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"),
                               "--audience", "other", Issue("p")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("token rejected: audience check failed"));
  EXPECT_THAT(r.err, HasSubstr("reason: wrong_audience"));
  EXPECT_EQ(r.out, "");
}

TEST_F(AttestCommandsTest, AtInTheFutureMakesTheTokenExpired) {
  Keygen("EdDSA", "k", "p");
  const std::string token = Issue("p", {"--ttl", "60"});
  ProcessResult r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"),
                               "--at", "2100-01-01T00:00:00Z", token});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("reason: expired"));
  // The signature alone still checks.
  r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), "--at",
                 "2100-01-01T00:00:00Z", "--signature-only", token});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("claims (--signature-only)"));
}

TEST_F(AttestCommandsTest, ClaimsCanOverrideForNegativeTests) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"),
                               Issue("p", {"--claims", R"({"cnf":"none"})"})});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("reason: cnf_invalid"));
}

TEST_F(AttestCommandsTest, TokenFromAnotherKeyIsUnknownKid) {
  Keygen("EdDSA", "k1", "a");
  Keygen("EdDSA", "k2", "b");
  ProcessResult r =
      Secretctl({"attest", "verify", "--jwks", Path("a.jwks"), Issue("b")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("kid \"k2\" is not in the JWKS"));
  EXPECT_THAT(r.err, HasSubstr("reason: unknown_kid"));
}

// The claims and the errors come from a token: nothing in them may drive
// the terminal. Claims print as JSON with \uNNNN escapes (same value),
// errors with visible escapes.
TEST_F(AttestCommandsTest, TerminalControlsInATokenAreEscaped) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r = Secretctl(
      {"attest", "verify", "--jwks", Path("p.jwks"),
       Issue("p", {"--claims",
                   R"({"x":"a\u001b[2J\u007f\u009b31m\u202eb\u2066"})"})});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr(R"("x": "a\u001b[2J\u007f\u009b31m\u202eb\u2066")"));
  for (char c : r.out) {
    const unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE((u >= 0x20 && u < 0x7f) || u == '\n') << r.out;
  }
  EXPECT_EQ(nlohmann::json::parse(r.out)["x"],
            "a\x1b[2J\x7f\xc2\x9b"
            "31m\xe2\x80\xae"
            "b\xe2\x81\xa6");

  Keygen("EdDSA", "k\x1b]0;x\x07\xe2\x80\xae", "b");
  r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), Issue("b")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not in the JWKS"));
  for (char c : r.err) {
    const unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE((u >= 0x20 && u < 0x7f) || u == '\n') << r.err;
  }
}

TEST_F(AttestCommandsTest, TokenFromStdin) {
  Keygen("ES256", "k", "p");
  ProcessResult r = Secretctl(
      {"attest", "verify", "--jwks", Path("p.jwks"), "-"}, Issue("p") + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("warning")));
  // Without an argument the token is read from stdin too.
  r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks")},
                Issue("p") + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"sub\": \"i-42\""));
  EXPECT_THAT(r.err, ::testing::StartsWith("not checked: "));
}

// Security review, issue 4: a token on argv is visible in /proc/PID/cmdline.
TEST_F(AttestCommandsTest, TokenOnTheCommandLineIsVerifiedWithAWarning) {
  Keygen("EdDSA", "k", "p");
  constexpr char kWarning[] =
      "secretctl attest verify: warning: a token on the command line is "
      "visible to other users (ps, /proc/PID/cmdline); pass it on stdin "
      "instead: ... | secretctl attest verify --jwks FILE -\n";
  ProcessResult r =
      Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), Issue("p")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::StartsWith(std::string(kWarning) +
                                           "not checked: issuer trust"));
  // Also when the token is refused.
  r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), "not.a.token"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::StartsWith(kWarning));
  EXPECT_THAT(r.err, HasSubstr("reason: malformed"));
}

TEST_F(AttestCommandsTest, GarbageTokenIsMalformed) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r =
      Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), "not.a.token"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("reason: malformed"));
}

TEST_F(AttestCommandsTest, BadFlagValuesAreUsageErrors) {
  Keygen("EdDSA", "k", "p");
  ProcessResult r =
      Secretctl({"attest", "issue", "--key", Path("p.key"), "--issuer", "i",
                 "--subject", "s", "--audience", "a", "--nonce", "n",
                 "--cnf-x25519", keys::Base64UrlEncode(std::string(32, '\0'))});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("small order"));
  r = Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), "--at",
                 "yesterday", "x.y.z"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--at must be an RFC 3339 time"));
  r = Secretctl({"attest", "issue", "--key", Path("p.key")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing required flag"));
}

TEST_F(AttestCommandsTest, OpenKeyFileIsRefused) {
  Keygen("EdDSA", "k", "p");
  chmod(Path("p.key").c_str(), 0644);
  ProcessResult r = Secretctl({"attest", "issue", "--key", Path("p.key"),
                               "--issuer", "i", "--subject", "s", "--audience",
                               "a", "--nonce", "n", "--cnf-x25519", cnf_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
}

TEST_F(AttestCommandsTest, MissingJwksFileIsRefusedWithTheReason) {
  ProcessResult r = Secretctl(
      {"attest", "verify", "--jwks", Path("none.jwks"), "-"}, "a.b.c\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            absl::StrCat("secretctl attest verify: cannot read JWKS "
                         "file \"",
                         Path("none.jwks"), "\": No such file or directory\n"));
  r = Secretctl({"attest", "verify", "--jwks", dir_, "-"}, "a.b.c\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, absl::StrCat("secretctl attest verify: cannot read JWKS "
                                "file \"",
                                dir_, "\": it is a directory\n"));
}

TEST_F(AttestCommandsTest, EmptyStdinSaysThereIsNoToken) {
  Keygen("EdDSA", "k", "p");
  const std::string expected =
      "secretctl attest verify: no token on stdin; pipe one in, e.g. "
      "secretctl attest verify --jwks FILE - < token.txt\n"
      "Run \"secretctl attest verify --help\" for usage.\n";
  for (const std::string& input : {std::string(""), std::string("\n")}) {
    ProcessResult r =
        Secretctl({"attest", "verify", "--jwks", Path("p.jwks"), "-"}, input);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, expected);
  }
}

// A new user's mix-up: the public JWKS given as --key. Whatever its mode,
// the message says what the file is and which file to give instead.
TEST_F(AttestCommandsTest, PublicJwksAsTheKeyIsNamedAsSuch) {
  Keygen("EdDSA", "k", "p");
  const std::string expected = absl::StrCat(
      "secretctl attest issue: \"", Path("p.jwks"),
      "\" is a public JWKS (from --jwks-out); --key needs the private key "
      "file (--private-out of attest keygen)\n");
  for (mode_t mode : {0644, 0600}) {
    ASSERT_EQ(chmod(Path("p.jwks").c_str(), mode), 0);
    ProcessResult r =
        Secretctl({"attest", "issue", "--key", Path("p.jwks"), "--issuer", "i",
                   "--subject", "s", "--audience", "a", "--nonce", "n",
                   "--cnf-x25519", cnf_});
    EXPECT_EQ(r.exit_code, 1) << mode;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, expected) << mode;
  }
}

// The broker's own signing keys are never platform keys.
TEST_F(AttestCommandsTest, BrokerKeysOfADataDirAreRefused) {
  const std::string data = Path("data");
  ProcessResult init = Secretctl({"init", "--data-dir", data});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {data + "/keys/release.key", "release signing key"},
      {data + "/keys/../keys/audit.key", "audit checkpoint key"}};
  for (const auto& [key, what] : cases) {
    ProcessResult r = Secretctl({"attest", "issue", "--key", key, "--issuer",
                                 "i", "--subject", "s", "--audience", "a",
                                 "--nonce", "n", "--cnf-x25519", cnf_});
    EXPECT_EQ(r.exit_code, 1) << key;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              absl::StrCat("secretctl attest issue: \"", key,
                           "\" is the broker's own ", what,
                           ", not a platform key; sign with the platform's "
                           "key (make one with \"secretctl attest "
                           "keygen\")\n"));
  }
}

TEST_F(AttestCommandsTest, HelpListsTheAttestCommands) {
  ProcessResult r = Secretctl({"attest", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("attest keygen"));
  EXPECT_THAT(r.out, HasSubstr("attest issue"));
  EXPECT_THAT(r.out, HasSubstr("attest verify [-]"));
  r = Secretctl({"attest", "verify", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("Reads the token from stdin (\"-\", the "
                               "default)"));
}

}  // namespace
}  // namespace secretctl
