// The decision table: one row per rule of AWS IAM's published evaluation
// logic that secretd's policy language adopts (docs/DESIGN.md §5). Each row
// names the AWS documentation page and section it checks; docs/policy.md
// lists the same rules in prose.
//
// Unless a row gives a whole policy, its policy is
//   {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//    "Action": "secrets:Get", "Resource": "secret/*", "Condition": <row>}]}
// and the request is secrets:Get on secret/app/db with the row's context.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/context.h"
#include "policy/policy.h"
#include "policy/policy_set.h"

namespace policy {
namespace {

using ::testing::ElementsAreArray;

// AWS IAM User Guide pages (https://docs.aws.amazon.com/IAM/latest/UserGuide/).
#define AWS_DOC(page) "https://docs.aws.amazon.com/IAM/latest/UserGuide/" page
constexpr const char* kString = AWS_DOC(
    "reference_policies_elements_condition_operators.html#Conditions_String");
constexpr const char* kNumeric = AWS_DOC(
    "reference_policies_elements_condition_operators.html#Conditions_Numeric");
constexpr const char* kDate = AWS_DOC(
    "reference_policies_elements_condition_operators.html#Conditions_Date");
constexpr const char* kBool = AWS_DOC(
    "reference_policies_elements_condition_operators.html#Conditions_Boolean");
constexpr const char* kIp = AWS_DOC(
    "reference_policies_elements_condition_operators.html"
    "#Conditions_IPAddress");
constexpr const char* kIfExists = AWS_DOC(
    "reference_policies_elements_condition_operators.html"
    "#Conditions_IfExists");
constexpr const char* kNull = AWS_DOC(
    "reference_policies_elements_condition_operators.html#Conditions_Null");
// "Important: If the key that you specify in a policy condition is not
// present in the request context, the values do not match and the condition
// is false. If the policy condition requires that the key is not matched,
// such as StringNotLike ..., and the right key is not present, the condition
// is true."
constexpr const char* kMissingKey = AWS_DOC(
    "reference_policies_elements_condition_operators.html (Important: key "
    "not present)");
// "multiple condition operators ... AND; multiple context keys ... AND;
// multiple values for a context key ... OR; a negated matching condition
// operator with multiple values ... NOR".
constexpr const char* kMultiValues =
    AWS_DOC("reference_policies_multi-value-conditions.html");
constexpr const char* kSetOperators = AWS_DOC(
    "reference_policies_condition-single-vs-multi-valued-context-keys.html"
    "#reference_policies_condition-multi-valued-context-keys");
// AWS says multivalued keys need a set operator and leaves the unqualified
// case open; secretd's rule (some value matches; negated: none matches) is
// docs/policy.md §4.
constexpr const char* kNoQualifier = AWS_DOC(
    "reference_policies_condition-single-vs-multi-valued-context-keys.html "
    "+ docs/policy.md section 4 (multivalued key, no prefix)");
constexpr const char* kVariables = AWS_DOC("reference_policies_variables.html");
constexpr const char* kVariableDefaults =
    AWS_DOC("reference_policies_variables.html#policy-vars-default-values");
constexpr const char* kVariableSpecialChars =
    AWS_DOC("reference_policies_variables.html#policy-vars-specialchars");
constexpr const char* kVariableNoValue =
    AWS_DOC("reference_policies_variables.html#policy-vars-no-value");
constexpr const char* kVersion =
    AWS_DOC("reference_policies_elements_version.html");
constexpr const char* kEvaluation =
    AWS_DOC("reference_policies_evaluation-logic.html#policy-eval-denyallow");
constexpr const char* kAction =
    AWS_DOC("reference_policies_elements_action.html");
constexpr const char* kNotAction =
    AWS_DOC("reference_policies_elements_notaction.html");
constexpr const char* kResource =
    AWS_DOC("reference_policies_elements_resource.html");
constexpr const char* kNotResource =
    AWS_DOC("reference_policies_elements_notresource.html");
constexpr const char* kPrincipal =
    AWS_DOC("reference_policies_elements_principal.html");
constexpr const char* kConditionKeys = AWS_DOC(
    "reference_policies_elements_condition.html (condition key names are not "
    "case-sensitive)");
#undef AWS_DOC

struct Row {
  std::string name;
  std::string cite;
  std::string policy;  // a Condition block, or a whole policy ("{\"Version...")
  std::string context;  // JSON object
  std::string expect;   // allow | explicit_deny | implicit_deny
  std::vector<std::string> missing;
  std::string action = "secrets:Get";
  std::string resource = "secret/app/db";
  std::string issuer;

  Row On(std::string a, std::string r) const {
    Row copy = *this;
    copy.action = std::move(a);
    copy.resource = std::move(r);
    return copy;
  }
  Row From(std::string iss) const {
    Row copy = *this;
    copy.issuer = std::move(iss);
    return copy;
  }
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

Row R(std::string name, std::string cite, std::string policy,
      std::string context, std::string expect,
      std::vector<std::string> missing = {}) {
  return Row{std::move(name),    std::move(cite),   std::move(policy),
             std::move(context), std::move(expect), std::move(missing)};
}

constexpr const char* A = "allow";
constexpr const char* D = "implicit_deny";
constexpr const char* X = "explicit_deny";

std::string Allow(absl::string_view resource, absl::string_view condition) {
  return absl::StrCat(
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", )",
      R"("Action": "secrets:Get", "Resource": ")", resource, R"(")",
      condition.empty() ? "" : absl::StrCat(R"(, "Condition": )", condition),
      "}]}");
}

std::vector<Row> Rows() {
  std::vector<Row> rows = {
      // --- String operators -------------------------------------------------
      R("StringEqualsMatchesTheSameValue", kString,
        R"({"StringEquals": {"claim:team": "ops"}})",
        R"({"claim:team": "ops"})", A),
      R("StringEqualsRejectsAnotherValue", kString,
        R"({"StringEquals": {"claim:team": "ops"}})",
        R"({"claim:team": "dev"})", D),
      R("StringEqualsIsCaseSensitive", kString,
        R"({"StringEquals": {"claim:team": "ops"}})",
        R"({"claim:team": "OPS"})", D),
      R("StringEqualsWithAbsentKeyIsFalse", kMissingKey,
        R"({"StringEquals": {"claim:team": "ops"}})", R"({})", D,
        {"claim:team"}),
      R("StringEqualsValuesAreOred", kMultiValues,
        R"({"StringEquals": {"claim:team": ["dev", "ops"]}})",
        R"({"claim:team": "ops"})", A),
      R("StringEqualsOnMultivaluedKeyNeedsOneMatch", kSetOperators,
        R"({"StringEquals": {"claim:groups": "ops"}})",
        R"({"claim:groups": ["dev", "ops"]})", A),
      R("StringEqualsComparesNumbersAsText", kString,
        R"({"StringEquals": {"claim:level": "3"}})", R"({"claim:level": 3})",
        A),
      R("StringEqualsTakesWildcardsLiterally", kString,
        R"({"StringEquals": {"claim:team": "o*"}})", R"({"claim:team": "ops"})",
        D),
      R("StringNotEqualsAcceptsAnotherValue", kString,
        R"({"StringNotEquals": {"claim:team": "ops"}})",
        R"({"claim:team": "dev"})", A),
      R("StringNotEqualsRejectsTheSameValue", kString,
        R"({"StringNotEquals": {"claim:team": "ops"}})",
        R"({"claim:team": "ops"})", D),
      R("StringNotEqualsWithAbsentKeyIsTrue", kMissingKey,
        R"({"StringNotEquals": {"claim:team": "ops"}})", R"({})", A),
      R("StringNotEqualsValuesAreNored", kMultiValues,
        R"({"StringNotEquals": {"claim:team": ["dev", "ops"]}})",
        R"({"claim:team": "ops"})", D),
      R("StringNotEqualsWithNoValueMatchingIsTrue", kMultiValues,
        R"({"StringNotEquals": {"claim:team": ["dev", "ops"]}})",
        R"({"claim:team": "qa"})", A),
      R("StringNotEqualsOnMultivaluedKeyNeedsNoValueToMatch", kMultiValues,
        R"({"StringNotEquals": {"claim:groups": "ops"}})",
        R"({"claim:groups": ["qa", "ops"]})", D),
      R("StringEqualsIgnoreCaseIgnoresCase", kString,
        R"({"StringEqualsIgnoreCase": {"claim:team": "ops"}})",
        R"({"claim:team": "OPS"})", A),
      R("StringEqualsIgnoreCaseWithAbsentKeyIsFalse", kMissingKey,
        R"({"StringEqualsIgnoreCase": {"claim:team": "ops"}})", R"({})", D,
        {"claim:team"}),
      R("StringNotEqualsIgnoreCaseRejectsOtherCase", kString,
        R"({"StringNotEqualsIgnoreCase": {"claim:team": "ops"}})",
        R"({"claim:team": "Ops"})", D),
      R("StringNotEqualsIgnoreCaseWithAbsentKeyIsTrue", kMissingKey,
        R"({"StringNotEqualsIgnoreCase": {"claim:team": "ops"}})", R"({})", A),
      R("StringNotEqualsIgnoreCaseValuesAreNored", kMultiValues,
        R"({"StringNotEqualsIgnoreCase": {"claim:team": ["dev", "ops"]}})",
        R"({"claim:team": "OPS"})", D),
      R("StringNotEqualsIgnoreCaseWithNoValueMatchingIsTrue", kMultiValues,
        R"({"StringNotEqualsIgnoreCase": {"claim:team": ["dev", "ops"]}})",
        R"({"claim:team": "QA"})", A),
      R("StringLikeMatchesStar", kString,
        R"({"StringLike": {"claim:sub": "web-*"}})",
        R"({"claim:sub": "web-1"})", A),
      R("StringLikeMatchesQuestionMark", kString,
        R"({"StringLike": {"claim:sub": "web-?"}})",
        R"({"claim:sub": "web-12"})", D),
      R("StringLikeRejectsNonMatch", kString,
        R"({"StringLike": {"claim:sub": "web-*"}})", R"({"claim:sub": "db-1"})",
        D),
      R("StringLikeWithAbsentKeyIsFalse", kMissingKey,
        R"({"StringLike": {"claim:sub": "web-*"}})", R"({})", D, {"claim:sub"}),
      R("StringNotLikeAcceptsNonMatch", kString,
        R"({"StringNotLike": {"claim:sub": "web-*"}})",
        R"({"claim:sub": "db-1"})", A),
      R("StringNotLikeRejectsMatch", kString,
        R"({"StringNotLike": {"claim:sub": "web-*"}})",
        R"({"claim:sub": "web-1"})", D),
      R("StringNotLikeWithAbsentKeyIsTrue", kMissingKey,
        R"({"StringNotLike": {"claim:sub": "web-*"}})", R"({})", A),
      R("StringNotLikeValuesAreNored", kMultiValues,
        R"({"StringNotLike": {"claim:sub": ["db-*", "web-*"]}})",
        R"({"claim:sub": "web-1"})", D),

      // --- Numeric operators ------------------------------------------------
      R("NumericEqualsComparesValuesNotText", kNumeric,
        R"({"NumericEquals": {"secretd:TokenAge": "10.0"}})",
        R"({"secretd:TokenAge": 10})", A),
      R("NumericEqualsRejectsAnotherNumber", kNumeric,
        R"({"NumericEquals": {"secretd:TokenAge": 10}})",
        R"({"secretd:TokenAge": 11})", D),
      R("NumericEqualsWithAbsentKeyIsFalse", kMissingKey,
        R"({"NumericEquals": {"secretd:TokenAge": 10}})", R"({})", D,
        {"secretd:TokenAge"}),
      R("NumericNotEqualsAcceptsAnotherNumber", kNumeric,
        R"({"NumericNotEquals": {"secretd:TokenAge": 10}})",
        R"({"secretd:TokenAge": 11})", A),
      R("NumericNotEqualsRejectsTheSameNumber", kNumeric,
        R"({"NumericNotEquals": {"secretd:TokenAge": [10, 20]}})",
        R"({"secretd:TokenAge": 20})", D),
      R("NumericNotEqualsWithAbsentKeyIsTrue", kMissingKey,
        R"({"NumericNotEquals": {"secretd:TokenAge": 10}})", R"({})", A),
      R("NumericLessThanAcceptsSmaller", kNumeric,
        R"({"NumericLessThan": {"secretd:TokenAge": 60}})",
        R"({"secretd:TokenAge": 30})", A),
      R("NumericLessThanRejectsEqual", kNumeric,
        R"({"NumericLessThan": {"secretd:TokenAge": 60}})",
        R"({"secretd:TokenAge": 60})", D),
      R("NumericLessThanWithAbsentKeyIsFalse", kMissingKey,
        R"({"NumericLessThan": {"secretd:TokenAge": 60}})", R"({})", D,
        {"secretd:TokenAge"}),
      R("NumericLessThanEqualsAcceptsEqual", kNumeric,
        R"({"NumericLessThanEquals": {"secretd:TokenAge": 60}})",
        R"({"secretd:TokenAge": 60})", A),
      R("NumericGreaterThanAcceptsLarger", kNumeric,
        R"({"NumericGreaterThan": {"claim:level": 2.5}})",
        R"({"claim:level": 3})", A),
      R("NumericGreaterThanRejectsEqual", kNumeric,
        R"({"NumericGreaterThan": {"claim:level": 3}})",
        R"({"claim:level": "3.0"})", D),
      R("NumericGreaterThanEqualsAcceptsEqual", kNumeric,
        R"({"NumericGreaterThanEquals": {"claim:level": "3"}})",
        R"({"claim:level": 3})", A),
      R("NumericOperatorIgnoresNonNumericValue", kNumeric,
        R"({"NumericLessThan": {"claim:level": 10}})",
        R"({"claim:level": "high"})", D),
      R("NumericOnMultivaluedKeyNeedsOneMatch", kSetOperators,
        R"({"NumericLessThan": {"claim:sizes": 10}})",
        R"({"claim:sizes": [50, 5]})", A),

      // --- Date operators ---------------------------------------------------
      R("DateLessThanAcceptsEarlierInstant", kDate,
        R"({"DateLessThan": {"secretd:CurrentTime": "2024-06-02T00:00:00Z"}})",
        R"({"secretd:CurrentTime": "2024-06-01T10:00:00Z"})", A),
      R("DateLessThanRejectsLaterInstant", kDate,
        R"({"DateLessThan": {"secretd:CurrentTime": "2024-06-01"}})",
        R"({"secretd:CurrentTime": "2024-06-01T10:00:00Z"})", D),
      R("DateLessThanWithAbsentKeyIsFalse", kMissingKey,
        R"({"DateLessThan": {"secretd:CurrentTime": "2024-06-02"}})", R"({})",
        D, {"secretd:CurrentTime"}),
      R("DateGreaterThanAcceptsEpochSecondsInPolicy", kDate,
        R"({"DateGreaterThan": {"secretd:CurrentTime": 1717200000}})",
        R"({"secretd:CurrentTime": "2024-06-01T00:00:01Z"})", A),
      R("DateGreaterThanRejectsEqualInstant", kDate,
        R"({"DateGreaterThan": {"secretd:CurrentTime": "1717200000"}})",
        R"({"secretd:CurrentTime": "2024-06-01T00:00:00Z"})", D),
      R("DateEqualsComparesInstantsAcrossZones", kDate,
        R"({"DateEquals": {"secretd:CurrentTime": "2024-06-01T12:00:00+02:00"}})",
        R"({"secretd:CurrentTime": "2024-06-01T10:00:00Z"})", A),
      R("DateNotEqualsAcceptsAnotherInstant", kDate,
        R"({"DateNotEquals": {"secretd:CurrentTime": "2024-06-01"}})",
        R"({"secretd:CurrentTime": "2024-06-02"})", A),
      R("DateNotEqualsWithAbsentKeyIsTrue", kMissingKey,
        R"({"DateNotEquals": {"secretd:CurrentTime": "2024-06-01"}})", R"({})",
        A),
      R("DateLessThanEqualsAcceptsEqualInstant", kDate,
        R"({"DateLessThanEquals": {"secretd:CurrentTime": "2024-06-01T10:00:00.000Z"}})",
        R"({"secretd:CurrentTime": "2024-06-01T10:00:00Z"})", A),
      R("DateGreaterThanEqualsAcceptsEpochContext", kDate,
        R"({"DateGreaterThanEquals": {"secretd:EpochTime": "2024-06-01T00:00:00Z"}})",
        R"({"secretd:EpochTime": 1717200000})", A),
      R("DateOperatorIgnoresNonDateValue", kDate,
        R"({"DateLessThan": {"claim:launched_at": "2030-01-01"}})",
        R"({"claim:launched_at": "soon"})", D),

      // --- Bool -------------------------------------------------------------
      R("BoolMatchesTrue", kBool, R"({"Bool": {"claim:spot": "true"}})",
        R"({"claim:spot": true})", A),
      R("BoolRejectsFalse", kBool, R"({"Bool": {"claim:spot": true}})",
        R"({"claim:spot": false})", D),
      R("BoolAcceptsStringBooleansInAnyCase", kBool,
        R"({"Bool": {"claim:spot": "TRUE"}})", R"({"claim:spot": "true"})", A),
      R("BoolWithAbsentKeyIsFalse", kMissingKey,
        R"({"Bool": {"claim:spot": "true"}})", R"({})", D, {"claim:spot"}),
      R("BoolIgnoresNonBooleanValue", kBool,
        R"({"Bool": {"claim:spot": "true"}})", R"({"claim:spot": "yes"})", D),

      // --- IP address -------------------------------------------------------
      R("IpAddressAcceptsAddressInCidr", kIp,
        R"({"IpAddress": {"secretd:SourceIp": "203.0.113.0/24"}})",
        R"({"secretd:SourceIp": "203.0.113.7"})", A),
      R("IpAddressRejectsAddressOutsideCidr", kIp,
        R"({"IpAddress": {"secretd:SourceIp": "203.0.113.0/24"}})",
        R"({"secretd:SourceIp": "198.51.100.7"})", D),
      R("IpAddressWithoutPrefixIsOneAddress", kIp,
        R"({"IpAddress": {"secretd:SourceIp": "203.0.113.7"}})",
        R"({"secretd:SourceIp": "203.0.113.8"})", D),
      R("IpAddressMatchesIpv6Cidr", kIp,
        R"({"IpAddress": {"secretd:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}})",
        R"({"secretd:SourceIp": "2001:db8::1"})", A),
      R("IpAddressWithAbsentKeyIsFalse", kMissingKey,
        R"({"IpAddress": {"secretd:SourceIp": "10.0.0.0/8"}})", R"({})", D,
        {"secretd:SourceIp"}),
      R("IpAddressIgnoresNonAddressValue", kIp,
        R"({"IpAddress": {"secretd:SourceIp": "10.0.0.0/8"}})",
        R"({"secretd:SourceIp": "localhost"})", D),
      R("NotIpAddressAcceptsAddressOutside", kIp,
        R"({"NotIpAddress": {"secretd:SourceIp": "10.0.0.0/8"}})",
        R"({"secretd:SourceIp": "192.0.2.1"})", A),
      R("NotIpAddressValuesAreNored", kMultiValues,
        R"({"NotIpAddress": {"secretd:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}})",
        R"({"secretd:SourceIp": "192.0.2.1"})", D),
      R("NotIpAddressWithAbsentKeyIsTrue", kMissingKey,
        R"({"NotIpAddress": {"secretd:SourceIp": "10.0.0.0/8"}})", R"({})", A),

      // --- ...IfExists
      // --------------------------------------------------------
      R("IfExistsWithAbsentKeyIsTrue", kIfExists,
        R"({"StringEqualsIfExists": {"claim:team": "ops"}})", R"({})", A),
      R("IfExistsWithPresentKeyChecksIt", kIfExists,
        R"({"StringEqualsIfExists": {"claim:team": "ops"}})",
        R"({"claim:team": "dev"})", D),
      R("IfExistsWithMatchingKeyIsTrue", kIfExists,
        R"({"NumericLessThanIfExists": {"secretd:TokenAge": 60}})",
        R"({"secretd:TokenAge": 5})", A),
      R("NegatedIfExistsWithPresentKeyChecksIt", kIfExists,
        R"({"NotIpAddressIfExists": {"secretd:SourceIp": "10.0.0.0/8"}})",
        R"({"secretd:SourceIp": "10.1.1.1"})", D),
      R("DateIfExistsWithAbsentKeyIsTrue", kIfExists,
        R"({"DateLessThanIfExists": {"claim:expires": "2020-01-01"}})", R"({})",
        A),

      // --- Null -------------------------------------------------------------
      R("NullTrueWithAbsentKeyIsTrue", kNull,
        R"({"Null": {"claim:team": "true"}})", R"({})", A),
      R("NullTrueWithPresentKeyIsFalse", kNull,
        R"({"Null": {"claim:team": "true"}})", R"({"claim:team": "ops"})", D),
      R("NullFalseWithPresentKeyIsTrue", kNull,
        R"({"Null": {"claim:team": false}})", R"({"claim:team": "ops"})", A),
      R("NullFalseWithAbsentKeyIsFalse", kNull,
        R"({"Null": {"claim:team": "false"}})", R"({})", D, {"claim:team"}),
      R("NullTrueWithEmptyArrayIsTrue", kSetOperators,
        R"({"Null": {"claim:groups": "true"}})", R"({"claim:groups": []})", A),

      // --- ForAnyValue / ForAllValues ---------------------------------------
      R("ForAnyValueNeedsOneRequestValueToMatch", kSetOperators,
        R"({"ForAnyValue:StringEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "b"]})", A),
      R("ForAnyValueRejectsWhenNoneMatches", kSetOperators,
        R"({"ForAnyValue:StringEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "y"]})", D),
      R("ForAnyValueWithMissingKeyIsFalse", kSetOperators,
        R"({"ForAnyValue:StringEquals": {"claim:aud": "a"}})", R"({})", D,
        {"claim:aud"}),
      R("ForAnyValueWithEmptyKeyIsFalse", kSetOperators,
        R"({"ForAnyValue:StringEquals": {"claim:aud": "a"}})",
        R"({"claim:aud": []})", D, {"claim:aud"}),
      R("ForAllValuesNeedsEveryRequestValueToMatch", kSetOperators,
        R"({"ForAllValues:StringEquals": {"claim:aud": ["a", "b", "c"]}})",
        R"({"claim:aud": ["a", "b"]})", A),
      R("ForAllValuesRejectsOneUnmatchedValue", kSetOperators,
        R"({"ForAllValues:StringEquals": {"claim:aud": ["a", "b", "c"]}})",
        R"({"claim:aud": ["a", "x"]})", D),
      R("ForAllValuesWithMissingKeyIsTrue", kSetOperators,
        R"({"ForAllValues:StringEquals": {"claim:aud": "a"}})", R"({})", A),
      R("ForAllValuesWithEmptyKeyIsTrue", kSetOperators,
        R"({"ForAllValues:StringEquals": {"claim:aud": "a"}})",
        R"({"claim:aud": []})", A),
      R("ForAllValuesWithWildcards", kSetOperators,
        R"({"ForAllValues:StringLike": {"claim:aud": "svc-*"}})",
        R"({"claim:aud": ["svc-a", "svc-b"]})", A),
      R("ForAllValuesOnSingleValueActsAsMembership", kSetOperators,
        R"({"ForAllValues:StringEquals": {"claim:team": ["ops", "dev"]}})",
        R"({"claim:team": "qa"})", D),
      R("ForAnyValueNegatedNeedsOneValueMatchingNone", kSetOperators,
        R"({"ForAnyValue:StringNotEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["a", "x"]})", A),
      R("ForAnyValueNegatedRejectsWhenAllValuesMatch", kSetOperators,
        R"({"ForAnyValue:StringNotEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["b", "a"]})", D),
      R("ForAllValuesNegatedNeedsEveryValueMatchingNone", kSetOperators,
        R"({"ForAllValues:StringNotEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "y"]})", A),
      R("ForAllValuesNegatedRejectsOneMatchingValue", kSetOperators,
        R"({"ForAllValues:StringNotEquals": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "a"]})", D),
      R("ForAllValuesNegatedWithMissingKeyIsTrue", kSetOperators,
        R"({"ForAllValues:StringNotLike": {"claim:aud": "a*"}})", R"({})", A),
      R("ForAnyValueWithIfExistsAndMissingKeyIsTrue", kIfExists,
        R"({"ForAnyValue:StringEqualsIfExists": {"claim:aud": "a"}})", R"({})",
        A),
      R("ForAllValuesNumeric", kSetOperators,
        R"({"ForAllValues:NumericLessThan": {"claim:sizes": 5}})",
        R"({"claim:sizes": [1, 2]})", A),
      R("ForAnyValueStringNotEqualsIgnoreCaseNeedsOneValueMatchingNone",
        kSetOperators,
        R"({"ForAnyValue:StringNotEqualsIgnoreCase": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["A", "x"]})", A),
      R("ForAnyValueStringNotEqualsIgnoreCaseRejectsWhenAllValuesMatch",
        kSetOperators,
        R"({"ForAnyValue:StringNotEqualsIgnoreCase": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["B", "a"]})", D),
      R("ForAnyValueStringNotEqualsIgnoreCaseWithMissingKeyIsFalse",
        kSetOperators,
        R"({"ForAnyValue:StringNotEqualsIgnoreCase": {"claim:aud": "a"}})",
        R"({})", D, {"claim:aud"}),
      R("ForAnyValueStringNotEqualsIgnoreCaseWithEmptyKeyIsFalse",
        kSetOperators,
        R"({"ForAnyValue:StringNotEqualsIgnoreCase": {"claim:aud": "a"}})",
        R"({"claim:aud": []})", D, {"claim:aud"}),
      R("ForAllValuesStringNotEqualsIgnoreCaseNeedsEveryValueMatchingNone",
        kSetOperators,
        R"({"ForAllValues:StringNotEqualsIgnoreCase": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "y"]})", A),
      R("ForAllValuesStringNotEqualsIgnoreCaseRejectsOneMatchingValue",
        kSetOperators,
        R"({"ForAllValues:StringNotEqualsIgnoreCase": {"claim:aud": ["a", "b"]}})",
        R"({"claim:aud": ["x", "A"]})", D),
      R("ForAllValuesStringNotEqualsIgnoreCaseWithMissingKeyIsTrue",
        kSetOperators,
        R"({"ForAllValues:StringNotEqualsIgnoreCase": {"claim:aud": "a"}})",
        R"({})", A),
      R("ForAllValuesStringNotEqualsIgnoreCaseWithEmptyKeyIsTrue",
        kSetOperators,
        R"({"ForAllValues:StringNotEqualsIgnoreCase": {"claim:aud": "a"}})",
        R"({"claim:aud": []})", A),

      // --- Multivalued keys without a set operator ---------------------------
      R("StringLikeOnMultivaluedKeyNeedsOneMatch", kNoQualifier,
        R"({"StringLike": {"claim:aud": "svc-*"}})",
        R"({"claim:aud": ["x", "svc-1"]})", A),
      R("StringNotLikeOnMultivaluedKeyNeedsNoMatch", kNoQualifier,
        R"({"StringNotLike": {"claim:aud": "svc-*"}})",
        R"({"claim:aud": ["x", "svc-1"]})", D),
      R("StringEqualsIgnoreCaseOnMultivaluedKey", kNoQualifier,
        R"({"StringEqualsIgnoreCase": {"claim:aud": "SVC"}})",
        R"({"claim:aud": ["x", "svc"]})", A),
      R("StringNotEqualsIgnoreCaseOnMultivaluedKeyNeedsNoMatch", kNoQualifier,
        R"({"StringNotEqualsIgnoreCase": {"claim:aud": "SVC"}})",
        R"({"claim:aud": ["x", "svc"]})", D),
      R("StringNotEqualsIgnoreCaseOnMultivaluedKeyWithNoMatchIsTrue",
        kNoQualifier, R"({"StringNotEqualsIgnoreCase": {"claim:aud": "SVC"}})",
        R"({"claim:aud": ["x", "y"]})", A),
      R("NumericNotEqualsOnMultivaluedKeyNeedsNoMatch", kNoQualifier,
        R"({"NumericNotEquals": {"claim:sizes": 5}})",
        R"({"claim:sizes": [1, 5]})", D),
      R("DateOnMultivaluedKeyNeedsOneMatch", kNoQualifier,
        R"({"DateLessThan": {"claim:dates": "2024-01-01"}})",
        R"({"claim:dates": ["2025-01-01", "2023-01-01"]})", A),
      R("DateNotEqualsOnMultivaluedKeyNeedsNoMatch", kNoQualifier,
        R"({"DateNotEquals": {"claim:dates": "2024-01-01"}})",
        R"({"claim:dates": ["2024-01-01T00:00:00Z", "2023-01-01"]})", D),
      R("BoolOnMultivaluedKeyNeedsOneMatch", kNoQualifier,
        R"({"Bool": {"claim:flags": true}})",
        R"({"claim:flags": [false, true]})", A),
      R("IpAddressOnMultivaluedKeyNeedsOneMatch", kNoQualifier,
        R"({"IpAddress": {"claim:ips": "10.0.0.0/8"}})",
        R"({"claim:ips": ["192.0.2.1", "10.1.1.1"]})", A),
      R("NotIpAddressOnMultivaluedKeyNeedsNoMatch", kNoQualifier,
        R"({"NotIpAddress": {"claim:ips": "10.0.0.0/8"}})",
        R"({"claim:ips": ["192.0.2.1", "10.1.1.1"]})", D),
      R("NullFalseWithMultivaluedKeyIsTrue", kNull,
        R"({"Null": {"claim:aud": false}})", R"({"claim:aud": ["a", "b"]})", A),

      // --- Several operators, keys and values --------------------------------
      R("OperatorsAreAnded", kMultiValues,
        R"({"StringEquals": {"claim:team": "ops"}, "NumericLessThan": {"secretd:TokenAge": 60}})",
        R"({"claim:team": "ops", "secretd:TokenAge": 61})", D),
      R("OperatorsAllTrueAllow", kMultiValues,
        R"({"StringEquals": {"claim:team": "ops"}, "NumericLessThan": {"secretd:TokenAge": 60}})",
        R"({"claim:team": "ops", "secretd:TokenAge": 59})", A),
      R("KeysUnderOneOperatorAreAnded", kMultiValues,
        R"({"StringEquals": {"claim:team": "ops", "claim:env": "prod"}})",
        R"({"claim:team": "ops", "claim:env": "dev"})", D),
      R("MissingKeysAreReportedOnlyWhenAbsenceAloneFails", kMissingKey,
        R"({"StringEquals": {"claim:team": "ops", "claim:env": "prod"}})",
        R"({"claim:env": "dev"})", D),
      R("EveryAbsentKeyIsReported", kMissingKey,
        R"({"StringEquals": {"claim:team": "ops", "claim:env": "prod"}})",
        R"({})", D, {"claim:env", "claim:team"}),
      R("ConditionKeysAreCaseInsensitive", kConditionKeys,
        R"({"StringEquals": {"Claim:Team": "ops"}})",
        R"({"claim:TEAM": "ops"})", A),

      // --- Policy variables -------------------------------------------------
      R("VariableInResourceIsSubstituted", kVariables,
        Allow("secret/${claim:sub}/*", ""), R"({"claim:sub": "app"})", A),
      R("VariableInResourceMustMatch", kVariables,
        Allow("secret/${claim:sub}/*", ""), R"({"claim:sub": "web"})", D),
      R("VariableWithoutValueMatchesNothing", kVariableNoValue,
        Allow("secret/${claim:sub}/*", ""), R"({})", D, {"claim:sub"}),
      R("VariableDefaultIsUsedWhenKeyIsAbsent", kVariableDefaults,
        Allow("secret/${claim:team, 'app'}/*", ""), R"({})", A),
      R("VariableDefaultIsNotUsedWhenKeyIsPresent", kVariableDefaults,
        Allow("secret/${claim:team, 'app'}/*", ""), R"({"claim:team": "web"})",
        D),
      R("MultivaluedKeyIsNoVariable", kVariables,
        Allow("secret/${claim:sub}/*", ""), R"({"claim:sub": ["app", "web"]})",
        D, {"claim:sub"}),
      R("MultivaluedKeyTakesTheDefault", kVariableDefaults,
        Allow("secret/${claim:sub, 'app'}/*", ""),
        R"({"claim:sub": ["x", "y"]})", A),
      R("VariableValueIsLiteralNotWildcard", kVariables,
        Allow("secret/${claim:sub}", ""), R"({"claim:sub": "*"})", D),
      R("VariableKeyIsCaseInsensitive", kVariables,
        Allow("secret/${CLAIM:SUB}/*", ""), R"({"claim:sub": "app"})", A),
      R("VariableInConditionValue", kVariables,
        R"({"StringEquals": {"claim:team": "${claim:owner}"}})",
        R"({"claim:team": "ops", "claim:owner": "ops"})", A),
      R("VariableInStringLikeValue", kVariables,
        R"({"StringLike": {"claim:host": "${secretd:Role}-*"}})",
        R"({"claim:host": "web-3", "secretd:Role": "web"})", A),
      R("VariableWithoutValueInConditionFailsTheStatement", kVariableNoValue,
        R"({"StringNotEquals": {"claim:team": "${claim:owner}"}})",
        R"({"claim:team": "ops"})", D, {"claim:owner"}),
      R("VariableInConditionWithDefault", kVariableDefaults,
        R"({"StringEquals": {"claim:team": "${claim:owner, 'ops'}"}})",
        R"({"claim:team": "ops"})", A),
      R("VariableInBool", kVariables,
        R"({"Bool": {"claim:spot": "${claim:allow_spot}"}})",
        R"({"claim:spot": true, "claim:allow_spot": "true"})", A),
      R("EscapedStarIsLiteral", kVariableSpecialChars,
        R"({"StringLike": {"claim:tag": "a${*}"}})", R"({"claim:tag": "ab"})",
        D),
      R("EscapedStarMatchesStar", kVariableSpecialChars,
        R"({"StringLike": {"claim:tag": "a${*}${?}${$}"}})",
        R"({"claim:tag": "a*?$"})", A),
      R("Version2008TreatsVariablesAsText", kVersion,
        R"({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub}"}})",
        R"({"claim:sub": "app/db"})", D),
      R("Version2008MatchesTheLiteralText", kVersion,
        R"({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/${claim:sub}"}})",
        R"({})", A)
          .On("secrets:Get", "secret/${claim:sub}"),
      R("Version2008ConditionValueIsText", kVersion,
        R"({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "Resource": "*", "Condition": {"StringEquals": {"claim:team": "${claim:owner}"}}}})",
        R"({"claim:team": "${claim:owner}", "claim:owner": "ops"})", A),

      // --- Decision logic ----------------------------------------------------
      R("ExplicitDenyOverridesAllow", kEvaluation,
        R"({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*"},
            {"Sid": "NoDb", "Effect": "Deny", "Action": "secrets:Get", "Resource": "secret/*/db"}]})",
        R"({})", X),
      R("NothingAllowsMeansImplicitDeny", kEvaluation,
        Allow("secret/other/*", ""), R"({})", D),
      R("DenyWhoseConditionFailsDoesNotApply", kEvaluation,
        R"({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*"},
            {"Effect": "Deny", "Action": "secrets:Get", "Resource": "*", "Condition": {"StringEquals": {"claim:env": "prod"}}}]})",
        R"({})", A),
      R("DenyWithNegatedConditionAppliesWhenKeyIsAbsent", kMissingKey,
        R"({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secrets:Get", "Resource": "secret/*"},
            {"Effect": "Deny", "Action": "secrets:Get", "Resource": "*", "Condition": {"StringNotEquals": {"claim:env": "prod"}}}]})",
        R"({})", X),

      // --- Action, Resource, NotAction, NotResource
      // ---------------------------
      R("ActionsMatchCaseInsensitively", kAction, Allow("secret/*", ""),
        R"({})", A)
          .On("SECRETS:get", "secret/app/db"),
      R("ActionWildcards", kAction,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secret?:*", "Resource": "*"}})",
        R"({})", A),
      R("ResourcesMatchCaseSensitively", kResource, Allow("secret/App/*", ""),
        R"({})", D),
      R("ResourceStarCrossesSlashes", kResource, Allow("secret/*", ""), R"({})",
        A)
          .On("secrets:Get", "secret/a/b/c/d"),
      R("ResourceQuestionMarkIsOneCharacter", kResource,
        Allow("secret/app/?", ""), R"({})", D),
      R("NotActionAllowsEverythingElse", kNotAction,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "secretd:AssumeRole", "Resource": "*"}})",
        R"({})", A),
      R("NotActionExcludesTheListedAction", kNotAction,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "NotAction": "secrets:Get", "Resource": "*"}})",
        R"({})", D),
      R("NotResourceAllowsOtherResources", kNotResource,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "NotResource": "secret/prod/*"}})",
        R"({})", A),
      R("NotResourceExcludesTheListedResources", kNotResource,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "secrets:Get", "NotResource": ["secret/prod/*", "secret/app/*"]}})",
        R"({})", D),
      R("DenyWithNotResourceDeniesOtherResources", kNotResource,
        R"({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secrets:Get", "Resource": "*"},
            {"Effect": "Deny", "Action": "secrets:Get", "NotResource": "secret/public/*"}]})",
        R"({})", X),

      // --- Principal (trust policies)
      // -----------------------------------------
      R("PrincipalMatchesListedIssuer", kPrincipal,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": ["https://a.example", "https://b.example"]}, "Action": "secretd:AssumeRole"}})",
        R"({})", A)
          .On("secretd:AssumeRole", "role/web")
          .From("https://b.example"),
      R("PrincipalRejectsOtherIssuer", kPrincipal,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": "https://a.example"}, "Action": "secretd:AssumeRole"}})",
        R"({})", D)
          .On("secretd:AssumeRole", "role/web")
          .From("https://evil.example"),
      R("PrincipalStarMatchesAnyIssuer", kPrincipal,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole"}})",
        R"({})", A)
          .On("secretd:AssumeRole", "role/web")
          .From("https://any.example"),
      R("PrincipalNeverMatchesWithoutIssuer", kPrincipal,
        R"({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole"}})",
        R"({})", D)
          .On("secretd:AssumeRole", "role/web"),
  };
  return rows;
}

class DecisionTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(DecisionTableTest, DecisionFollowsAws) {
  const Row& row = GetParam();
  SCOPED_TRACE(absl::StrCat(row.name, " [", row.cite, "]"));
  const std::string text = absl::StartsWith(row.policy, "{\"Version\"")
                               ? row.policy
                               : Allow("secret/*", row.policy);
  ASSERT_OK_AND_ASSIGN(Policy p, ParsePolicy("table.json", text));
  std::vector<Policy> policies;
  policies.push_back(std::move(p));
  ASSERT_OK_AND_ASSIGN(auto set, PolicySet::Compile(std::move(policies)));
  ASSERT_OK_AND_ASSIGN(Context ctx, Context::FromJson(nlohmann::json::parse(
                                        row.context, nullptr, false)));
  Decision d = set->Evaluate({row.action, row.resource, row.issuer, &ctx});
  EXPECT_EQ(DecisionEffectName(d.effect), row.expect);
  std::vector<std::string> missing(d.missing_context_keys.begin(),
                                   d.missing_context_keys.end());
  EXPECT_THAT(missing, ElementsAreArray(row.missing));
  // The deciding statement exists exactly for allow and explicit deny.
  EXPECT_EQ(d.statement.has_value(), row.expect != D);
}

INSTANTIATE_TEST_SUITE_P(Aws, DecisionTableTest, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return info.param.name;
                         });

TEST(DecisionTableTest, RowNamesAreUniqueAndEveryRowCitesItsSource) {
  std::set<std::string> names;
  for (const Row& row : Rows()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_TRUE(absl::StartsWith(row.cite, "https://docs.aws.amazon.com/"))
        << row.name;
  }
  EXPECT_GE(names.size(), 100u);
}

}  // namespace
}  // namespace policy
