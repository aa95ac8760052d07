#include "tests/bench/store/bench_data.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace secretd::bench {

EncryptedSecretFields Envelope(int64_t version) {
  return {"kek-1", std::string(72, 'w'),
          absl::StrCat(std::string(64, 'c'), version)};
}

absl::Status Populate(Store& store) {
  for (int i = 0; i < kSecrets; ++i) {
    for (int v = 0; v < 3; ++v) {
      RETURN_IF_ERROR(
          store
              .AddSecretVersion(
                  absl::StrCat("app/secret-", i),
                  [](int64_t version) -> absl::StatusOr<EncryptedSecretFields> {
                    return Envelope(version);
                  })
              .status());
    }
  }
  for (int i = 0; i < kRoles; ++i) {
    RoleRecord role;
    role.name = absl::StrCat("role-", i);
    role.trust_policy = {"trust", std::string(400, 't')};
    role.permission_policies = {{"p0", std::string(600, 'p')},
                                {"p1", std::string(600, 'q')}};
    RETURN_IF_ERROR(store.PutRole(role));
    RETURN_IF_ERROR(store.PutTrustBundle(absl::StrCat("issuer-", i),
                                         std::string(800, 'j')));
  }
  return absl::OkStatus();
}

}  // namespace secretd::bench
