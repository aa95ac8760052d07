// Runs the real secretctl binary: `policy validate` and `policy simulate`,
// checking exact stdout, stderr and exit codes (DESIGN.md §8).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace secretctl {
namespace {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PolicyCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    const char* tmp = std::getenv("TEST_TMPDIR");
    ASSERT_NE(srcdir, nullptr);
    ASSERT_NE(workspace, nullptr);
    ASSERT_NE(tmp, nullptr);
    binary_ = absl::StrCat(srcdir, "/", workspace, "/secretctl/secretctl");
    dir_ = absl::StrCat(tmp, "/policies");
    mkdir(dir_.c_str(), 0700);
    Write("web.json", R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadApp", "Effect": "Allow", "Action": "secrets:Get",
     "Resource": "secret/app/*",
     "Condition": {"StringEquals": {"claim:tags/team": "ops"},
                   "IpAddress": {"secretd:SourceIp": "10.0.0.0/8"}}},
    {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/app/root"}
  ]
}
)");
    Write("guard.json",
          R"({"Version": "2012-10-17", "Statement": {"Sid": "NoProd",
 "Effect": "Deny", "Action": "*", "Resource": "secret/*/prod/*"}})");
    Write("trust.json",
          R"({"Version": "2012-10-17", "Statement": {"Sid": "Boot",
 "Effect": "Allow", "Principal": {"Attestor": "https://attest.example"},
 "Action": "secretd:AssumeRole"}})");
    Write("bad.json", R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "allow", "Action": "secrets:Get", "Resource": "secret/*",
     "Condition": {"StringLik": {"claim:sub": "web-*"}}}
  ]
}
)");
    Write("broken.json",
          "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}\n");
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(absl::StrCat(dir_, "/", name)) << text;
  }

  // Runs secretctl with `args` in the policies directory.
  // With `stdin_file` (in the policies directory), stdin reads it.
  Result Run(const std::vector<std::string>& args,
             const std::string& stdin_file = "") {
    const std::string out_path = absl::StrCat(dir_, "/.stdout");
    const std::string err_path = absl::StrCat(dir_, "/.stderr");
    pid_t pid = fork();
    if (pid == 0) {
      int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0 || chdir(dir_.c_str()) != 0) _exit(126);
      if (!stdin_file.empty()) {
        int in = open(stdin_file.c_str(), O_RDONLY);
        if (in < 0) _exit(126);
        dup2(in, 0);
      }
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary_.c_str()));
      for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    Result r;
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(out_path);
    r.err = ReadAll(err_path);
    return r;
  }

  std::string binary_;
  std::string dir_;
};

TEST_F(PolicyCommandsTest, ValidateListsValidFilesAndExitsZero) {
  Result r =
      Run({"policy", "validate", "web.json", "trust.json", "guard.json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "web.json: valid permission policy, 2 statements\n"
            "trust.json: valid trust policy, 1 statement\n"
            "guard.json: valid permission policy, 1 statement\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(PolicyCommandsTest, ValidateReportsEveryErrorOfEveryFileAndExitsOne) {
  Result r = Run({"policy", "validate", "bad.json", "web.json", "broken.json",
                  "missing.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "web.json: valid permission policy, 2 statements\n");
  EXPECT_EQ(r.err,
            "policy \"bad.json\": Statement[0].Effect: expected \"Allow\" or "
            "\"Deny\", got \"allow\" (values are case-sensitive)\n"
            "policy \"bad.json\": Statement[0].Condition.StringLik: unknown "
            "operator; did you mean StringLike?\n"
            "policy \"broken.json\": line 3, column 3: expected \",\" or \"}\" "
            "after a member, got a string; is a comma missing at the end of "
            "line 2?\n"
            "secretctl policy validate: cannot read \"missing.json\": No such "
            "file or directory\n");
}

TEST_F(PolicyCommandsTest, ValidateRefusesAFileOverTheSizeLimitUnread) {
  Write("big.json", std::string(20000, ' '));
  Result r = Run({"policy", "validate", "big.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "policy \"big.json\": document is 20000 bytes, over the 10 KiB "
            "limit (10240 bytes); split it into several policies\n");
}

TEST_F(PolicyCommandsTest, ValidateWithoutFilesIsAUsageError) {
  Result r = Run({"policy", "validate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl policy validate: expected FILE..., got 0 arguments\n"
            "Run \"secretctl policy validate --help\" for usage.\n");
}

TEST_F(PolicyCommandsTest, SimulateAllowNamesTheStatement) {
  Result r =
      Run({"policy", "simulate", "--policy", "web.json", "--action",
           "secrets:Get", "--resource", "secret/app/db", "--context",
           R"({"claim:tags/team": "ops", "secretd:SourceIp": "10.1.2.3"})"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(
      r.out,
      R"({"decision":"allow","statement":{"policy":"web.json","sid":"ReadApp"},"missing_context_keys":[]})"
      "\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(PolicyCommandsTest, SimulateImplicitDenyListsMissingKeys) {
  Result r = Run({"policy", "simulate", "--policy", "web.json", "--action",
                  "secrets:Get", "--resource", "secret/app/db"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(
      r.out,
      R"({"decision":"implicit_deny","statement":null,"missing_context_keys":["secretd:SourceIp","claim:tags/team"]})"
      "\n");
}

TEST_F(PolicyCommandsTest, SimulateExplicitDenyOfAStatementWithoutSid) {
  Result r = Run(
      {"policy", "simulate", "--policy", "web.json", "--policy", "guard.json",
       "--action", "secrets:Get", "--resource", "secret/app/root", "--context",
       R"({"claim:tags/team": "ops", "secretd:SourceIp": "10.1.2.3"})"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(
      r.out,
      R"({"decision":"explicit_deny","statement":{"policy":"web.json","sid":null,"index":1},"missing_context_keys":[]})"
      "\n");
}

TEST_F(PolicyCommandsTest, SimulateTrustPolicyTakesTheIssuerFromTheContext) {
  std::vector<std::string> args = {
      "policy",   "simulate",           "--policy",   "trust.json",
      "--action", "secretd:AssumeRole", "--resource", "role/web"};
  Result none = Run(args);
  EXPECT_EQ(
      none.out,
      R"({"decision":"implicit_deny","statement":null,"missing_context_keys":[]})"
      "\n");
  args.push_back("--context");
  args.push_back(R"({"secretd:Issuer": "https://attest.example"})");
  Result trusted = Run(args);
  EXPECT_EQ(trusted.exit_code, 0);
  EXPECT_EQ(
      trusted.out,
      R"({"decision":"allow","statement":{"policy":"trust.json","sid":"Boot"},"missing_context_keys":[]})"
      "\n");
}

TEST_F(PolicyCommandsTest, SimulateTextExplainsTheDecision) {
  Result r = Run({"policy", "simulate", "--policy", "web.json", "--policy",
                  "guard.json", "--action", "secrets:Get", "--resource",
                  "secret/app/db", "--context", R"({"claim:tags/team": "dev"})",
                  "--format", "text"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "decision: implicit deny\n"
            "secrets:Get on secret/app/db is denied because no statement "
            "allows it (access is denied unless a statement allows it)\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"web.json\" Statement[0] (Sid \"ReadApp\") Allow: does "
            "not apply: condition IpAddress secretd:SourceIp is false (the "
            "request has no such key)\n"
            "  policy \"web.json\" Statement[1] Deny: does not apply: "
            "resource secret/app/db is not in Resource\n"
            "  policy \"guard.json\" Statement (Sid \"NoProd\") Deny: does not "
            "apply: resource secret/app/db is not in Resource\n");
}

// Security review, issue 2: warnings go to stderr and fail only --strict.
constexpr char kTeamPolicy[] = R"({"Version": "2012-10-17", "Statement": [
 {"Sid": "Any", "Effect": "Allow", "Action": "secrets:Get",
  "Resource": "secret/*"},
 {"Sid": "OtherTeams", "Effect": "Deny", "Action": "secrets:Get",
  "NotResource": "secret/${claim:team}/*"}]})";

constexpr char kTeamWarning[] =
    "warning: policy \"team.json\": Statement[1].NotResource: this Deny is "
    "skipped when claim:team is absent or has several values; give the "
    "variable a default, e.g. ${claim:team, ''}, or guard it with a Null "
    "condition\n";

TEST_F(PolicyCommandsTest, ValidatePrintsWarningsAndStillExitsZero) {
  Write("team.json", kTeamPolicy);
  Result r = Run({"policy", "validate", "team.json", "web.json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "team.json: valid permission policy, 2 statements\n"
            "web.json: valid permission policy, 2 statements\n");
  EXPECT_EQ(r.err, kTeamWarning);
}

TEST_F(PolicyCommandsTest, ValidateStrictFailsOnWarnings) {
  Write("team.json", kTeamPolicy);
  Result r = Run({"policy", "validate", "--strict", "team.json", "web.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "web.json: valid permission policy, 2 statements\n");
  EXPECT_EQ(r.err, kTeamWarning);
  Result clean = Run({"policy", "validate", "--strict", "web.json"});
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.err, "");
}

TEST_F(PolicyCommandsTest, SimulateTextNamesADenySkippedForAnUnsetVariable) {
  Write("team.json", kTeamPolicy);
  Result r =
      Run({"policy", "simulate", "--policy", "team.json", "--action",
           "secrets:Get", "--resource", "secret/b/db", "--format", "text"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "decision: allow\n"
            "secrets:Get on secret/b/db is allowed by \"team.json\" statement "
            "\"Any\", and no statement denies it\n"
            "warning: Deny policy \"team.json\" Statement[1] (Sid "
            "\"OtherTeams\") was skipped because variable ${claim:team} has "
            "no value (the key is absent or multivalued and no default is "
            "given)\n"
            "issuer: none\n"
            "statements:\n"
            "  policy \"team.json\" Statement[0] (Sid \"Any\") Allow: "
            "applies\n"
            "  policy \"team.json\" Statement[1] (Sid \"OtherTeams\") Deny: "
            "does not apply: variable ${claim:team} has no value (the key is "
            "absent or multivalued and no default is given)\n");
  EXPECT_EQ(r.err, kTeamWarning);
}

// Security review, issue 1: keys differing only in case never merge.
TEST_F(PolicyCommandsTest, SimulateRefusesContextKeysDifferingOnlyInCase) {
  Result r = Run({"policy", "simulate", "--policy", "web.json", "--action",
                  "secrets:Get", "--resource", "secret/app/db", "--context",
                  R"({"claim:tags/team": "dev", "CLAIM:TAGS/TEAM": "ops",
                      "secretd:SourceIp": "10.1.2.3"})"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "secretctl policy simulate: --context: context key "
            "\"claim:tags/team\" is given twice (keys compare "
            "case-insensitively)\n");
}

TEST_F(PolicyCommandsTest, SimulateRejectsBadInputWithExitTwo) {
  Result bad_policy =
      Run({"policy", "simulate", "--policy", "bad.json", "--action",
           "secrets:Get", "--resource", "secret/x"});
  EXPECT_EQ(bad_policy.exit_code, 2);
  EXPECT_EQ(bad_policy.out, "");
  EXPECT_EQ(bad_policy.err,
            "policy \"bad.json\": Statement[0].Effect: expected \"Allow\" or "
            "\"Deny\", got \"allow\" (values are case-sensitive)\n"
            "policy \"bad.json\": Statement[0].Condition.StringLik: unknown "
            "operator; did you mean StringLike?\n");

  Result bad_context = Run({"policy", "simulate", "--policy", "web.json",
                            "--action", "secrets:Get", "--resource", "secret/x",
                            "--context", R"({"claim:a": {"b": 1}})"});
  EXPECT_EQ(bad_context.exit_code, 2);
  EXPECT_EQ(bad_context.err,
            "secretctl policy simulate: --context: context key \"claim:a\": "
            "expected a string, number, boolean or an array of those, got an "
            "object\n");

  Result bad_format =
      Run({"policy", "simulate", "--policy", "web.json", "--action",
           "secrets:Get", "--resource", "secret/x", "--format", "yaml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_EQ(bad_format.err,
            "secretctl policy simulate: --format must be json or text, got "
            "\"yaml\"\nRun \"secretctl policy simulate --help\" for usage.\n");

  Result missing_flag = Run(
      {"policy", "simulate", "--policy", "web.json", "--resource", "secret/x"});
  EXPECT_EQ(missing_flag.exit_code, 2);
  EXPECT_EQ(missing_flag.err,
            "secretctl policy simulate: missing required flag --action A\n"
            "Run \"secretctl policy simulate --help\" for usage.\n");

  Result missing_file =
      Run({"policy", "simulate", "--policy", "nope.json", "--action",
           "secrets:Get", "--resource", "secret/x"});
  EXPECT_EQ(missing_file.exit_code, 2);
  EXPECT_EQ(missing_file.err,
            "secretctl policy simulate: cannot read \"nope.json\": No such "
            "file or directory\n");
}

// A request no policy could name is bad input, with the messages
// `policy validate` gives for the same strings in a policy.
TEST_F(PolicyCommandsTest, SimulateRejectsUnknownActionsAndResources) {
  Result r = Run({"policy", "simulate", "--policy", "web.json", "--action",
                  "secrets:Read", "--resource", "app/db/password"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "secretctl policy simulate: --action: \"secrets:Read\" matches "
            "no secretd action; did you mean secrets:Get?\n"
            "secretctl policy simulate: --resource: \"app/db/password\" "
            "names no secretd resource; resources are role/<name> and "
            "secret/<name>\n");

  r = Run({"policy", "simulate", "--policy", "web.json", "--action", "x",
           "--resource", "secrte/app/db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl policy simulate: --action: \"x\" matches no secretd "
            "action; the actions are secretd:AssumeRole and secrets:Get\n"
            "secretctl policy simulate: --resource: \"secrte/app/db\" names "
            "no secretd resource; resources are role/<name> and "
            "secret/<name>; did you mean secret/app/db?\n");

  // The name itself must carry the prefix: "secret" alone names nothing.
  r = Run({"policy", "simulate", "--policy", "web.json", "--action",
           "secrets:Get", "--resource", "secret"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "secretctl policy simulate: --resource: \"secret\" names no "
            "secretd resource; resources are role/<name> and "
            "secret/<name>\n");

  // The same strings in a policy: the same messages from validate.
  Write("typo.json", R"({"Version": "2012-10-17", "Statement": {
 "Effect": "Allow", "Action": "secrets:Read", "Resource": "app/db/password"}})");
  Result v = Run({"policy", "validate", "typo.json"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.err,
            "policy \"typo.json\": Statement.Action: \"secrets:Read\" "
            "matches no secretd action; did you mean secrets:Get?\n"
            "policy \"typo.json\": Statement.Resource: \"app/db/password\" "
            "names no secretd resource; resources are role/<name> and "
            "secret/<name>\n");

  // Actions match in any case, as in the broker.
  r = Run({"policy", "simulate", "--policy", "web.json", "--policy",
           "guard.json", "--action", "SECRETS:GET", "--resource",
           "secret/app/root"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"decision\":\"explicit_deny\",\"statement\":{\"policy\":"
            "\"web.json\",\"sid\":null,\"index\":1},"
            "\"missing_context_keys\":[]}\n");
}

TEST_F(PolicyCommandsTest, ValidateReadsStdinForDash) {
  Result r = Run({"policy", "validate", "-"}, "web.json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "-: valid permission policy, 2 statements\n");
  r = Run({"policy", "validate", "-"}, "bad.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "policy \"-\": Statement[0].Effect: expected \"Allow\" or "
            "\"Deny\", got \"allow\" (values are case-sensitive)\n"
            "policy \"-\": Statement[0].Condition.StringLik: unknown "
            "operator; did you mean StringLike?\n");
}

TEST_F(PolicyCommandsTest, ValidateSaysADirectoryIsNotAPolicyFile) {
  Result r = Run({"policy", "validate", dir_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            absl::StrCat("secretctl policy validate: cannot read \"", dir_,
                         "\": it is a directory, not a policy file\n"));
}

// DESIGN.md §8: simulate exits 0 for any decision and 2 for bad input, so its
// help states exactly those codes and not the generic "1 refused or failed".
TEST_F(PolicyCommandsTest, SimulateHelpStatesOnlyItsOwnExitCodes) {
  Result r = Run({"policy", "simulate", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  const std::string footer =
      "\nExit status: 0 for any decision (allow, explicit_deny or "
      "implicit_deny), 2 for bad input (an invalid or unreadable policy, an "
      "--action or --resource no policy can name, a bad --context, a "
      "--format other than json or text, a missing flag).\n";
  ASSERT_GE(r.out.size(), footer.size());
  EXPECT_EQ(r.out.substr(r.out.size() - footer.size()), footer);
  EXPECT_EQ(r.out.find("refused"), std::string::npos);
  EXPECT_EQ(r.out.find("Exit status:"), r.out.rfind("Exit status:"));
}

TEST_F(PolicyCommandsTest, ValidateHelpKeepsTheGenericExitCodes) {
  Result r = Run({"help", "policy", "validate"});
  EXPECT_EQ(r.exit_code, 0);
  const std::string footer =
      "\nExit status: 0 ok, 1 refused or failed, 2 usage error.\n";
  ASSERT_GE(r.out.size(), footer.size());
  EXPECT_EQ(r.out.substr(r.out.size() - footer.size()), footer);
}

}  // namespace
}  // namespace secretctl
