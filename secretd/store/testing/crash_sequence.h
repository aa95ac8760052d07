// The write sequence of the SQLite crash tests, shared by the writer child
// (sqlite_store_test_helper) and the checker (sqlite_store_test).
//
// Step 2i-1 adds version i of kCrashSecret with CrashFields(i); step 2i
// puts CrashRole(i). After s committed steps the change counter is s, the
// secret has versions 1..ceil(s/2) and the role carries marker floor(s/2).
// The role's documents are large (about 27 KB in all), so that one step
// spans several database pages and a torn step would show. Testonly.
#ifndef SECRETD_SECRETD_STORE_TESTING_CRASH_SEQUENCE_H_
#define SECRETD_SECRETD_STORE_TESTING_CRASH_SEQUENCE_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "secretd/store/store.h"

namespace secretd::testing {

inline constexpr char kCrashSecret[] = "crash/secret";
inline constexpr char kCrashRole[] = "crash-role";

inline EncryptedSecretFields CrashFields(int64_t version) {
  return {"kek-crash", absl::StrCat("wrapped-", version),
          absl::StrCat("ciphertext-", version, "-", std::string(3000, 'c'))};
}

inline RoleRecord CrashRole(int64_t marker) {
  RoleRecord role;
  role.name = kCrashRole;
  const std::string filler(3000, 'p');
  role.trust_policy = {"trust", absl::StrCat("{\"m\":", marker, "}")};
  for (int p = 0; p < 8; ++p) {
    role.permission_policies.push_back(
        {absl::StrCat("p", p),
         absl::StrCat("{\"m\":", marker, ",\"f\":\"", filler, "\"}")});
  }
  return role;
}

}  // namespace secretd::testing

#endif  // SECRETD_SECRETD_STORE_TESTING_CRASH_SEQUENCE_H_
