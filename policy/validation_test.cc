// The validation negative suite: every kind of mistake in a policy document,
// with the exact message a user sees (STYLE.md §4).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"

namespace policy {
namespace {

using ::common::testing::StatusIs;

struct Case {
  std::string name;
  PolicyKind kind;
  std::string json;
  std::string message;  // the whole status message, lines joined by \n
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// A permission statement with `extra` members added.
std::string Stmt(absl::string_view extra) {
  return absl::StrCat(
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*")",
      extra.empty() ? "" : ", ", extra, "}]}");
}

std::string Cond(absl::string_view condition) {
  return Stmt(absl::StrCat(R"("Condition": )", condition));
}

constexpr PolicyKind kAny = PolicyKind::kAny;
constexpr PolicyKind kTrust = PolicyKind::kTrust;
constexpr PolicyKind kPermission = PolicyKind::kPermission;

std::vector<Case> Cases() {
  return {
      // --- JSON ------------------------------------------------------------
      {"MissingComma", kAny,
       "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}",
       "policy \"web.json\": line 3, column 3: expected \",\" or \"}\" after a "
       "member, got a string; is a comma missing at the end of line 2?"},
      {"TrailingComma", kAny, R"({"Version": "2012-10-17",})",
       "policy \"web.json\": line 1, column 26: expected a member name after "
       "\",\", got \"}\"; remove the trailing comma"},
      {"DuplicateMember", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "secrets:Get", "Resource": "*"}})",
       "policy \"web.json\": Statement: duplicate member \"Effect\"; a name "
       "may appear once in an object, remove one of them"},
      {"TooDeep", kAny,
       R"({"Version": "2012-10-17", "Statement": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]})",
       "policy \"web.json\": Statement[0][0][0][0][0][0][0][0][0][0][0][0][0]"
       "[0][0]: nested deeper than 16 levels; a policy needs far fewer, "
       "flatten it"},
      {"TooLarge", kAny,
       absl::StrCat(R"({"Version": "2012-10-17", "Id": ")",
                    std::string(10240, 'x'), R"(", "Statement": []})"),
       "policy \"web.json\": document is 10292 bytes, over the 10 KiB limit "
       "(10240 bytes); split it into several policies"},
      {"NotAnObject", kAny, R"(["Version"])",
       "policy \"web.json\": expected a JSON object with Version and "
       "Statement, got an array"},

      // --- Document elements -------------------------------------------------
      {"MissingVersion", kAny,
       R"({"Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}})",
       "policy \"web.json\": missing Version; add \"Version\": \"2012-10-17\""},
      {"UnknownVersion", kAny,
       R"({"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}})",
       "policy \"web.json\": Version: expected \"2012-10-17\" or "
       "\"2008-10-17\", got \"2012-10-18\""},
      {"MisspeltTopElement", kAny,
       R"({"Version": "2012-10-17", "Statment": []})",
       "policy \"web.json\": Statment: unknown element; did you mean "
       "Statement?\npolicy \"web.json\": missing Statement; add "
       "\"Statement\": [...] with at least one statement"},
      {"EmptyStatementList", kAny,
       R"({"Version": "2012-10-17", "Statement": []})",
       "policy \"web.json\": Statement: is an empty array; add at least one "
       "statement"},
      {"StatementNotAnObject", kPermission,
       R"({"Version": "2012-10-17", "Statement": ["Allow"]})",
       "policy \"web.json\": Statement[0]: expected an object, got a string"},

      // --- Statement elements ------------------------------------------------
      {"MisspeltElement", kAny, Stmt(R"("Conditon": {})"),
       "policy \"web.json\": Statement[0].Conditon: unknown element; did you "
       "mean Condition?"},
      {"WrongCaseElement", kAny, Stmt(R"("sid": "A")"),
       "policy \"web.json\": Statement[0].sid: unknown element; did you mean "
       "Sid? (names are case-sensitive)"},
      {"UnsupportedNotPrincipal", kAny, Stmt(R"("NotPrincipal": {})"),
       "policy \"web.json\": Statement[0].NotPrincipal: unknown element; did "
       "you mean Principal?"},
      {"EffectInLowerCase", kAny,
       R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}, {"Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}, {"Effect": "allow", "Action": "secrets:Get", "Resource": "*"}]})",
       "policy \"web.json\": Statement[2].Effect: expected \"Allow\" or "
       "\"Deny\", got \"allow\" (values are case-sensitive)"},
      {"MissingEffect", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Action": "secrets:Get", "Resource": "*"}})",
       "policy \"web.json\": Statement: missing Effect; add \"Effect\": "
       "\"Allow\" or \"Effect\": \"Deny\""},
      {"BothActionAndNotAction", kAny, Stmt(R"("NotAction": "secrets:Get")"),
       "policy \"web.json\": Statement[0]: has both Action and NotAction; "
       "keep one of them"},
      {"MissingAction", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}})",
       "policy \"web.json\": Statement: missing Action; add \"Action\": "
       "\"secrets:Get\" (or \"secretd:AssumeRole\" in a trust policy)"},
      {"ActionOfWrongType", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": 7, "Resource": "*"}})",
       "policy \"web.json\": Statement.Action: expected a string or an array "
       "of strings, got a number"},
      {"EmptyActionList", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}})",
       "policy \"web.json\": Statement.Action: is an empty array; name at "
       "least one action"},
      {"MisspeltAction", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["secrets:Get", "secrets:Gte"], "Resource": "*"}})",
       "policy \"web.json\": Statement.Action[1]: \"secrets:Gte\" matches no "
       "secretd action; did you mean secrets:Get?"},
      {"ForeignAction", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}})",
       "policy \"web.json\": Statement.Action: \"s3:GetObject\" matches no "
       "secretd action; the actions are secretd:AssumeRole and secrets:Get"},
      {"BothResourceAndNotResource", kAny, Stmt(R"("NotResource": "*")"),
       "policy \"web.json\": Statement[0]: has both Resource and NotResource; "
       "keep one of them"},
      {"MisspeltResource", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secrets/app/*"}})",
       "policy \"web.json\": Statement.Resource: \"secrets/app/*\" names no "
       "secretd resource; resources are role/<name> and secret/<name>; did "
       "you mean secret/app/*?"},
      {"EmptyResource", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": ["*", ""]}})",
       "policy \"web.json\": Statement.Resource[1]: is empty; name a "
       "resource such as secret/app/*"},
      {"BadSid", kAny, Stmt(R"("Sid": "read-db")"),
       "policy \"web.json\": Statement[0].Sid: \"read-db\" may hold only "
       "letters and digits (A-Z, a-z, 0-9)"},
      {"DuplicateSid", kAny,
       R"({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "secrets:Get", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "secrets:Get", "Resource": "*"}]})",
       "policy \"web.json\": Statement[1].Sid: duplicate Sid \"A\" (also "
       "Statement[0]); Sids must be unique within a policy"},

      // --- Principal and role kinds
      // ---------------------------------------------
      {"PrincipalInPermissionPolicy", kPermission,
       Stmt(R"("Principal": {"Attestor": "*"})"),
       "policy \"web.json\": Statement[0].Principal: permission policies have "
       "no Principal; remove it (the role's trust policy decides who may "
       "assume it)"},
      {"PermissionStatementWithoutResource", kPermission,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get"}})",
       "policy \"web.json\": Statement: missing Resource; add \"Resource\": "
       "\"secret/<name>\" (wildcards allowed)"},
      {"PermissionPolicyGrantingAssumeRole", kPermission,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretd:AssumeRole", "Resource": "secret/*"}})",
       "policy \"web.json\": Statement.Action: \"secretd:AssumeRole\" does "
       "not cover secrets:Get, the only action a permission policy governs"},
      {"PermissionPolicyOnRoles", kPermission,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "role/web"}})",
       "policy \"web.json\": Statement.Resource: \"role/web\" can never name "
       "a secret; a permission policy governs secret/<name>"},
      {"TrustStatementWithoutPrincipal", kTrust,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secretd:AssumeRole"}})",
       "policy \"web.json\": Statement: missing Principal; a trust policy "
       "statement names the attestors it trusts, e.g. \"Principal\": "
       "{\"Attestor\": \"*\"}"},
      {"TrustPolicyGrantingSecrets", kTrust,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": "*"}, "Action": "secrets:Get"}})",
       "policy \"web.json\": Statement.Action: \"secrets:Get\" does not cover "
       "secretd:AssumeRole, the only action a trust policy governs"},
      {"PrincipalAsString", kTrust,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "secretd:AssumeRole"}})",
       "policy \"web.json\": Statement.Principal: expected an object such as "
       "{\"Attestor\": \"*\"}, got a string"},
      {"AwsPrincipal", kTrust,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretd:AssumeRole"}})",
       "policy \"web.json\": Statement.Principal.AWS: unknown principal type; "
       "secretd principals are {\"Attestor\": [issuer, ...]}"},
      {"PartialWildcardAttestor", kTrust,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": ["https://a.example", "https://*.example"]}, "Action": "secretd:AssumeRole"}})",
       "policy \"web.json\": Statement.Principal.Attestor[1]: "
       "\"https://*.example\" has a wildcard; only \"*\" alone (any trusted "
       "issuer) is allowed"},

      // --- Conditions
      // ----------------------------------------------------------
      {"MisspeltOperator", kAny, Cond(R"({"StringLik": {"claim:sub": "a"}})"),
       "policy \"web.json\": Statement[0].Condition.StringLik: unknown "
       "operator; did you mean StringLike?"},
      {"MisspeltSetOperator", kAny,
       Cond(R"({"ForAnyValues:StringLike": {"claim:sub": "a"}})"),
       "policy \"web.json\": Statement[0].Condition.ForAnyValues:StringLike: "
       "unknown operator; did you mean ForAnyValue:StringLike?"},
      {"OperatorInWrongCase", kAny,
       Cond(R"({"stringequals": {"claim:sub": "a"}})"),
       "policy \"web.json\": Statement[0].Condition.stringequals: unknown "
       "operator; did you mean StringEquals? (names are case-sensitive)"},
      {"NullIfExists", kAny, Cond(R"({"NullIfExists": {"claim:sub": "true"}})"),
       "policy \"web.json\": Statement[0].Condition.NullIfExists: unknown "
       "operator; Null takes neither ...IfExists nor "
       "ForAnyValue:/ForAllValues:, write plain Null"},
      {"ArnOperator", kAny, Cond(R"({"ArnLike": {"claim:sub": "a"}})"),
       "policy \"web.json\": Statement[0].Condition.ArnLike: unknown "
       "operator; operators are String*, Numeric*, Date*, Bool, IpAddress, "
       "NotIpAddress and Null, optionally with ...IfExists and ForAnyValue: "
       "or ForAllValues:"},
      {"UnknownSecretdKey", kAny,
       Cond(R"({"IpAddress": {"secretd:SourceIP4": "10.0.0.0/8"}})"),
       "policy \"web.json\": Statement[0].Condition.IpAddress.secretd:"
       "SourceIP4: unknown context key \"secretd:SourceIP4\"; did you mean "
       "secretd:SourceIp?"},
      {"AwsKey", kAny, Cond(R"({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})"),
       "policy \"web.json\": Statement[0].Condition.IpAddress.aws:SourceIp: "
       "unknown context key \"aws:SourceIp\"; keys are claim:<name> (token "
       "claims) or secretd:<name>; did you mean secretd:SourceIp?"},
      {"ClaimWithoutName", kAny, Cond(R"({"StringEquals": {"claim:": "a"}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals.claim:: "
       "names no claim; write claim:<name>, e.g. claim:sub or "
       "claim:tags/team"},
      {"OperatorNeverMatchesKeyType", kAny,
       Cond(R"({"DateLessThan": {"secretd:SourceIp": "2024-01-01"}})"),
       "policy \"web.json\": Statement[0].Condition.DateLessThan.secretd:"
       "SourceIp: secretd:SourceIp holds an IP address, which this operator "
       "never matches; use IpAddress or NotIpAddress"},
      {"BadDate", kAny,
       Cond(
           R"({"DateLessThan": {"secretd:CurrentTime": ["2024-01-01", "2024-13-01"]}})"),
       "policy \"web.json\": Statement[0].Condition.DateLessThan.secretd:"
       "CurrentTime[1]: \"2024-13-01\" is not a date; write ISO 8601 such as "
       "2024-06-01T10:15:00Z, or epoch seconds"},
      {"BadCidr", kAny,
       Cond(R"({"IpAddress": {"secretd:SourceIp": "10.0.0.0/33"}})"),
       "policy \"web.json\": Statement[0].Condition.IpAddress.secretd:"
       "SourceIp: \"10.0.0.0/33\" is not an IPv4 or IPv6 address or CIDR "
       "block such as 203.0.113.0/24"},
      {"BadNumber", kAny,
       Cond(R"({"NumericLessThan": {"secretd:TokenAge": "1 minute"}})"),
       "policy \"web.json\": Statement[0].Condition.NumericLessThan.secretd:"
       "TokenAge: \"1 minute\" is not a number; write a decimal such as 10 or "
       "2.5"},
      {"VariableInNumeric", kAny,
       Cond(R"({"NumericLessThan": {"claim:n": "${claim:max}"}})"),
       "policy \"web.json\": Statement[0].Condition.NumericLessThan.claim:n: "
       "\"${claim:max}\" is not a number; write a decimal such as 10 or 2.5 "
       "(this operator takes no policy variables)"},
      {"BadBool", kAny, Cond(R"({"Bool": {"claim:spot": "yes"}})"),
       "policy \"web.json\": Statement[0].Condition.Bool.claim:spot: expected "
       "true or false, got \"yes\""},
      {"BadNull", kAny, Cond(R"({"Null": {"claim:spot": 1}})"),
       "policy \"web.json\": Statement[0].Condition.Null.claim:spot: expected "
       "true (key absent) or false (key present), got a number"},
      {"NullValue", kAny, Cond(R"({"StringEquals": {"claim:sub": null}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals.claim:sub: "
       "expected a string, number, boolean or an array of those, got null"},
      {"NoValues", kAny, Cond(R"({"StringEquals": {"claim:sub": []}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals.claim:sub: "
       "has no values; give at least one"},
      {"EmptyOperator", kAny, Cond(R"({"StringEquals": {}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals: is empty; "
       "name at least one context key"},
      {"KeysDifferingInCase", kAny,
       Cond(R"({"StringEquals": {"claim:team": "a", "claim:Team": "b"}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals.claim:team: "
       "same key as claim:Team (keys are case-insensitive); merge their "
       "values"},

      // --- Variables
      // -------------------------------------------------------------
      {"UnclosedVariable", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub"}})",
       "policy \"web.json\": Statement.Resource: variable \"${claim:sub\" is "
       "not closed; add \"}\" (or write ${$} for a literal $)"},
      {"VariableWithUnknownKey", kAny,
       R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claims:sub}"}})",
       "policy \"web.json\": Statement.Resource: variable ${claims:sub}: "
       "unknown context key \"claims:sub\"; keys are claim:<name> (token "
       "claims) or secretd:<name>; did you mean claim:sub?"},
      {"DefaultWithoutQuotes", kAny,
       Cond(R"({"StringEquals": {"claim:team": "${claim:owner, ops}"}})"),
       "policy \"web.json\": Statement[0].Condition.StringEquals.claim:team: "
       "variable \"${claim:owner, ops}\" has a default that is not in single "
       "quotes; write ${key, 'default'}"},

      // --- Several errors at once
      // -------------------------------------------------
      {"EveryErrorIsReported", kPermission,
       R"({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "allow", "Action": "secrets:Get", "Resource": "secret/*",
             "Condition": {"StringLik": {"claim:sub": "a"}}},
            {"Sid": "A", "Effect": "Deny", "Action": "secrets:Get", "NotAction": "x",
             "Resource": "secret/*", "Condition": {"DateLessThan": {"secretd:CurrentTime": "soon"}}}]})",
       "policy \"web.json\": Statement[0].Effect: expected \"Allow\" or "
       "\"Deny\", got \"allow\" (values are case-sensitive)\n"
       "policy \"web.json\": Statement[0].Condition.StringLik: unknown "
       "operator; did you mean StringLike?\n"
       "policy \"web.json\": Statement[1]: has both Action and NotAction; keep "
       "one of them\n"
       "policy \"web.json\": Statement[1].Sid: duplicate Sid \"A\" (also "
       "Statement[0]); Sids must be unique within a policy\n"
       "policy \"web.json\": Statement[1].Condition.DateLessThan.secretd:"
       "CurrentTime: \"soon\" is not a date; write ISO 8601 such as "
       "2024-06-01T10:15:00Z, or epoch seconds"},
  };
}

class ValidationTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidationTest, InvalidPolicyIsRejectedWithTheExactMessage) {
  const Case& c = GetParam();
  EXPECT_THAT(ParsePolicy("web.json", c.json, c.kind),
              StatusIs(absl::StatusCode::kInvalidArgument, c.message));
}

INSTANTIATE_TEST_SUITE_P(Negative, ValidationTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(ValidationErrorsTest, StructuredErrorsCarryPathAndPosition) {
  ParseResult r = ParsePolicyDetailed(
      "web.json", "{\n \"Version\": \"2012-10-17\",\n \"Statement\": [1,]\n}");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "");
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].column, 18);
  EXPECT_FALSE(r.policy.has_value());

  r = ParsePolicyDetailed(
      "web.json", Cond(R"({"Bool": {"claim:a": "x", "claim:b": "y"}})"));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].path, "Statement[0].Condition.Bool.claim:a");
  EXPECT_EQ(r.errors[0].message, "expected true or false, got \"x\"");
  EXPECT_EQ(r.errors[1].path, "Statement[0].Condition.Bool.claim:b");
}

TEST(ValidationErrorsTest, VariablesAreLiteralIn2008Policies) {
  // "${" is ordinary text there, so nothing about it is an error.
  EXPECT_OK(ParsePolicy(
      "old.json",
      R"({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claims:sub", "Condition": {"StringEquals": {"claim:a": "${"}}}})"));
}

// Security review, issue 2: a Deny that some requests skip is valid (AWS
// semantics) but warned about.
std::vector<std::string> Warnings(absl::string_view json) {
  ParseResult r = ParsePolicyDetailed("deny.json", json);
  EXPECT_TRUE(r.errors.empty()) << FormatErrors("deny.json", r.errors);
  std::vector<std::string> out;
  for (const ValidationError& w : r.warnings) out.push_back(w.ToString());
  return out;
}

TEST(ValidationWarningsTest, DenyVariableWithoutDefaultIsWarnedAbout) {
  EXPECT_THAT(
      Warnings(
          R"({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub}/*"},
        {"Effect": "Deny", "Action": "secrets:Get", "NotResource": ["secret/${claim:team}/*", "secret/${Claim:Team}/${claim:sub, 'x'}"]},
        {"Sid": "Own", "Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/*",
         "Condition": {"StringNotEquals": {"claim:tags/owner": ["${claim:sub}", "${secretd:Role, ''}"]}}}]})"),
      ::testing::ElementsAre(
          "Statement[1].NotResource: this Deny is skipped when claim:team is "
          "absent or has several values; give the variable a default, e.g. "
          "${claim:team, ''}, or guard it with a Null condition",
          "Statement[2].Condition.StringNotEquals.claim:tags/owner: this Deny "
          "is skipped when claim:sub is absent or has several values; give "
          "the variable a default, e.g. ${claim:sub, ''}, or guard it with a "
          "Null condition"));
  // With FormatErrors, as secretctl prints it.
  ParseResult r = ParsePolicyDetailed(
      "deny.json",
      R"({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/${claim:team}/*"}})");
  EXPECT_EQ(FormatErrors("deny.json", r.warnings),
            "policy \"deny.json\": Statement.Resource: this Deny is skipped "
            "when claim:team is absent or has several values; give the "
            "variable a default, e.g. ${claim:team, ''}, or guard it with a "
            "Null condition");
}

TEST(ValidationWarningsTest, DefaultsAllowsAnd2008PoliciesAreNotWarnedAbout) {
  EXPECT_THAT(Warnings(
                  R"({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub}/*",
         "Condition": {"NumericNotEquals": {"claim:level": 3}, "StringEquals": {"claim:a": "${claim:b}"}}},
        {"Effect": "Deny", "Action": "secrets:Get", "NotResource": "secret/${claim:team, ''}/*",
         "Condition": {"NumericNotEquals": {"secretd:TokenAge": 0}, "NumericGreaterThan": {"claim:level": 5}}}]})"),
              ::testing::IsEmpty());
  EXPECT_THAT(
      Warnings(
          R"({"Version": "2008-10-17", "Statement": {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/${claim:team}/*"}})"),
      ::testing::IsEmpty());
}

TEST(ValidationWarningsTest, DenyWithNegatedTypedOperatorOnAClaimIsWarned) {
  EXPECT_THAT(
      Warnings(
          R"({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/*",
        "Condition": {"NumericNotEquals": {"claim:level": 3}, "DateNotEqualsIfExists": {"claim:launched_at": "2024-06-01"},
                      "NotIpAddress": {"claim:ip": "10.0.0.0/8"}}}})"),
      ::testing::ElementsAre(
          "Statement.Condition.DateNotEqualsIfExists.claim:launched_at: this "
          "Deny is skipped when claim:launched_at holds a value that is not a "
          "date (a value of the wrong type satisfies neither DateNotEquals "
          "nor its negation); state the requirement in the Allow statements "
          "instead, where DateEquals fails closed",
          "Statement.Condition.NotIpAddress.claim:ip: this Deny is skipped "
          "when claim:ip holds a value that is not an IP address (a value of "
          "the wrong type satisfies neither NotIpAddress nor its negation); "
          "state the requirement in the Allow statements instead, where "
          "IpAddress fails closed",
          "Statement.Condition.NumericNotEquals.claim:level: this Deny is "
          "skipped when claim:level holds a value that is not a number (a "
          "value of the wrong type satisfies neither NumericNotEquals nor its "
          "negation); state the requirement in the Allow statements instead, "
          "where NumericEquals fails closed"));
}

TEST(ValidationWarningsTest, AnInvalidPolicyHasErrorsOnly) {
  ParseResult r = ParsePolicyDetailed(
      "deny.json",
      R"({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/${claim:team}/*", "Sid": "a-b"}})");
  EXPECT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.warnings, ::testing::IsEmpty());
}

}  // namespace
}  // namespace policy
