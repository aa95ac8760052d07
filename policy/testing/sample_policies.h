// Realistic policies and request contexts for tests and benchmarks.
//
// RealisticPermissionPolicy(n) is a permission policy of n statements in the
// shape of a production role: mostly Allow statements on wildcard resources,
// every seventh a Deny on secret/* whose conditions do not hold for the
// realistic request, three conditions per statement (team tag, image id, token
// age or source address), and one statement (the middle one) whose Resource
// uses the variable ${claim:sub}. The request context RealisticContext() is
// what the broker builds from a verified token. Testonly.
#ifndef SECRETD_POLICY_TESTING_SAMPLE_POLICIES_H_
#define SECRETD_POLICY_TESTING_SAMPLE_POLICIES_H_

#include <string>
#include <vector>

#include "policy/context.h"

namespace policy::testing {

std::string RealisticPermissionPolicy(int statements);
// The same statements split into documents of at most 25 statements each,
// so that each stays under the 10 KiB limit (200 statements: 8 documents).
std::vector<std::string> RealisticPermissionPolicies(int statements);
// Trusts two issuers, for instances launched from an approved image.
std::string RealisticTrustPolicy();
// Claims of a verified token (sub "web-1", tags team "team<n-2>", ...) and
// the broker's keys (time 2024-06-01T10:15:00Z, source 10.1.2.3, role "web").
Context RealisticContext(int statements);
// A secret allowed by the last Allow statement that RealisticContext()
// satisfies: found after scanning most of the policy.
std::string AllowedSecret(int statements);
// A secret that only a Deny could match: an implicit deny that scans all.
std::string UnlistedSecret();

}  // namespace policy::testing

#endif  // SECRETD_POLICY_TESTING_SAMPLE_POLICIES_H_
