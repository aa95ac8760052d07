#include "policy/testing/sample_policies.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace policy::testing {
namespace {

using Json = nlohmann::json;

bool IsDeny(int i) { return i % 7 == 6; }

// The Allow statement the realistic request matches: the last Allow.
int TargetStatement(int statements) {
  int target = statements - 1;
  while (target > 0 && IsDeny(target)) --target;
  return target;
}

Json Statements(int statements, int from, int to) {
  Json list = Json::array();
  for (int i = from; i < to; ++i) {
    Json s;
    s["Sid"] = absl::StrCat("S", i);
    if (IsDeny(i)) {
      s["Effect"] = "Deny";
      s["Action"] = "secrets:*";
      s["Resource"] = "secret/*";
      s["Condition"] = {
          {"StringEquals", {{"claim:tags/env", "quarantine"}}},
          {"NotIpAddress",
           {{"secretd:SourceIp", {"10.0.0.0/8", "192.168.0.0/16"}}}},
          {"DateGreaterThan",
           {{"secretd:CurrentTime", "2030-01-01T00:00:00Z"}}},
      };
    } else {
      s["Effect"] = "Allow";
      s["Action"] = i % 3 == 0 ? Json("secrets:*") : Json({"secrets:Get"});
      if (i == statements / 2) {
        s["Resource"] = "secret/${claim:sub}/*";
      } else {
        s["Resource"] = {absl::StrCat("secret/app", i, "/*"),
                         absl::StrCat("secret/shared/app", i, "-??")};
      }
      s["Condition"] = {
          {"StringEquals",
           {{"claim:tags/team", {absl::StrCat("team", i), "platform"}}}},
          {"StringLike", {{"claim:image_id", "ami-0*"}}},
          {i % 2 == 0 ? "NumericLessThan" : "NumericLessThanEquals",
           {{"secretd:TokenAge", 300}}},
      };
    }
    list.push_back(std::move(s));
  }
  return list;
}

}  // namespace

std::string RealisticPermissionPolicy(int statements) {
  Json doc = {{"Version", "2012-10-17"},
              {"Statement", Statements(statements, 0, statements)}};
  return doc.dump();
}

std::vector<std::string> RealisticPermissionPolicies(int statements) {
  std::vector<std::string> docs;
  for (int from = 0; from < statements; from += 25) {
    const int to = std::min(statements, from + 25);
    Json doc = {{"Version", "2012-10-17"},
                {"Statement", Statements(statements, from, to)}};
    docs.push_back(doc.dump());
  }
  return docs;
}

std::string RealisticTrustPolicy() {
  Json doc = Json::parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "Instances", "Effect": "Allow",
       "Principal": {"Attestor": ["https://attest.example", "https://backup.example"]},
       "Action": "secretd:AssumeRole",
       "Condition": {"StringLike": {"claim:image_id": "ami-0*"},
                     "NumericLessThan": {"secretd:TokenAge": 300}}},
      {"Sid": "NoQuarantine", "Effect": "Deny",
       "Principal": {"Attestor": "*"}, "Action": "secretd:AssumeRole",
       "Condition": {"StringEquals": {"claim:tags/env": "quarantine"}}}
    ]})");
  return doc.dump();
}

Context RealisticContext(int statements) {
  Json claims = {
      {"iss", "https://attest.example"},
      {"sub", "web-1"},
      {"aud", {"secretd", "other"}},
      {"iat", 1717236888},
      {"exp", 1717237488},
      {"jti", "6f1c2a"},
      {"nonce", "AAAAAGZa8wA"},
      {"account", "123456789012"},
      {"region", "eu-west-1"},
      {"image_id", "ami-0abc123"},
      {"instance_type", "m7g.large"},
      {"tags",
       {{"team", absl::StrCat("team", TargetStatement(statements))},
        {"env", "prod"}}},
      {"cnf", {{"jwk", {{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AAAA"}}}}},
  };
  Context ctx;
  // Fixed, valid claims: an error here is a bug in this file.
  if (!AddClaims(claims, &ctx).ok()) std::abort();
  AddRequestTime(absl::FromUnixSeconds(1717236900), &ctx);
  ctx.AddString(kSourceIpKey, "10.1.2.3");
  ctx.AddInt(kTokenAgeKey, 12);
  ctx.AddString(kRoleKey, "web");
  ctx.AddString(kIssuerKey, "https://attest.example");
  return ctx;
}

std::string AllowedSecret(int statements) {
  const int target = TargetStatement(statements);
  if (target == statements / 2) return "web-1/db/password";
  return absl::StrCat("app", target, "/db/password");
}

std::string UnlistedSecret() { return "unlisted/thing"; }

}  // namespace policy::testing
